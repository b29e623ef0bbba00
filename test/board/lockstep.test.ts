/**
 * The posix build of the board firmware against the golden model, in lockstep (lockstep.ts):
 * 10,000 seeded random steps over its stdin/stdout stream must give byte-equal responses and
 * events. Also checks that a deliberately different model is caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSeen, lockstepCoverage, runLockstep } from './lockstep.ts';
import { BoardTarget } from './lockstep-targets.ts';
import { haveCc, make, startPosix, type PosixBoard, needing } from './board-tools.ts';

describe.runIf(haveCc)(needing('board firmware (posix) in lockstep with the golden model', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => make('posix'), 120_000);

  const seeds = ['lockstep-1', 'lockstep-2', 'lockstep-3', 'lockstep-4'];
  const boards: PosixBoard[] = [];
  const seen: Record<string, number> = {};
  afterAll(async () => {
    for (const b of boards) await b.stop();
  });

  for (const seed of seeds) {
    it(`2,500 random steps, seed ${seed}`, async () => {
      const board = startPosix({ seed });
      boards.push(board);
      const started = performance.now();
      const r = await runLockstep(new BoardTarget(board.link), seed, 2_500);
      const ms = performance.now() - started;
      console.log(`lockstep ${seed}: ${r.steps} steps, ${Math.round((r.steps / ms) * 1000)} steps/s`);
      addSeen(seen, r.seen);
      expect(r.mismatch).toBeNull();
      expect(r.steps).toBe(2_500);
    }, 120_000);
  }

  it('the scripts reached every mode of the DSC+, BLOCKED, a sealed board and AUTHENTICATE', () => {
    console.log('modes seen:', JSON.stringify(seen));
    for (const k of lockstepCoverage('dscplus')) expect(seen[k] ?? 0, k).toBeGreaterThan(0);
  });

  it('catches a board that differs (a different random seed changes the unlock challenge)', async () => {
    const board = startPosix({ seed: 'not-the-model-seed' });
    boards.push(board);
    let caught = false;
    for (const seed of seeds) {
      const r = await runLockstep(new BoardTarget(board.link), seed, 2_500);
      if (r.mismatch) {
        caught = true;
        break;
      }
    }
    expect(caught).toBe(true);
  }, 120_000);
});
