/**
 * BER-TLV (ISO 7816-4 §5.2, ISO 8825-1) for command and response data: tags of one byte, or two
 * bytes when the low five bits of the first are all set (0x1F); lengths of one byte (< 0x80) or
 * 0x81 n or 0x82 nn nn. Decoding never throws: it returns an error that names what is wrong.
 */
import { concat } from './bytes.ts';

export interface Tlv {
  tag: number;
  value: Uint8Array;
}

export type TlvResult = { ok: true; items: Tlv[] } | { ok: false; error: string };

function tagBytes(tag: number): Uint8Array {
  if (tag < 0 || tag > 0xffff || !Number.isInteger(tag)) throw new RangeError(`TLV tag must be 1 or 2 bytes, got ${tag}`);
  if (tag > 0xff) {
    if (((tag >> 8) & 0x1f) !== 0x1f)
      throw new RangeError(`two-byte TLV tag ${tag.toString(16)} must start with a byte whose low five bits are set`);
    if ((tag & 0x80) !== 0) throw new RangeError(`TLV tag ${tag.toString(16)}: only two-byte tags are supported`);
    return Uint8Array.of(tag >> 8, tag & 0xff);
  }
  if ((tag & 0x1f) === 0x1f) throw new RangeError(`one-byte TLV tag ${tag.toString(16)} cannot have its low five bits set`);
  return Uint8Array.of(tag);
}

function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  throw new RangeError(`TLV value of ${n} bytes is longer than 65535`);
}

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  return concat(tagBytes(tag), lengthBytes(value.length), value);
}

/** Encodes fields one after another, into one array (sizes first, then bytes: no copies). */
export function encodeTlvs(items: Tlv[]): Uint8Array {
  let size = 0;
  for (const { tag, value } of items) {
    tagBytes(tag); // checks the tag
    if (value.length > 0xffff) throw new RangeError(`TLV value of ${value.length} bytes is longer than 65535`);
    size += (tag > 0xff ? 2 : 1) + (value.length < 0x80 ? 1 : value.length <= 0xff ? 2 : 3) + value.length;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const { tag, value } of items) {
    if (tag > 0xff) out[o++] = tag >> 8;
    out[o++] = tag & 0xff;
    const n = value.length;
    if (n < 0x80) out[o++] = n;
    else if (n <= 0xff) (out[o++] = 0x81), (out[o++] = n);
    else (out[o++] = 0x82), (out[o++] = n >> 8), (out[o++] = n & 0xff);
    out.set(value, o);
    o += n;
  }
  return out;
}

/** Decodes a flat sequence of TLVs; at most `maxItems`. Values are views into `bytes`. */
export function decodeTlvs(bytes: Uint8Array, maxItems = 64): TlvResult {
  const items: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (items.length >= maxItems) return { ok: false, error: `more than ${maxItems} TLV fields` };
    let tag = bytes[i++];
    if (tag === 0x00 || tag === 0xff) return { ok: false, error: `TLV tag ${hex2(tag)} at byte ${i - 1} is not allowed` };
    if ((tag & 0x1f) === 0x1f) {
      if (i >= bytes.length) return { ok: false, error: 'TLV tag is cut short' };
      const second = bytes[i++];
      if (second & 0x80) return { ok: false, error: `TLV tag ${hex2(tag)}${hex2(second)}... is longer than two bytes` };
      tag = (tag << 8) | second;
    }
    if (i >= bytes.length) return { ok: false, error: `TLV ${tag.toString(16)} has no length` };
    let len = bytes[i++];
    if (len === 0x81 || len === 0x82) {
      const n = len - 0x80;
      if (i + n > bytes.length) return { ok: false, error: `TLV ${tag.toString(16)} length is cut short` };
      len = n === 1 ? bytes[i] : (bytes[i] << 8) | bytes[i + 1];
      i += n;
    } else if (len >= 0x80) {
      return { ok: false, error: `TLV ${tag.toString(16)} has an unsupported length form ${hex2(len)}` };
    }
    if (i + len > bytes.length) return { ok: false, error: `TLV ${tag.toString(16)} claims ${len} bytes but ${bytes.length - i} remain` };
    items.push({ tag, value: bytes.subarray(i, i + len) });
    i += len;
  }
  return { ok: true, items };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** The first value with `tag`, or undefined. */
export function find(items: Tlv[], tag: number): Uint8Array | undefined {
  for (const it of items) if (it.tag === tag) return it.value;
  return undefined;
}
