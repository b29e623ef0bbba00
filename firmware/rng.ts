/**
 * Randomness comes into the golden models as an injected function, never from a global, so every
 * run can be replayed. `systemRng` uses globalThis.crypto (present in Node, browsers and workers);
 * `seededRng` is a deterministic SHA-256 counter-mode stream for tests and reproducible scripts.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { check } from './errors.ts';
import { u64be, utf8 } from './bytes.ts';

/** Returns `n` random bytes. */
export type Rng = (n: number) => Uint8Array;

export function systemRng(): Rng {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (!c) throw new Error('no globalThis.crypto: pass an Rng explicitly');
  return (n) => c.getRandomValues(new Uint8Array(n));
}

/** A reproducible byte stream: block i is SHA-256(seed | i). Not for real secrets. */
export function seededRng(seed: string | number): Rng {
  const s = utf8(String(seed));
  let block = 0;
  let pool = new Uint8Array(0);
  let at = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (at === pool.length) {
        const input = new Uint8Array(s.length + 8);
        input.set(s);
        input.set(u64be(block++), s.length);
        pool = sha256(input);
        at = 0;
      }
      out[i] = pool[at++];
    }
    return out;
  };
}

/** A uniform integer in [0, bound), by rejection sampling over 32-bit draws. */
export function randomInt(rng: Rng, bound: number): number {
  check(Number.isInteger(bound) && bound >= 1 && bound <= 2 ** 32, 'bound', `bound must be 1 to 2^32, got ${bound}`);
  const limit = Math.floor(2 ** 32 / bound) * bound;
  for (;;) {
    const b = rng(4);
    const v = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    if (v < limit) return v % bound;
  }
}

/** `length` characters drawn uniformly from `alphabet`. */
export function randomString(rng: Rng, alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(rng, alphabet.length)];
  return s;
}
