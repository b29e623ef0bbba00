/**
 * The hashes and keyed MACs every token computes with (firmware/crypto/mac.ts): the names a user
 * may give, FIPS 180-4 digests, HMAC (RFC 2104) per key, and the caches that must never return the
 * MAC of another key.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/bytes.ts';
import { InputError } from '../../firmware/errors.ts';
import { digest, HASH_LENGTH, HASH_NAMES, hashName, keyedMac, macFor } from '../../firmware/crypto/mac.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
const hmacHex = (alg: string, key: Uint8Array, msg: Uint8Array) => createHmac(alg, key).update(msg).digest('hex');

describe('hash names', () => {
  it.each([
    ['sha1', 'sha1'],
    ['SHA1', 'sha1'],
    ['SHA-1', 'sha1'],
    ['Sha-256', 'sha256'],
    ['sha512', 'sha512'],
  ])('reads %j as %s', (text, name) => {
    expect(hashName(text)).toBe(name);
  });

  it.each(['md5', 'sha', 'sha-2-56', 'sha384', ''])('refuses %j, naming the part', (text) => {
    const e = (() => {
      try {
        hashName(text, 'pin hash');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).part).toBe('pin hash');
    expect((e as InputError).message).toBe(`pin hash must be sha1, sha256 or sha512, got "${text}"`);
    expect(() => hashName(text)).toThrow(`algorithm must be sha1, sha256 or sha512, got "${text}"`);
  });

  it('lists the three hashes with their output lengths', () => {
    expect(HASH_NAMES).toEqual(['sha1', 'sha256', 'sha512']);
    expect(HASH_LENGTH).toEqual({ sha1: 20, sha256: 32, sha512: 64 });
  });
});

describe('digests (FIPS 180-4, the "abc" examples)', () => {
  it.each([
    ['sha1', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['sha256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'sha512',
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    ],
  ] as const)('%s', (name, hex) => {
    expect(toHex(digest(name, ascii('abc')))).toBe(hex);
    expect(digest(name, ascii('abc')).length).toBe(HASH_LENGTH[name]);
  });
});

describe('keyed MACs (RFC 2104)', () => {
  it('RFC 2202 HMAC-SHA1 test cases 1, 2 and 6 (a key longer than the 64-byte block is hashed first)', () => {
    expect(toHex(keyedMac('sha1', new Uint8Array(20).fill(0x0b))(ascii('Hi There')))).toBe('b617318655057264e28bc0b6fb378c8ef146be00');
    expect(toHex(keyedMac('sha1', ascii('Jefe'))(ascii('what do ya want for nothing?')))).toBe('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
    expect(toHex(keyedMac('sha1', new Uint8Array(80).fill(0xaa))(ascii('Test Using Larger Than Block-Size Key - Hash Key First')))).toBe(
      'aa4ae5e15272d00e95705637ce8a3b55ed402112',
    );
  });

  it('RFC 4231 test case 2 for HMAC-SHA256 and HMAC-SHA512', () => {
    const msg = ascii('what do ya want for nothing?');
    expect(toHex(keyedMac('sha256', ascii('Jefe'))(msg))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(toHex(keyedMac('sha512', ascii('Jefe'))(msg))).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    );
  });

  it('one MAC gives the same tag every time and is independent of the others built', () => {
    const key = ascii('key');
    for (const name of HASH_NAMES) {
      const mac = keyedMac(name, key);
      const other = keyedMac(name, ascii('other key'));
      const a = toHex(mac(ascii('message one')));
      other(ascii('message two'));
      expect(toHex(mac(ascii('message one')))).toBe(a);
      expect(a).toBe(hmacHex(name, key, ascii('message one')));
    }
  });

  it('HMAC-SHA1 is right for every message length up to three blocks and padding boundaries', () => {
    const key = ascii('0123456789');
    const mac = keyedMac('sha1', key);
    for (let n = 0; n <= 200; n++) {
      const msg = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
      expect(toHex(mac(msg))).toBe(hmacHex('sha1', key, msg));
    }
  });

  it('HMAC-SHA1 is right for long messages, whose bit length fills more bytes of the length field', () => {
    const key = ascii('0123456789');
    for (const n of [8128, 8192, 70_000, 2 * 1024 * 1024]) {
      const msg = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      expect(toHex(keyedMac('sha1', key)(msg))).toBe(hmacHex('sha1', key, msg));
    }
  });

  it('HMAC-SHA1 is right for every key length around the block size', () => {
    const msg = ascii('a message');
    for (let n = 0; n <= 130; n++) {
      const key = new Uint8Array(n).map((_, i) => (i * 13 + 5) & 0xff);
      expect(toHex(keyedMac('sha1', key)(msg))).toBe(hmacHex('sha1', key, msg));
    }
  });
});

describe('macFor: MACs remembered per key', () => {
  it('gives the MAC of the key bytes and hash asked for', () => {
    const key = ascii('remembered key');
    for (const name of HASH_NAMES) expect(toHex(macFor(name, key)(ascii('m')))).toBe(hmacHex(name, key, ascii('m')));
  });

  it('follows a key array whose bytes were changed in place', () => {
    const key = ascii('first key bytes');
    expect(toHex(macFor('sha1', key)(ascii('m')))).toBe(hmacHex('sha1', ascii('first key bytes'), ascii('m')));
    key[0] ^= 1;
    expect(toHex(macFor('sha1', key)(ascii('m')))).toBe(hmacHex('sha1', key, ascii('m')));
    key.set(ascii('ANOTHER KEY NOW')); // every byte different, same length
    expect(toHex(macFor('sha1', key)(ascii('m')))).toBe(hmacHex('sha1', ascii('ANOTHER KEY NOW'), ascii('m')));
  });

  it('tells apart keys that differ only in length or in their last byte', () => {
    const short = ascii('abc');
    const long = ascii('abcd');
    expect(toHex(macFor('sha256', short)(ascii('m')))).toBe(hmacHex('sha256', short, ascii('m')));
    expect(toHex(macFor('sha256', long)(ascii('m')))).toBe(hmacHex('sha256', long, ascii('m')));
    const a = ascii('abce');
    expect(toHex(macFor('sha256', a)(ascii('m')))).toBe(hmacHex('sha256', a, ascii('m')));
  });

  it('stays right across many keys (more than it keeps) and when a key comes back', () => {
    const keys = Array.from({ length: 100 }, (_, i) => ascii(`key number ${i}`));
    for (let round = 0; round < 2; round++) {
      for (const key of keys) {
        const copy = key.slice(); // a new array each time: found by its bytes, not by the array
        expect(toHex(macFor('sha1', copy)(ascii('m')))).toBe(hmacHex('sha1', key, ascii('m')));
      }
    }
  });
});
