/** TOTP (RFC 6238) and its verifying side with a time-drift window. */
import { check } from '../errors.ts';
import { checkCounter, hotp, type OtpOptions } from './hotp.ts';
import { constantTimeEqualText } from '../bytes.ts';

export interface TotpOptions extends OtpOptions {
  /** Time step X in seconds (RFC 6238 §4.1), default 30. */
  step?: number;
  /** T0 in Unix seconds, default 0. */
  epoch?: number;
}

function checkStep(step: number): void {
  check(
    Number.isInteger(step) && step >= 1 && step <= 86_400,
    'step',
    `step must be a whole number of seconds from 1 to 86400, got ${step}`,
  );
}

/** The time-step number T = floor((unixSeconds - T0) / X) (RFC 6238 §4.2). */
export function timeStep(unixSeconds: number, options: TotpOptions = {}): bigint {
  const step = options.step ?? 30;
  checkStep(step);
  check(Number.isFinite(unixSeconds) && unixSeconds >= 0, 'time', `time must be Unix seconds (0 or more), got ${unixSeconds}`);
  return checkCounter(Math.floor((unixSeconds - (options.epoch ?? 0)) / step), 'time step');
}

/** TOTP value (RFC 6238 §4.2) at `unixSeconds`. */
export function totp(key: Uint8Array, unixSeconds: number, options: TotpOptions = {}): string {
  return hotp(key, timeStep(unixSeconds, options), options);
}

export interface TotpVerifyOptions extends TotpOptions {
  /** Steps accepted either side of the current one (RFC 6238 §5.2), default 1. */
  drift?: number;
}

/**
 * Checks `code` at `unixSeconds`, allowing `drift` steps before and after. Returns the step that
 * matched, or null; a verifier refuses any later code whose step is not greater than that one.
 */
export function verifyTotp(key: Uint8Array, code: string, unixSeconds: number, options: TotpVerifyOptions = {}): bigint | null {
  const drift = options.drift ?? 1;
  check(Number.isInteger(drift) && drift >= 0 && drift <= 100, 'drift', `drift must be a whole number from 0 to 100, got ${drift}`);
  const now = timeStep(unixSeconds, options);
  let matched: bigint | null = null;
  // Nearest steps first so the match closest to now wins.
  for (let d = 0; d <= drift; d++) {
    for (const t of d === 0 ? [now] : [now - BigInt(d), now + BigInt(d)]) {
      if (t < 0n) continue;
      if (constantTimeEqualText(hotp(key, t, options), code) && matched === null) matched = t;
    }
  }
  return matched;
}
