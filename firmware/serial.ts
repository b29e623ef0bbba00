/** Default serial numbers, derived from the secret so the same secret always gives the same serial. */
import { toHex } from './bytes.ts';
import { digest } from './crypto/mac.ts';

export function defaultSerial(secret: Uint8Array, prefix = 'TB'): string {
  return prefix + toHex(digest('sha256', secret).subarray(0, 4)).toUpperCase();
}
