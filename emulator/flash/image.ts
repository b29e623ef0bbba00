/**
 * A firmware image as flash tools see it: the bytes to write at each address, and where execution
 * starts. Every file format (ELF, Intel HEX, raw binary, UF2) reads into this and writes from it.
 *
 * The image's SHA-256 is taken over its flat form (what `image convert OUT.bin` writes: from the
 * lowest address to the end of the highest segment, gaps filled with 0xFF, the erased-flash value),
 * so the same content has the same digest whatever file it came in.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../firmware/errors.ts';

export interface Segment {
  /** The load (flash) address of data[0]. */
  address: number;
  data: Uint8Array;
}

export type ImageFormat = 'elf' | 'hex' | 'bin' | 'uf2';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['elf', 'hex', 'bin', 'uf2'];

export interface Image {
  /** Sorted by address, never overlapping. */
  segments: Segment[];
  /** The entry point (ELF e_entry, HEX record 05), or null where the format has none. */
  entry: number | null;
  /** The UF2 family id the file carried, if any. */
  family: number | null;
  /** The format it was read from. */
  format: ImageFormat;
}

/** Bad image files: the message names the record or block and what is wrong. */
export class ImageError extends InputError {
  constructor(message: string) {
    super('image', message);
  }
}

/** The erased-flash value used to fill gaps. */
export const FILL = 0xff;

export const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Sorts segments and checks they neither overlap nor leave the 32-bit address space. Adjacent
 * segments stay separate (ELF and HEX writers keep their boundaries), unless `merge` is set.
 */
export function normalize(segments: Segment[], merge = false): Segment[] {
  const sorted = segments.filter((s) => s.data.length > 0).sort((a, b) => a.address - b.address);
  const out: Segment[] = [];
  for (const s of sorted) {
    if (s.address < 0 || s.address + s.data.length > 0x1_0000_0000)
      throw new ImageError(`segment at ${hex32(s.address)} (${s.data.length} bytes) runs past the 32-bit address space`);
    const prev = out[out.length - 1];
    const prevEnd = prev ? prev.address + prev.data.length : 0;
    if (prev && s.address < prevEnd)
      throw new ImageError(`segment at ${hex32(s.address)} overlaps the one at ${hex32(prev.address)}..${hex32(prevEnd - 1)}`);
    if (prev && merge && s.address === prevEnd) {
      const joined = new Uint8Array(prev.data.length + s.data.length);
      joined.set(prev.data);
      joined.set(s.data, prev.data.length);
      out[out.length - 1] = { address: prev.address, data: joined };
    } else out.push({ address: s.address, data: s.data });
  }
  return out;
}

/** Contiguous address ranges of the image (adjacent segments joined), as [start, end) pairs. */
export function ranges(image: Pick<Image, 'segments'>): Array<[number, number]> {
  return normalize(image.segments, true).map((s) => [s.address, s.address + s.data.length]);
}

export function imageSize(image: Pick<Image, 'segments'>): number {
  return image.segments.reduce((n, s) => n + s.data.length, 0);
}

/** The image as one block from its lowest address, gaps filled with `fill`. */
export function flatten(image: Pick<Image, 'segments'>, fill = FILL): Segment {
  const segs = normalize(image.segments);
  if (segs.length === 0) return { address: 0, data: new Uint8Array(0) };
  const base = segs[0].address;
  const last = segs[segs.length - 1];
  const span = last.address + last.data.length - base;
  if (span > 256 * 1024 * 1024)
    throw new ImageError(`the image spans ${span} bytes from ${hex32(base)}; a flat binary that large is not a firmware image`);
  const data = new Uint8Array(span).fill(fill);
  for (const s of segs) data.set(s.data, s.address - base);
  return { address: base, data };
}

export function sha256(image: Pick<Image, 'segments'>): string {
  return createHash('sha256').update(flatten(image).data).digest('hex');
}

/**
 * The reference firmware's marker (docs/boards.md, "Flashing"): the NUL-terminated ASCII string
 * `tokenbench-fw version=VERSION target=TARGET` anywhere in the loaded bytes, at most 128 bytes.
 */
export interface FirmwareMarker {
  version: string;
  target: string;
}

const MARKER = new TextEncoder().encode('tokenbench-fw ');

export function findMarker(image: Pick<Image, 'segments'>): FirmwareMarker | null {
  for (const { data } of normalize(image.segments, true)) {
    for (let i = data.indexOf(MARKER[0]); i >= 0 && i + MARKER.length <= data.length; i = data.indexOf(MARKER[0], i + 1)) {
      if (!MARKER.every((b, k) => data[i + k] === b)) continue;
      const end = data.indexOf(0, i);
      if (end < 0 || end - i > 128) continue;
      const text = String.fromCharCode(...data.subarray(i + MARKER.length, end));
      const m = /^version=([\x21-\x7e]{1,32}) target=([\x21-\x7e]{1,32})$/.exec(text);
      if (m) return { version: m[1], target: m[2] };
    }
  }
  return null;
}

/** Which format `bytes` are in, from their first bytes (anything unrecognised is a raw binary). */
export function detectFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return 'elf';
  if (
    bytes.length >= 8 &&
    new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === 0x0a324655 &&
    new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true) === 0x9e5d5157
  )
    return 'uf2';
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x3a && bytes.subarray(0, 4096).every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09))
    return 'hex';
  return 'bin';
}

/** The format an output file name asks for, by its extension. */
export function formatOfName(name: string): ImageFormat | null {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  if (ext === 'elf' || ext === 'axf' || ext === 'out') return 'elf';
  if (ext === 'hex' || ext === 'ihex' || ext === 'ihx') return 'hex';
  if (ext === 'bin') return 'bin';
  if (ext === 'uf2') return 'uf2';
  return null;
}
