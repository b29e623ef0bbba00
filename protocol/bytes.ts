/** Byte helpers for the wire layer, on Uint8Array only (never Node buffers). */

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8; returns null for invalid sequences instead of throwing. */
export function fromUtf8OrNull(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 255, n & 255);
}

export function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** Unsigned big-endian integer of 1 to 8 bytes as a safe integer, or null if it is above 2^53-1. */
export function readUint(b: Uint8Array): number | null {
  if (b.length === 0 || b.length > 8) return null;
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return Number.isSafeInteger(v) ? v : null;
}

/** The shortest big-endian encoding of a safe non-negative integer (at least one byte). */
export function uint(n: number): Uint8Array {
  const out: number[] = [];
  do {
    out.unshift(n % 256);
    n = Math.floor(n / 256);
  } while (n > 0);
  return Uint8Array.from(out);
}

export function hex(bytes: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (i && sep ? sep : '') + bytes[i].toString(16).padStart(2, '0');
  return s;
}
