/** Byte helpers shared by the platform-neutral layers, on Uint8Array only (never Node buffers). */
import { InputError } from './errors.ts';

export { hex as toHex } from '../protocol/bytes.ts';

/**
 * Parses hex text (either case, no prefix, even length) into bytes. `part` names the input in the
 * error, e.g. `key must be hex digits, got "xyz"`.
 */
export function fromHex(text: string, part = 'hex'): Uint8Array {
  if (typeof text !== 'string') throw new InputError(part, `${part} must be a hex string`);
  if (text.length % 2 !== 0) throw new InputError(part, `${part} has an odd number of hex digits (${text.length})`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      const bad = hi < 0 ? text[2 * i] : text[2 * i + 1];
      throw new InputError(part, `${part} must be hex digits, found "${bad}"`);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export { concat, utf8 } from '../protocol/bytes.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8, throwing on invalid sequences (callers treat that as bad input). */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Compares two byte strings in time that depends only on their lengths, never on where they
 * first differ. Unequal lengths compare unequal (the length of a response is not a secret).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Constant-time compare of two strings of code units (responses, PIN digests as hex). */
export function constantTimeEqualText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Writes `value` (0 <= value < 2^64, as bigint or safe integer) big-endian into 8 bytes. */
export function u64be(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt(value);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
