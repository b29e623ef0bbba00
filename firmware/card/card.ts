/**
 * The Security Code Card: a printed grid in which every index number maps to a short value
 * (index 100 -> "A3D"). Our grid is derived deterministically from a secret and the card's serial:
 *
 *   value(i) = the first `length` symbols drawn from HMAC-SHA256(secret, "tokenbench-card-v1" | 0x00 |
 *              serial | 0x00 | i as 4 bytes big-endian), reading one byte per symbol and skipping
 *              bytes >= the largest multiple of the alphabet size (so every symbol is equally likely).
 *
 * Should 32 bytes not yield enough symbols (alphabets over 128 symbols), the MAC is taken again over
 * the previous block, as a counter-free extension.
 */
import { concat, utf8 } from '../bytes.ts';
import { check } from '../errors.ts';
import { macFor } from '../crypto/mac.ts';

export interface CardProfile {
  /** Symbols a value is made of; default A-Z then 0-9. */
  alphabet: string;
  /** Symbols per value; default 3. */
  length: number;
  /** Index numbers run from 1 to `size`; default 200. */
  size: number;
}

export const DEFAULT_CARD: CardProfile = { alphabet: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', length: 3, size: 200 };

const DOMAIN = utf8('tokenbench-card-v1');

export function checkCardProfile(p: CardProfile): void {
  check(
    typeof p.alphabet === 'string' && p.alphabet.length >= 2 && p.alphabet.length <= 256,
    'alphabet',
    `card alphabet must have 2 to 256 symbols, got ${p.alphabet?.length}`,
  );
  check(
    new Set(p.alphabet.toUpperCase()).size === p.alphabet.length,
    'alphabet',
    'card alphabet repeats a symbol (answers are case-insensitive, so "a" and "A" count as one)',
  );
  check(Number.isInteger(p.length) && p.length >= 1 && p.length <= 16, 'length', `card value length must be 1 to 16, got ${p.length}`);
  check(Number.isInteger(p.size) && p.size >= 1 && p.size <= 9999, 'size', `card size must be 1 to 9999 index numbers, got ${p.size}`);
}

export function checkIndex(p: CardProfile, index: number): void {
  check(
    Number.isInteger(index) && index >= 1 && index <= p.size,
    'index',
    `index must be a whole number from 1 to ${p.size}, got ${index}`,
  );
}

/** The value printed next to `index` on the card with this secret and serial. */
export function cardValue(secret: Uint8Array, serial: string, index: number, profile: CardProfile = DEFAULT_CARD): string {
  checkIndex(profile, index);
  check(secret.length > 0, 'secret', 'card secret must be at least one byte');
  const mac = macFor('sha256', secret);
  const n = profile.alphabet.length;
  const limit = 256 - (256 % n);
  const idx = new Uint8Array([index >>> 24, (index >>> 16) & 255, (index >>> 8) & 255, index & 255]);
  let block = mac(concat(DOMAIN, new Uint8Array(1), utf8(serial), new Uint8Array(1), idx));
  let out = '';
  for (;;) {
    for (let i = 0; i < block.length && out.length < profile.length; i++) {
      if (block[i] < limit) out += profile.alphabet[block[i] % n];
    }
    if (out.length === profile.length) return out;
    block = mac(block);
  }
}

/** The whole grid, index 1 first. */
export function cardGrid(secret: Uint8Array, serial: string, profile: CardProfile = DEFAULT_CARD): string[] {
  checkCardProfile(profile);
  const out: string[] = [];
  for (let i = 1; i <= profile.size; i++) out.push(cardValue(secret, serial, i, profile));
  return out;
}
