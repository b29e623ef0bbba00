/**
 * Randomness as an input (firmware/rng.ts, DESIGN.md section 2): the seeded stream that makes
 * every scripted run and conformance seed reproducible (`--seed N`), checked against node:crypto;
 * uniform integers by rejection sampling; and the system source with its one-line refusal when a
 * platform has no `crypto`.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../firmware/errors.ts';
import { randomInt, randomString, type Rng, seededRng, systemRng } from '../../firmware/rng.ts';

/** Block i of the seeded stream, computed independently: SHA-256(seed as UTF-8 | i as 8 bytes big-endian). */
function block(seed: string, i: number): Uint8Array {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(i));
  return new Uint8Array(createHash('sha256').update(Buffer.from(seed, 'utf8')).update(counter).digest());
}

/** An Rng that hands out the given 4-byte draws in order, and fails if asked for more. */
function scripted(...draws: number[]): Rng {
  return (n) => {
    expect(n).toBe(4);
    const v = draws.shift();
    if (v === undefined) throw new Error('the scripted rng ran out of draws');
    return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  };
}

describe('seededRng', () => {
  it('is SHA-256 of the seed and a block counter, block after block', () => {
    const want = new Uint8Array([...block('lockstep-7', 0), ...block('lockstep-7', 1), ...block('lockstep-7', 2)]);
    expect(seededRng('lockstep-7')(96)).toEqual(want);
    expect(seededRng('é')(32)).toEqual(block('é', 0));
    // A number seed is its decimal text.
    expect(seededRng(42)(40)).toEqual(seededRng('42')(40));
  });

  it('draws in pieces give the same stream as one draw, across block boundaries', () => {
    const whole = seededRng('s')(100);
    const r = seededRng('s');
    const pieces = [r(1), r(31), r(0), r(5), r(63)];
    expect(new Uint8Array(pieces.flatMap((p) => [...p]))).toEqual(whole);
    expect(pieces.map((p) => p.length)).toEqual([1, 31, 0, 5, 63]);
  });

  it('two streams of the same seed are equal, and independent of each other', () => {
    const a = seededRng('x');
    const b = seededRng('x');
    a(10);
    expect(b(10)).toEqual(seededRng('x')(10));
    expect(seededRng('x')(32)).not.toEqual(seededRng('y')(32));
  });
});

describe('randomInt', () => {
  it('reads a draw as a 32-bit big-endian unsigned number', () => {
    expect(randomInt(scripted(0x12345678), 2 ** 32)).toBe(0x12345678);
    expect(randomInt(scripted(0xfedcba98), 2 ** 32)).toBe(0xfedcba98);
    expect(randomInt(scripted(0x80000001), 10)).toBe(0x80000001 % 10);
    expect(randomInt(scripted(0xffffffff), 2 ** 32)).toBe(0xffffffff);
  });

  it('rejects the draws above the largest multiple of the bound, so every value is equally likely', () => {
    // 2^32 = 3 * 1431655765 + 1: the one draw 0xffffffff would favour 0, and is drawn again.
    expect(randomInt(scripted(0xffffffff, 0xfffffffe), 3)).toBe(0xfffffffe % 3);
    // 2^32 = 10 * 429496729 + 6: draws from 4294967290 up are rejected, 4294967289 is not.
    expect(randomInt(scripted(4294967290, 4294967295, 4294967289), 10)).toBe(9);
    expect(randomInt(scripted(0, 0xffffffff), 1)).toBe(0);
  });

  it('is close to uniform over a seeded stream', () => {
    const rng = seededRng('uniform');
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[randomInt(rng, 6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('refuses a bound that is not a whole number from 1 to 2^32', () => {
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let caught: unknown;
      try {
        randomInt(seededRng(1), bad);
      } catch (e) {
        caught = e;
      }
      expect(caught, String(bad)).toBeInstanceOf(InputError);
      expect([(caught as InputError).part, (caught as InputError).message]).toEqual(['bound', `bound must be 1 to 2^32, got ${bad}`]);
    }
    expect(randomInt(seededRng(1), 1)).toBe(0);
  });
});

describe('randomString', () => {
  it('draws each character from the alphabet by a uniform index', () => {
    expect(randomString(scripted(0, 9, 10, 13), '0123456789', 4)).toBe('0903');
    expect(randomString(scripted(), 'ab', 0)).toBe('');
    const code = randomString(seededRng('code'), '0123456789', 8);
    expect(code).toMatch(/^\d{8}$/);
    expect(randomString(seededRng('code'), '0123456789', 8)).toBe(code);
  });
});

describe('systemRng', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('gives the number of bytes asked for, different each time', () => {
    const rng = systemRng();
    const a = rng(32);
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(rng(0).length).toBe(0);
    expect(rng(32)).not.toEqual(a);
  });

  it('without globalThis.crypto it says to pass an Rng, in one line', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => systemRng()).toThrow(/^no globalThis\.crypto: pass an Rng explicitly$/);
  });
});
