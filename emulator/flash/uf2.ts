/**
 * UF2 (Microsoft's USB Flashing Format, "File format" section of its specification): 512-byte
 * blocks, each `magicStart0 magicStart1 flags targetAddr payloadSize blockNo numBlocks
 * fileSize|familyID data[476] magicEnd`, little-endian. Flags: 0x00000001 not main flash (skipped),
 * 0x00001000 file container, 0x00002000 familyID present, 0x00004000 MD5 present, 0x00008000
 * extension tags. The writer emits 256-byte payloads at 256-byte aligned addresses, as the
 * bootloaders of RP2040, nRF52 and SAMD boards expect; partial pages are filled with 0xFF.
 */
import { FILL, hex32, ImageError, normalize, type Image, type Segment } from './image.ts';

export const UF2_MAGIC0 = 0x0a324655;
export const UF2_MAGIC1 = 0x9e5d5157;
export const UF2_MAGIC_END = 0x0ab16f30;
export const UF2_FLAG = { NOT_MAIN_FLASH: 0x1, FILE_CONTAINER: 0x1000, FAMILY_ID: 0x2000, MD5: 0x4000, EXTENSION_TAGS: 0x8000 } as const;

/** Family ids a user may give by name (from the UF2 family list). */
export const UF2_FAMILIES: Record<string, number> = {
  stm32f4: 0x57755a57,
  stm32f407: 0x6d0922fa,
  rp2040: 0xe48bff56,
  nrf52840: 0xada52840,
  samd21: 0x68ed2b88,
  samd51: 0x55114460,
};

export function familyName(id: number): string {
  const name = Object.entries(UF2_FAMILIES).find(([, v]) => v === id)?.[0];
  return name ? `${hex32(id)} (${name.toUpperCase()})` : hex32(id);
}

/** Reads the main-flash blocks; with `family`, only blocks of that family (a file may hold several). */
export function readUf2(bytes: Uint8Array, family?: number): Image {
  if (bytes.length === 0) throw new ImageError('the UF2 file is empty');
  if (bytes.length % 512 !== 0)
    throw new ImageError(`block ${Math.floor(bytes.length / 512)}: only ${bytes.length % 512} of 512 bytes; the file is cut short`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segments: Segment[] = [];
  const families = new Set<number>();
  const seen = new Map<number | null, { total: number; got: Set<number> }>();
  for (let b = 0; b * 512 < bytes.length; b++) {
    const o = b * 512;
    const u = (k: number) => v.getUint32(o + k, true);
    const where = `block ${b} (file offset ${o})`;
    if (u(0) !== UF2_MAGIC0 || u(4) !== UF2_MAGIC1) throw new ImageError(`${where}: the start magic is wrong, not a UF2 block`);
    if (u(508) !== UF2_MAGIC_END) throw new ImageError(`${where}: the end magic is wrong, the block is damaged`);
    const flags = u(8);
    const target = u(12);
    const size = u(16);
    const blockNo = u(20);
    const numBlocks = u(24);
    const fam = flags & UF2_FLAG.FAMILY_ID ? u(28) : null;
    if (flags & UF2_FLAG.FILE_CONTAINER) throw new ImageError(`${where}: a file-container block (flag 0x1000), not flash contents`);
    if (size > 476) throw new ImageError(`${where}: payload size ${size} is more than the 476 bytes a block holds`);
    if (numBlocks === 0 || blockNo >= numBlocks)
      throw new ImageError(`${where}: block number ${blockNo} is not below the block count ${numBlocks}`);
    if (target + size > 0x1_0000_0000)
      throw new ImageError(`${where}: ${size} bytes at ${hex32(target)} run past the 32-bit address space`);
    if (fam !== null) families.add(fam);
    if (family !== undefined && fam !== family) continue;
    const s = seen.get(fam) ?? { total: numBlocks, got: new Set<number>() };
    if (s.total !== numBlocks) throw new ImageError(`${where}: block count ${numBlocks} differs from the ${s.total} of earlier blocks`);
    if (s.got.has(blockNo)) throw new ImageError(`${where}: block number ${blockNo} appears twice`);
    s.got.add(blockNo);
    seen.set(fam, s);
    if (flags & UF2_FLAG.NOT_MAIN_FLASH) continue;
    if (size > 0) segments.push({ address: target, data: bytes.slice(o + 32, o + 32 + size) });
  }
  if (family === undefined && families.size > 1) {
    throw new ImageError(
      `the file holds blocks of several families (${[...families].map(familyName).join(', ')}); choose one with --family`,
    );
  }
  for (const [fam, s] of seen) {
    if (s.got.size !== s.total) {
      const missing = Array.from({ length: s.total }, (_, i) => i).find((i) => !s.got.has(i))!;
      throw new ImageError(
        `block number ${missing} of ${s.total}${fam !== null ? ` (family ${familyName(fam)})` : ''} is missing; the file is incomplete`,
      );
    }
  }
  if (segments.length === 0)
    throw new ImageError(
      family !== undefined ? `no main-flash block of family ${familyName(family)}` : 'the file holds no main-flash blocks',
    );
  let merged: Segment[];
  try {
    merged = normalize(segments, true);
  } catch (err) {
    throw new ImageError(`blocks overlap: ${(err as Error).message}`);
  }
  const only = families.size === 1 ? [...families][0] : (family ?? null);
  return { segments: merged, entry: null, family: only, format: 'uf2' };
}

/** Blocks of 256 bytes at 256-aligned addresses covering every byte of the image. */
export function writeUf2(image: Pick<Image, 'segments'>, family: number | null, fill = FILL): Uint8Array {
  const pages = new Map<number, Uint8Array>();
  for (const s of normalize(image.segments)) {
    for (let i = 0; i < s.data.length; ) {
      const address = s.address + i;
      const page = address - (address % 256);
      let p = pages.get(page);
      if (!p) pages.set(page, (p = new Uint8Array(256).fill(fill)));
      const n = Math.min(256 - (address - page), s.data.length - i);
      p.set(s.data.subarray(i, i + n), address - page);
      i += n;
    }
  }
  const order = [...pages.keys()].sort((a, b) => a - b);
  const out = new Uint8Array(order.length * 512);
  const v = new DataView(out.buffer);
  order.forEach((page, n) => {
    const o = n * 512;
    v.setUint32(o, UF2_MAGIC0, true);
    v.setUint32(o + 4, UF2_MAGIC1, true);
    v.setUint32(o + 8, family !== null ? UF2_FLAG.FAMILY_ID : 0, true);
    v.setUint32(o + 12, page, true);
    v.setUint32(o + 16, 256, true);
    v.setUint32(o + 20, n, true);
    v.setUint32(o + 24, order.length, true);
    v.setUint32(o + 28, family ?? 0, true);
    out.set(pages.get(page)!, o + 32);
    v.setUint32(o + 508, UF2_MAGIC_END, true);
  });
  return out;
}
