/**
 * The netduinoplus2 build on QEMU over its pseudo-terminal: 1,000 lockstep steps against the
 * golden model (lockstep.ts), and kill -9 of QEMU at 20 random moments during PIN attempts and
 * responses: no lost PIN decrement, no counter reuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { startQemu, type QemuBoard } from '../../emulator/boards/qemu.ts';
import { runLockstep } from './lockstep.ts';
import { BoardTarget } from './lockstep-targets.ts';
import { haveArmGcc, haveQemu, make, QEMU_ELF, tempDir, needing } from './board-tools.ts';
import { killNineRound } from './kill-nine.ts';

describe.runIf(haveArmGcc && haveQemu)(
  needing('board firmware on QEMU netduinoplus2', [
    [haveArmGcc, 'gcc-arm-none-eabi'],
    [haveQemu, 'qemu-system-arm'],
  ]),
  () => {
    const boards: QemuBoard[] = [];
    beforeAll(() => make('netduinoplus2'), 120_000);
    afterAll(async () => {
      for (const b of boards) await b.stop();
    });

    it('1,000 lockstep steps over the pty give the same responses and events as the model', async () => {
      const seed = 'qemu-lockstep-1';
      const board = await startQemu({ elf: QEMU_ELF, nv: join(tempDir(), 'nv.bin'), seed, frozenClock: true });
      boards.push(board);
      const link = new Link(streamPort(board.transport, Date.now), nodeScheduler, { timeoutMs: 5000 });
      const started = performance.now();
      const r = await runLockstep(new BoardTarget(link), seed, 1_000);
      console.log(
        `QEMU lockstep: ${r.steps} steps, ${Math.round((r.steps / (performance.now() - started)) * 1000)} steps/s; modes ${JSON.stringify(r.seen)}`,
      );
      expect(r.mismatch).toBeNull();
      expect(r.steps).toBe(1_000);
      link.close();
    }, 300_000);

    it('kill -9 at 20 random moments during PIN attempts and responses loses no decrement and reuses no counter', async () => {
      const nv = join(tempDir(), 'nv.bin');
      const summary = await killNineRound(nv, 20, 'kill-nine-1');
      console.log(`kill -9: ${summary.kills} kills, ${summary.attempts} PIN attempts answered, ${summary.responses} responses seen`);
      expect(summary.violations).toEqual([]);
      expect(summary.kills).toBe(20);
      expect(summary.attempts).toBeGreaterThan(20);
    }, 600_000);
  },
);
