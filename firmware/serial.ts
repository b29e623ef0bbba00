/** Default serial numbers, derived from the secret so the same secret always gives the same serial. */
import { toHex } from './bytes.ts';
import { digest } from './crypto/mac.ts';

/** A serial: 1 to 32 letters, digits or dashes. */
export const SERIAL_PATTERN = /^[A-Za-z0-9-]{1,32}$/;
export const SERIAL_RULE = '1 to 32 letters, digits or dashes';

export function isSerial(s: unknown): s is string {
  return typeof s === 'string' && SERIAL_PATTERN.test(s);
}

export function defaultSerial(secret: Uint8Array, prefix = 'TB'): string {
  return prefix + toHex(digest('sha256', secret).subarray(0, 4)).toUpperCase();
}
