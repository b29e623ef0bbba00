/** HOTP (RFC 4226) and its verifying side with a counter look-ahead window. */
import { constantTimeEqualText, u64be } from '../bytes.ts';
import { check } from '../errors.ts';
import { macFor, type HashName } from './mac.ts';

export interface OtpOptions {
  /** 6 to 10 digits; RFC 4226 §5.3 requires at least 6. */
  digits?: number;
  algorithm?: HashName;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

export function checkDigits(digits: number, min = 6, max = 10): void {
  check(
    Number.isInteger(digits) && digits >= min && digits <= max,
    'digits',
    `digits must be a whole number from ${min} to ${max}, got ${digits}`,
  );
}

export function checkCounter(counter: number | bigint, part = 'counter'): bigint {
  const ok =
    (typeof counter === 'number' && Number.isSafeInteger(counter) && counter >= 0) ||
    (typeof counter === 'bigint' && counter >= 0n && counter < 1n << 64n);
  check(ok, part, `${part} must be a whole number from 0 to 2^64-1, got ${String(counter)}`);
  return BigInt(counter);
}

/**
 * Dynamic truncation (RFC 4226 §5.3): 31 bits at the offset named by the low nibble of the last
 * byte, reduced to `digits` decimal digits with leading zeros.
 */
export function truncate(mac: Uint8Array, digits: number): string {
  const o = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  // 31-bit value fits a double exactly; 10 digits need no modulo beyond the value itself.
  const code = digits >= 10 ? bin : bin % POW10[digits];
  return code.toString().padStart(digits, '0');
}

/** HOTP value (RFC 4226 §5.3) for `counter`. */
export function hotp(key: Uint8Array, counter: number | bigint, options: OtpOptions = {}): string {
  const digits = options.digits ?? 6;
  checkDigits(digits);
  const c = checkCounter(counter);
  return truncate(macFor(options.algorithm ?? 'sha1', key)(u64be(c)), digits);
}

export interface HotpVerifyOptions extends OtpOptions {
  /** How many counter values after `counter` are also tried (RFC 4226 §7.4 look-ahead). Default 10. */
  window?: number;
}

/**
 * Checks `code` against counters `counter` .. `counter + window` (RFC 4226 §7.4). Returns the counter
 * that matched, or null. A verifier stores `matched + 1` as its next counter so no code is accepted
 * twice. Every candidate is computed and compared in constant time, so timing does not reveal which.
 */
export function verifyHotp(key: Uint8Array, code: string, counter: number | bigint, options: HotpVerifyOptions = {}): bigint | null {
  const window = options.window ?? 10;
  check(Number.isInteger(window) && window >= 0 && window <= 1000, 'window', `window must be a whole number from 0 to 1000, got ${window}`);
  const start = checkCounter(counter);
  let matched: bigint | null = null;
  for (let i = 0; i <= window; i++) {
    const c = start + BigInt(i);
    if (c >= 1n << 64n) break;
    if (constantTimeEqualText(hotp(key, c, options), code) && matched === null) matched = c;
  }
  return matched;
}
