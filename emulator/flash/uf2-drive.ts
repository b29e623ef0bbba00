/**
 * The `uf2` flash method: a board in its UF2 bootloader shows up as a small USB drive holding
 * INFO_UF2.TXT (its `Board-ID:` line names the board); copying a .uf2 file onto it flashes the
 * board, which then resets and the drive goes away. Nothing can be read back, so verification is
 * the bootloader's own; the image is checked against the board's flash before it is copied.
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { FlashError } from './errors.ts';
import { ImageError, type Image } from './image.ts';
import { outsideMap, unitsFrom, type MemoryMap } from './memory-map.ts';
import { UF2_FAMILIES, writeUf2 } from './uf2.ts';
import type { ProgressEvent } from './flasher.ts';

export interface Uf2Drive {
  path: string;
  info: Record<string, string>;
  boardId: string;
}

/** Boards by the start of their Board-ID: family and application flash (after the bootloader). */
const BOARDS: Array<{ prefix: string; family: number; map: MemoryMap }> = [
  {
    prefix: 'RPI-RP2',
    family: UF2_FAMILIES.rp2040,
    map: { name: 'RP2040 (2 MiB QSPI flash)', units: unitsFrom(0x10000000, [[512, 4096]]) },
  },
  {
    prefix: 'SAMD21',
    family: UF2_FAMILIES.samd21,
    map: { name: 'SAMD21 (256 KiB, 8 KiB bootloader)', units: unitsFrom(0x2000, [[248 * 4, 256]]) },
  },
  {
    prefix: 'SAMD51',
    family: UF2_FAMILIES.samd51,
    map: { name: 'SAMD51 (512 KiB, 16 KiB bootloader)', units: unitsFrom(0x4000, [[496, 1024]]) },
  },
  {
    prefix: 'nRF52840',
    family: UF2_FAMILIES.nrf52840,
    map: { name: 'nRF52840 (application area after SoftDevice S140 6.x)', units: unitsFrom(0x26000, [[186, 4096]]) },
  },
];

export function readDrive(path: string): Uf2Drive | null {
  const file = join(path, 'INFO_UF2.TXT');
  if (!existsSync(file)) return null;
  const info: Record<string, string> = {};
  for (const line of readFileSync(file, 'latin1').split(/\r?\n/)) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m) info[m[1]] = m[2].trim();
  }
  return { path, info, boardId: info['Board-ID'] ?? '' };
}

/** Mounted UF2 drives under the usual mount folders (or `roots`). */
export function findUf2Drives(roots?: string[]): Uf2Drive[] {
  const user = (() => {
    try {
      return userInfo().username;
    } catch {
      return '';
    }
  })();
  const dirs = roots ?? [`/media/${user}`, `/run/media/${user}`, '/media', '/mnt', '/Volumes'];
  const out: Uf2Drive[] = [];
  for (const root of dirs) {
    let names: string[] = [];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const n of names) {
      const d = readDrive(join(root, n));
      if (d && !out.some((o) => o.path === d.path)) out.push(d);
    }
  }
  return out;
}

export function boardOf(drive: Uf2Drive): (typeof BOARDS)[number] | null {
  return BOARDS.find((b) => drive.boardId.startsWith(b.prefix)) ?? null;
}

/** Writes the image as a UF2 file onto the drive, in 32 KiB steps with progress. */
export function copyToDrive(
  drive: Uf2Drive,
  image: Pick<Image, 'segments' | 'family'>,
  family: number | undefined,
  progress: (e: ProgressEvent) => void = () => {},
): { file: string; bytes: number; family: number | null } {
  const board = boardOf(drive);
  if (board) {
    const outside = outsideMap(image.segments, board.map);
    if (outside) throw new ImageError(outside);
  }
  const fam = family ?? image.family ?? board?.family ?? null;
  if (fam === null) throw new ImageError(`cannot tell the UF2 family for board "${drive.boardId || 'unknown'}"; give --family`);
  if (board && fam !== board.family)
    throw new ImageError(
      `family 0x${fam.toString(16)} is not the family of ${board.map.name} (0x${board.family.toString(16)}); its bootloader would ignore every block`,
    );
  const bytes = writeUf2(image, fam);
  const file = join(drive.path, 'FIRMWARE.UF2');
  let fd: number;
  try {
    if (!statSync(drive.path).isDirectory()) throw new Error('not a folder');
    fd = openSync(file, 'w');
  } catch (err) {
    throw new FlashError(`cannot write to the UF2 drive ${drive.path}: ${(err as Error).message}`);
  }
  try {
    progress({ stage: 'write', done: 0, total: bytes.length });
    for (let o = 0; o < bytes.length; o += 32768) {
      const n = Math.min(32768, bytes.length - o);
      writeSync(fd, bytes, o, n);
      progress({ stage: 'write', done: o + n, total: bytes.length, finished: o + n === bytes.length });
    }
    fsyncSync(fd);
  } catch (err) {
    throw new FlashError(
      `copying to ${file} failed after part of the file (${(err as Error).message}); the board may hold a partial image: copy it again`,
    );
  } finally {
    closeSync(fd);
  }
  return { file, bytes: bytes.length, family: fam };
}
