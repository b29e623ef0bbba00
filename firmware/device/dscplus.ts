/**
 * DSC+ golden model. Keys PRESS, 0-9, OK, C; an 8-character LCD.
 * PRESS -> "PIN>"; PIN digits show as dashes ("PIN>--"); OK with the whole PIN -> "CHALLNG>";
 * the challenge digits show as typed; OK with all of them -> the OCRA response, shown 30 s.
 */
import { ocra } from '../crypto/ocra.ts';
import { parseSuite } from '../crypto/ocra-suite.ts';
import { edit, enter, show, store, type DeviceState, type Effect, type Env, type ModelSpec } from './engine.ts';
import { check } from '../errors.ts';
import { counterUsedUp, secretOf, type Nv } from './nv.ts';

export const DSCPLUS_KEYS = ['PRESS', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'OK', 'C'] as const;
export const DSCPLUS_RESPONSE_MS = 30_000;

export const dscPlus: ModelSpec = {
  id: 'dscplus',
  keys: DSCPLUS_KEYS,
  holdMs: 0,
  responseMs: DSCPLUS_RESPONSE_MS,
  renderPin(kind, entry) {
    const prompt = kind === 'pin' ? 'PIN>' : kind === 'new' ? 'NEW>' : 'CNF>';
    return prompt + '-'.repeat(entry.length);
  },
  pinAccepted(s, env, fx) {
    enter(dscPlus, s, 'challenge', 'CHALLNG>', env.now, fx);
  },
  compute: computeResponse,
  modeKey(s, key, env, fx) {
    if (s.mode !== 'challenge') return;
    const suite = parseSuite(s.nv.suite as string);
    const length = suite.question.length;
    if (key === 'OK') {
      if (s.entry.length === length) respond(s, env, fx);
    } else if (edit(s, key, length)) {
      show(s, s.entry || 'CHALLNG>', fx);
    }
  },
};

/** Computes and shows the response; a counter is advanced and written before it is shown. */
function respond(s: DeviceState, env: Env, fx: Effect[]): void {
  if (counterUsedUp(s.nv)) return; // no value left that was not used: OK does nothing
  const { nv, code } = computeResponse(s.nv, s.entry, s.pin, env.now);
  if (nv) store(s, nv, fx);
  s.entry = '';
  enter(dscPlus, s, 'response', code, env.now, fx);
}

/**
 * The DSC+ response to `challenge` (all of the suite's digits) for the right `pin` at `now`:
 * OCRA with the stored counter (suites with C; `nv` then holds the advanced counter to write
 * first), the PIN (P) and the clock (T).
 */
export function computeResponse(nv: Nv, challenge: string, pin: string, now: number): { nv: Nv | null; code: string } {
  const suite = parseSuite(nv.suite as string);
  check(
    challenge.length === suite.question.length && /^\d+$/.test(challenge),
    'challenge',
    `challenge must be exactly ${suite.question.length} digits for suite ${suite.text}`,
  );
  const code = ocra(suite, secretOf(nv), {
    question: challenge,
    counter: suite.counter ? nv.counter : undefined,
    pin: suite.pin ? pin : undefined,
    time: suite.timeStep !== undefined ? Math.floor(now / 1000) : undefined,
  });
  return { nv: suite.counter ? { ...nv, counter: nv.counter + 1 } : null, code };
}
