/**
 * The DSC build of the board firmware (`make MODEL=dsc`, posix) against the golden DSC model, in
 * lockstep (lockstep.ts): 10,000 seeded random steps (holds of PRESS around its 2 s, wrong PINs,
 * waits across every timeout, battery pulls, passcode settings, TEST_COMPUTE, the unlock flow)
 * must give byte-equal responses and events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSeen, lockstepCoverage, runLockstep } from './lockstep.ts';
import { BoardTarget } from './lockstep-targets.ts';
import { haveCc, make, startPosix, type PosixBoard, needing, POSIX_BIN, POSIX_DSC_BIN } from './board-tools.ts';

describe.runIf(haveCc)(needing('board firmware (posix, DSC build) in lockstep with the golden DSC', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => {
    make('MODEL=dsc', 'posix');
    make('posix');
  }, 120_000);

  const seeds = ['dsc-lockstep-1', 'dsc-lockstep-2', 'dsc-lockstep-3', 'dsc-lockstep-4'];
  const boards: PosixBoard[] = [];
  const seen: Record<string, number> = {};
  afterAll(async () => {
    for (const b of boards) await b.stop();
  });

  for (const seed of seeds) {
    it(`2,500 random steps, seed ${seed}`, async () => {
      const board = startPosix({ bin: POSIX_DSC_BIN, seed });
      boards.push(board);
      const started = performance.now();
      const r = await runLockstep(new BoardTarget(board.link), seed, 2_500, 'dsc');
      const ms = performance.now() - started;
      console.log(`DSC lockstep ${seed}: ${r.steps} steps, ${Math.round((r.steps / ms) * 1000)} steps/s`);
      addSeen(seen, r.seen);
      expect(r.mismatch).toBeNull();
      expect(r.steps).toBe(2_500);
    }, 120_000);
  }

  it('the scripts reached every mode of the DSC, BLOCKED, a sealed board and AUTHENTICATE', () => {
    console.log('DSC modes seen:', JSON.stringify(seen));
    for (const k of lockstepCoverage('dsc')) expect(seen[k] ?? 0, k).toBeGreaterThan(0);
    expect(seen.challenge ?? 0).toBe(0);
  });

  it('catches a DSC+ build answering for a DSC', async () => {
    const board = startPosix({ bin: POSIX_BIN, seed: seeds[0] });
    boards.push(board);
    const r = await runLockstep(new BoardTarget(board.link), seeds[0], 200, 'dsc');
    expect(r.mismatch).not.toBeNull();
  }, 120_000);
});
