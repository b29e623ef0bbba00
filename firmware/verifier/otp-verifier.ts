/**
 * The login server's side of a DSC: check a passcode against the token's TOTP (with a drift
 * window) or HOTP (with a look-ahead window), refusing any code at or before the last one accepted.
 */
import { fromHex } from '../bytes.ts';
import { verifyHotp } from '../crypto/hotp.ts';
import { verifyTotp } from '../crypto/totp.ts';
import type { OtpProfile } from '../device/nv.ts';

export interface OtpVerifierState {
  otp: OtpProfile;
  /** HOTP: next counter expected. */
  counter: number;
  /** TOTP: last time step accepted, or -1. */
  lastStep: number;
  successes: number;
  failures: number;
}

export type OtpOutcome = 'accepted' | 'wrong' | 'replayed';

export function newOtpVerifier(otp: OtpProfile, counter = 0): OtpVerifierState {
  return { otp, counter, lastStep: -1, successes: 0, failures: 0 };
}

export function checkPasscode(
  state: OtpVerifierState,
  key: Uint8Array | string,
  code: string,
  now: number,
  options: { window?: number; drift?: number } = {},
): { state: OtpVerifierState; outcome: OtpOutcome } {
  const k = typeof key === 'string' ? fromHex(key, 'key') : key;
  const { otp } = state;
  const opts = { digits: otp.digits, algorithm: otp.algorithm };
  code = String(code).trim();
  if (otp.mode === 'hotp') {
    const matched = verifyHotp(k, code, state.counter, { ...opts, window: options.window ?? 10 });
    if (matched === null) return { state: { ...state, failures: state.failures + 1 }, outcome: 'wrong' };
    return { state: { ...state, counter: Number(matched) + 1, successes: state.successes + 1 }, outcome: 'accepted' };
  }
  const matched = verifyTotp(k, code, Math.floor(now / 1000), { ...opts, step: otp.step, drift: options.drift ?? 1 });
  if (matched === null) return { state: { ...state, failures: state.failures + 1 }, outcome: 'wrong' };
  if (Number(matched) <= state.lastStep) return { state: { ...state, failures: state.failures + 1 }, outcome: 'replayed' };
  return { state: { ...state, lastStep: Number(matched), successes: state.successes + 1 }, outcome: 'accepted' };
}
