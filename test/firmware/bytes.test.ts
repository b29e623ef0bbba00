/**
 * The byte helpers of the platform-neutral layers (firmware/bytes.ts): hex input as the CLI and
 * the API take it (`--secret`, `--key`, a token's `secret`), strict UTF-8, the constant-time
 * compares behind every PIN and response check (DESIGN.md section 2), and 64-bit counters in
 * network order (RFC 4226 section 5.2, RFC 6287 section 5.1).
 */
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, constantTimeEqualText, fromHex, fromUtf8, u64be } from '../../firmware/bytes.ts';
import { refusal } from '../input-error.ts';

describe('fromHex', () => {
  it('reads every hex digit in either case, the bounds of each range included', () => {
    expect([...fromHex('0009a0f0A0F0ff')]).toEqual([0x00, 0x09, 0xa0, 0xf0, 0xa0, 0xf0, 0xff]);
    expect([...fromHex('0123456789abcdefABCDEF')]).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef]);
    expect(fromHex('')).toEqual(new Uint8Array(0));
    // The high digit is shifted, the low one is not: 0x1f and 0xf1 are different bytes.
    expect([...fromHex('1ff1')]).toEqual([0x1f, 0xf1]);
  });

  it('names the character that is not a hex digit, high or low, and the input it came from', () => {
    // The characters on either side of 0-9, a-f and A-F in ASCII.
    for (const c of ['/', ':', '`', 'g', '@', 'G', ' ', 'x']) {
      expect(
        refusal(() => fromHex(`${c}0`, '--secret')),
        `high ${c}`,
      ).toEqual({
        part: '--secret',
        message: `--secret must be hex digits, found "${c}"`,
      });
      expect(refusal(() => fromHex(`0${c}`, '--secret')).message, `low ${c}`).toBe(`--secret must be hex digits, found "${c}"`);
    }
    expect(refusal(() => fromHex('00zz'))).toEqual({ part: 'hex', message: 'hex must be hex digits, found "z"' });
    expect(refusal(() => fromHex('0z')).message).toBe('hex must be hex digits, found "z"');
  });

  it('refuses an odd number of digits, giving the count, and anything that is not text', () => {
    expect(refusal(() => fromHex('abc', 'key'))).toEqual({ part: 'key', message: 'key has an odd number of hex digits (3)' });
    expect(refusal(() => fromHex('a'))).toEqual({ part: 'hex', message: 'hex has an odd number of hex digits (1)' });
    for (const v of [12, null, undefined, ['ab'], new Uint8Array(2)])
      expect(refusal(() => fromHex(v as unknown as string, 'secret'))).toEqual({ part: 'secret', message: 'secret must be a hex string' });
  });
});

describe('fromUtf8', () => {
  it('decodes UTF-8 and throws on an invalid sequence instead of inventing characters', () => {
    expect(fromUtf8(new Uint8Array([0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac]))).toBe('Aé€');
    for (const bad of [[0xff], [0xc3], [0x80], [0xed, 0xa0, 0x80]]) expect(() => fromUtf8(new Uint8Array(bad)), `${bad}`).toThrow();
  });
});

describe('constant-time compares', () => {
  it('bytes: equal only when every byte is equal, a difference at any place counts', () => {
    const a = Uint8Array.of(1, 2, 3, 4);
    expect(constantTimeEqual(a, Uint8Array.of(1, 2, 3, 4))).toBe(true);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    for (let i = 0; i < a.length; i++) {
      const b = a.slice();
      b[i] ^= 0x80;
      expect(constantTimeEqual(a, b), `byte ${i}`).toBe(false);
    }
    expect(constantTimeEqual(a, a.subarray(0, 3))).toBe(false);
    expect(constantTimeEqual(a.subarray(0, 3), a)).toBe(false);
    // A longer one that starts with the same bytes, and one padded with zeros.
    expect(constantTimeEqual(a, Uint8Array.of(1, 2, 3, 4, 0))).toBe(false);
  });

  it('text: equal only when every code unit is equal, lengths included', () => {
    expect(constantTimeEqualText('12345678', '12345678')).toBe(true);
    expect(constantTimeEqualText('', '')).toBe(true);
    for (const other of ['02345678', '12345670', '1234567', '123456789', '12345678\0', 'l2345678'])
      expect(constantTimeEqualText('12345678', other), other).toBe(false);
    expect(constantTimeEqualText('1234567', '12345678')).toBe(false);
    // Code units above 0xff differ in their high byte only.
    expect(constantTimeEqualText('\u0141', '\u0041')).toBe(false);
  });
});

describe('u64be', () => {
  it('writes a counter big-endian into 8 bytes, from a number or a bigint', () => {
    expect([...u64be(0)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...u64be(1)]).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...u64be(0x0102030405)]).toEqual([0, 0, 0, 1, 2, 3, 4, 5]);
    expect([...u64be(Number.MAX_SAFE_INTEGER)]).toEqual([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect([...u64be(0x0123456789abcdefn)]).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
    expect([...u64be(2n ** 64n - 1n)]).toEqual([255, 255, 255, 255, 255, 255, 255, 255]);
    expect(u64be(7).length).toBe(8);
  });
});
