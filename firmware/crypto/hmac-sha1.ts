/**
 * HMAC-SHA1 (RFC 2104 over FIPS 180-4 §6.1) for one key, with the keyed inner and outer states
 * computed once and no allocation per message but the 20-byte tag. SHA-1 HMAC is what a DSC+
 * computes for every response; this is its fast path. The property tests check it against
 * node:crypto on random keys and messages.
 */
import { sha1 } from '@noble/hashes/legacy.js';

const W = new Int32Array(80);

/** One SHA-1 compression of the 64 bytes at `block[at]` into `h` (FIPS 180-4 §6.1.2). */
function compress(h: Int32Array, block: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++, at += 4) W[t] = (block[at] << 24) | (block[at + 1] << 16) | (block[at + 2] << 8) | block[at + 3];
  for (let t = 16; t < 80; t++) {
    const x = W[t - 3] ^ W[t - 8] ^ W[t - 14] ^ W[t - 16];
    W[t] = (x << 1) | (x >>> 31);
  }
  let a = h[0],
    b = h[1],
    c = h[2],
    d = h[3],
    e = h[4];
  let t = 0;
  // Four rounds of 20 steps, each with its own function f and constant k.
  for (; t < 20; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[t]) | 0;
    (e = d), (d = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = tmp);
  }
  for (; t < 40; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[t]) | 0;
    (e = d), (d = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = tmp);
  }
  for (; t < 60; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + W[t]) | 0;
    (e = d), (d = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = tmp);
  }
  for (; t < 80; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + W[t]) | 0;
    (e = d), (d = c), (c = (b << 30) | (b >>> 2)), (b = a), (a = tmp);
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
}

const INIT = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

/** Hashes the rest of a message whose first 64 bytes (the key pad) are already in `h`. */
function finish(h: Int32Array, msg: Uint8Array, tail: Uint8Array, out: Uint8Array): void {
  let at = 0;
  for (; at + 64 <= msg.length; at += 64) compress(h, msg, at);
  const left = msg.length - at;
  tail.fill(0);
  tail.set(msg.subarray(at));
  tail[left] = 0x80;
  const blocks = left + 9 > 64 ? 2 : 1;
  const bits = (msg.length + 64) * 8; // the key pad block counts too
  const end = blocks * 64;
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  tail[end - 5] = Math.floor(bits / 2 ** 32);
  compress(h, tail, 0);
  if (blocks === 2) compress(h, tail, 64);
  for (let i = 0; i < 5; i++) {
    out[4 * i] = h[i] >>> 24;
    out[4 * i + 1] = h[i] >>> 16;
    out[4 * i + 2] = h[i] >>> 8;
    out[4 * i + 3] = h[i];
  }
}

/** Returns HMAC-SHA1 bound to `key`. */
export function hmacSha1(key: Uint8Array): (message: Uint8Array) => Uint8Array {
  const pad = new Uint8Array(64);
  pad.set(key.length > 64 ? sha1(key) : key);
  const inner = INIT.slice();
  const outer = INIT.slice();
  for (let i = 0; i < 64; i++) pad[i] ^= 0x36;
  compress(inner, pad, 0);
  for (let i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
  compress(outer, pad, 0);
  pad.fill(0);
  const h = new Int32Array(5);
  const tail = new Uint8Array(128);
  return (message) => {
    const out = new Uint8Array(20);
    h.set(inner);
    finish(h, message, tail, out);
    h.set(outer);
    finish(h, out, tail, out);
    return out;
  };
}
