/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): removes every 0x00 from a frame
 * so 0x00 can delimit frames. Each block starts with a code byte n (1..255): n-1 data bytes follow,
 * then an implied 0x00 unless n is 255 or the block ends the frame.
 */

/** Largest encoded size of `n` bytes: one code byte per 254 data bytes, plus one. */
export function cobsMaxEncoded(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

export function cobsEncode(data: Uint8Array, trailingZero = false): Uint8Array {
  const out = new Uint8Array(cobsMaxEncoded(data.length) + (trailingZero ? 1 : 0));
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = data[i];
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  // With trailingZero, the frame delimiter follows (the array is zero there already).
  return out.subarray(0, trailingZero ? o + 1 : o);
}

/**
 * Decodes one COBS frame (without its delimiter). Returns null if it is malformed: a zero byte
 * inside, or a block that runs past the end. Never throws; never allocates more than the input.
 */
export function cobsDecode(encoded: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(encoded.length);
  let o = 0;
  let i = 0;
  while (i < encoded.length) {
    const code = encoded[i++];
    if (code === 0) return null;
    const end = i + code - 1;
    if (end > encoded.length) return null;
    for (; i < end; i++) {
      if (encoded[i] === 0) return null;
      out[o++] = encoded[i];
    }
    if (code !== 0xff && i < encoded.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
