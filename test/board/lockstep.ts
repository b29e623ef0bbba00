/**
 * Lockstep comparison of a board build with the golden model: the same seeded random script of
 * commands (lockstep-script.ts) goes to both sides (lockstep-targets.ts), and every response APDU
 * and every display event must be equal, byte for byte. The same script drives a DSC+ build or a
 * DSC build (`make MODEL=dsc`). A run counts what it reached, and lockstepCoverage() names what a
 * whole set of runs must have reached.
 */
import { hex } from '../../protocol/bytes.ts';
import { INS } from '../../protocol/codes.ts';
import { MODES } from '../../firmware/device/engine.ts';
import type { ModelId } from '../../firmware/device/nv.ts';
import { Script } from './lockstep-script.ts';
import { ModelTarget, type BoardTarget, type Exchange } from './lockstep-targets.ts';

export interface LockstepResult {
  steps: number;
  mismatch: string | null;
  /** Steps that left the model in each mode: proof the script reached them. */
  seen: Record<string, number>;
}

export async function runLockstep(board: BoardTarget, seed: string, steps: number, modelId: ModelId = 'dscplus'): Promise<LockstepResult> {
  const model = new ModelTarget(seed, modelId);
  const script = new Script(seed, modelId);
  const history: string[] = [];
  const seen: Record<string, number> = {};
  let n = 0;
  const one = async (e: Exchange): Promise<string | null> => {
    const want = model.request(e);
    const got = await board.request(e);
    history.push(`${e.channel}> ${hex(e.apdu)}  model ${want}`);
    if (history.length > 12) history.shift();
    const we = model.events.join(' '),
      ge = board.events.join(' ');
    model.events = [];
    board.events = [];
    const count = (k: string) => (seen[k] = (seen[k] ?? 0) + 1);
    count(model.token.display().text === 'BLOCKED' ? 'blocked' : model.token.mode);
    if (model.token.nv.sealed) count('sealed');
    if (e.apdu[1] === 0x02 && e.apdu[2] === 2 && want.endsWith('9000')) count('authenticated');
    if (want.endsWith('6982')) count('refused (6982)');
    if (e.apdu[0] === 0x80 && e.apdu[1] === INS.FW_VERIFY && want.endsWith('9000')) count('firmware verified');
    if (e.apdu[0] === 0x80 && e.apdu[1] === INS.FW_COMMIT && want.endsWith('9000')) count('firmware committed');
    if (e.apdu[0] === 0x80 && e.apdu[1] === INS.FW_VERIFY && want.endsWith('6a80')) count('firmware digest refused');
    if (got !== want) return `response differs at step ${n}: board ${got}, model ${want}`;
    if (ge !== we) return `events differ at step ${n}: board [${ge}], model [${we}]`;
    return null;
  };
  for (const e of script.opening()) {
    const bad = await one(e);
    if (bad) return { steps: n, mismatch: `${bad}\nlast exchanges:\n${history.join('\n')}`, seen };
  }
  for (; n < steps; n++) {
    const bad = await one(script.next(model));
    if (bad) return { steps: n, mismatch: `${bad}\nlast exchanges:\n${history.join('\n')}`, seen };
  }
  return { steps: n, mismatch: null, seen };
}

/** The DSC has each mode of the DSC+ but `challenge` (it takes no challenge). */

/**
 * What the seeds of a lockstep test must have reached between them (keys of LockstepResult.seen):
 * every mode of the model, BLOCKED, a sealed board, AUTHENTICATE, a refusal (6982) and each
 * firmware-update outcome.
 */
export function lockstepCoverage(model: ModelId): string[] {
  const modes: readonly string[] = model === 'dsc' ? MODES.filter((m) => m !== 'challenge') : MODES;
  return [
    ...modes,
    'blocked',
    'sealed',
    'authenticated',
    'refused (6982)',
    'firmware verified',
    'firmware committed',
    'firmware digest refused',
  ];
}

/** Adds one run's counts (LockstepResult.seen) to `total`. */
export function addSeen(total: Record<string, number>, seen: Record<string, number>): void {
  for (const [k, v] of Object.entries(seen)) total[k] = (total[k] ?? 0) + v;
}
