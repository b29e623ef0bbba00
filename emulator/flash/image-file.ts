/** Reading an image file in whatever format it is, and encoding an image in a chosen format. */
import { readFileSync } from 'node:fs';
import { readElf, writeElf } from './elf.ts';
import { readHex, writeHex } from './ihex.ts';
import { readUf2, writeUf2 } from './uf2.ts';
import { detectFormat, FILL, flatten, ImageError, normalize, type Image, type ImageFormat } from './image.ts';

/** Where a raw binary goes when no --base is given: the start of STM32 flash. */
export const DEFAULT_BIN_BASE = 0x08000000;

export interface ReadOptions {
  /** Load address of a raw binary. */
  base?: number;
  /** UF2 family to take from a multi-family file. */
  family?: number;
  /** Force a format instead of detecting it. */
  format?: ImageFormat;
}

export function parseImage(bytes: Uint8Array, options: ReadOptions = {}): Image {
  const format = options.format ?? detectFormat(bytes);
  switch (format) {
    case 'elf':
      return readElf(bytes);
    case 'hex':
      return readHex(bytes);
    case 'uf2':
      return readUf2(bytes, options.family);
    case 'bin': {
      if (bytes.length === 0) throw new ImageError('the binary file is empty');
      const base = options.base ?? DEFAULT_BIN_BASE;
      if (base + bytes.length > 0x1_0000_0000)
        throw new ImageError(`${bytes.length} bytes at base 0x${base.toString(16)} run past the 32-bit address space`);
      return { segments: normalize([{ address: base, data: bytes }]), entry: null, family: null, format: 'bin' };
    }
  }
}

/** Reads `path`; a file that cannot be read is an ImageError naming it. */
export function readImageFile(path: string, options: ReadOptions = {}): Image {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ImageError(
      `cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder' : e.message}`,
    );
  }
  try {
    return parseImage(bytes, options);
  } catch (err) {
    if (err instanceof ImageError) throw new ImageError(`${path}: ${err.message}`);
    throw err;
  }
}

export interface WriteOptions {
  family?: number | null;
  fill?: number;
}

export function encodeImage(image: Image, format: ImageFormat, options: WriteOptions = {}): Uint8Array {
  switch (format) {
    case 'elf':
      return writeElf(image);
    case 'hex':
      return writeHex(image);
    case 'uf2':
      return writeUf2(image, options.family !== undefined ? options.family : image.family, options.fill ?? FILL);
    case 'bin':
      return flatten(image, options.fill ?? FILL).data;
  }
}
