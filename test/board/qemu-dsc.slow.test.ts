/**
 * The DSC build for netduinoplus2 (`make MODEL=dsc netduinoplus2`) on QEMU over its pty: lockstep
 * steps against the golden DSC (lockstep.ts), so the DSC's hold timing, masking and passcodes are
 * checked on the emulated STM32F405 too, not only in the posix build; and kill -9 of QEMU at 20
 * random moments during DSC PIN attempts and passcodes (kill-nine.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { startQemu, type QemuBoard } from '../../emulator/boards/qemu.ts';
import { runLockstep } from './lockstep.ts';
import { BoardTarget } from './lockstep-targets.ts';
import { DSC_KILL, killNineRound } from './kill-nine.ts';
import { BUILD_DIR, haveArmGcc, haveQemu, make, tempDir, needing } from './board-tools.ts';

const QEMU_DSC_ELF = join(BUILD_DIR, 'netduinoplus2-dsc/tokenbench-board.elf');

describe.runIf(haveArmGcc && haveQemu)(
  needing('DSC board firmware on QEMU netduinoplus2', [
    [haveArmGcc, 'gcc-arm-none-eabi'],
    [haveQemu, 'qemu-system-arm'],
  ]),
  () => {
    const boards: QemuBoard[] = [];
    beforeAll(() => make('MODEL=dsc', 'netduinoplus2'), 120_000);
    afterAll(async () => {
      for (const b of boards) await b.stop();
    });

    it('500 lockstep steps over the pty give the same responses and events as the golden DSC', async () => {
      const seed = 'qemu-dsc-lockstep-1';
      const board = await startQemu({ elf: QEMU_DSC_ELF, nv: join(tempDir(), 'nv.bin'), seed, frozenClock: true });
      boards.push(board);
      const link = new Link(streamPort(board.transport, Date.now), nodeScheduler, { timeoutMs: 5000 });
      const started = performance.now();
      const r = await runLockstep(new BoardTarget(link), seed, 500, 'dsc');
      console.log(
        `QEMU DSC lockstep: ${r.steps} steps, ${Math.round((r.steps / (performance.now() - started)) * 1000)} steps/s; modes ${JSON.stringify(r.seen)}`,
      );
      expect(r.mismatch).toBeNull();
      expect(r.steps).toBe(500);
      expect(r.seen.response ?? 0).toBeGreaterThan(0);
      link.close();
    }, 300_000);

    it('kill -9 at 20 random moments during PIN attempts and passcodes loses no decrement and reuses no counter', async () => {
      const summary = await killNineRound(join(tempDir(), 'nv.bin'), 20, 'kill-nine-dsc-1', DSC_KILL);
      console.log(`kill -9 (DSC): ${summary.kills} kills, ${summary.attempts} PIN attempts answered, ${summary.responses} passcodes seen`);
      expect(summary.violations).toEqual([]);
      expect(summary.kills).toBe(20);
      expect(summary.attempts).toBeGreaterThan(20);
      expect(summary.responses).toBeGreaterThan(5);
    }, 600_000);
  },
);
