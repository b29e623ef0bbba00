/**
 * HMAC (RFC 2104) over SHA-1/256/512 from @noble/hashes, with the keyed inner and outer states
 * computed once per key and reused: a token computes many codes with one key, and re-keying
 * costs two of the four or five compression-function calls a short OCRA message needs.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { InputError } from '../errors.ts';
import { hmacSha1 } from './hmac-sha1.ts';

export type HashName = 'sha1' | 'sha256' | 'sha512';
export const HASH_NAMES: readonly HashName[] = ['sha1', 'sha256', 'sha512'];

const HASHES = { sha1, sha256, sha512 } as const;

/** Output length in bytes of each hash. */
export const HASH_LENGTH: Record<HashName, number> = { sha1: 20, sha256: 32, sha512: 64 };

export function hashName(text: string, part = 'algorithm'): HashName {
  const name = text.toLowerCase().replace('-', '');
  if (name === 'sha1' || name === 'sha256' || name === 'sha512') return name;
  throw new InputError(part, `${part} must be sha1, sha256 or sha512, got "${text}"`);
}

/** One-shot hash. */
export function digest(name: HashName, data: Uint8Array): Uint8Array {
  return HASHES[name](data);
}

/** A MAC function bound to one key: call it with a message, get the tag. */
export type KeyedMac = (message: Uint8Array) => Uint8Array;

type Hmac = ReturnType<typeof hmac.create>;

/** Returns a MAC bound to `key` that reuses the precomputed keyed state for every message. */
export function keyedMac(name: HashName, key: Uint8Array): KeyedMac {
  if (name === 'sha1') return hmacSha1(key);
  const base: Hmac = hmac.create(HASHES[name], key);
  let scratch: Hmac | undefined;
  return (message) => {
    scratch = base._cloneInto(scratch) as Hmac;
    scratch.update(message);
    return scratch.digest();
  };
}

const CACHE_LIMIT = 64;
const cache = new Map<string, KeyedMac>();

interface Remembered {
  name: HashName;
  key: Uint8Array;
  mac: KeyedMac;
}
/** Last MAC built for a given key array, with a copy of the bytes it was built from. */
const byArray = new WeakMap<Uint8Array, Remembered>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * keyedMac with two small caches, so the pure device models can call `macFor` on every response
 * without rebuilding the key schedule: one by array (checked against a copy of its bytes, so an
 * array reused for another key is never mistaken for the old one), one by algorithm and key bytes.
 * Both hold derived state only in this process; nothing is serialised.
 */
export function macFor(name: HashName, key: Uint8Array): KeyedMac {
  const seen = byArray.get(key);
  if (seen !== undefined && seen.name === name && sameBytes(seen.key, key)) return seen.mac;
  let id = name + ':';
  for (let i = 0; i < key.length; i++) id += String.fromCharCode(key[i]);
  let mac = cache.get(id);
  if (mac === undefined) {
    mac = keyedMac(name, key);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(id, mac);
  }
  byArray.set(key, { name, key: key.slice(), mac });
  return mac;
}
