/**
 * DSC (older card) golden model. Keys PRESS, 0-9, OK. Hold PRESS 2 s to turn it on (or off):
 * "[____]"; typed PIN digits show with the earlier ones as dashes ("[--3_]" after 1-2-3);
 * OK with the whole PIN -> a passcode (TOTP by default, HOTP configurable), shown 15 s.
 */
import { hotp } from '../crypto/hotp.ts';
import { totp } from '../crypto/totp.ts';
import { enter, store, type ModelSpec } from './engine.ts';
import { check } from '../errors.ts';
import { counterUsedUp, secretOf, type Nv } from './nv.ts';

export const DSC_KEYS = ['PRESS', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'OK'] as const;
export const DSC_HOLD_MS = 2_000;
export const DSC_RESPONSE_MS = 15_000;

/** "[--3_]": earlier digits as dashes, the last one in clear, the rest as underscores. */
export function maskPin(entry: string, length: number): string {
  if (entry.length === 0) return '[' + '_'.repeat(length) + ']';
  return '[' + '-'.repeat(entry.length - 1) + entry[entry.length - 1] + '_'.repeat(length - entry.length) + ']';
}

export const dsc: ModelSpec = {
  id: 'dsc',
  keys: DSC_KEYS,
  holdMs: DSC_HOLD_MS,
  responseMs: DSC_RESPONSE_MS,
  renderPin(kind, entry, length) {
    const prefix = kind === 'pin' ? '' : kind === 'new' ? 'N' : 'C';
    return prefix + maskPin(entry, length);
  },
  pinAccepted(s, env, fx) {
    // A used-up HOTP counter has no passcode left to show: the response stays blank.
    if (counterUsedUp(s.nv)) return enter(dsc, s, 'response', '', env.now, fx);
    const { nv, code } = computePasscode(s.nv, '', '', env.now);
    // The counter moves on (and is written) before the passcode it protects is shown.
    if (nv) store(s, nv, fx);
    enter(dsc, s, 'response', code, env.now, fx);
  },
  compute: computePasscode,
};

/** The DSC passcode at `now`: TOTP, or HOTP with the stored counter (`nv` holds the next one). */
export function computePasscode(nv: Nv, challenge: string, _pin: string, now: number): { nv: Nv | null; code: string } {
  check(challenge === '', 'challenge', 'a DSC takes no challenge');
  const otp = nv.otp!;
  const key = secretOf(nv);
  if (otp.mode === 'hotp')
    return { nv: { ...nv, counter: nv.counter + 1 }, code: hotp(key, nv.counter, { digits: otp.digits, algorithm: otp.algorithm }) };
  return { nv: null, code: totp(key, Math.floor(now / 1000), { step: otp.step, digits: otp.digits, algorithm: otp.algorithm }) };
}
