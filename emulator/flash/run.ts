/**
 * One flash from start to end, for the CLI and the control API alike: pick the method from the
 * target, open it, run the common flow, and say what runs afterwards. Lines for people go to
 * `line`; bad targets are InputErrors, failures on the device FlashErrors.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../firmware/errors.ts';
import { parseAddress, type BoardAddress } from '../boards/address.ts';
import { probe } from '../boards/open.ts';
import { openDfuUsb } from './dfu-usb.ts';
import { FlashError } from './errors.ts';
import { flashImage, type FlashOptions, type ProgressEvent } from './flasher.ts';
import { findMarker, hex32, imageSize, ranges, sha256, type Image } from './image.ts';
import { bootOnce, checkFlashFile, checkQemuImage, qemuProcessesOn, runningLine, writeFlashFile } from './qemu-board.ts';
import { openStm32UartPort } from './stm32-uart.ts';
import { defaultNvFor } from '../boards/qemu-port.ts';
import type { Board } from '../boards/board.ts';
import { copyToDrive, findUf2Drives, readDrive } from './uf2-drive.ts';

export const FLASH_METHODS = ['stm32-uart', 'dfu', 'uf2', 'qemu'] as const;
export type FlashMethod = (typeof FLASH_METHODS)[number];

const bad = (message: string) => new InputError('target', message);

/** The method a target names when none is given. */
export function methodOf(target: string): FlashMethod {
  if (target.startsWith('serial:')) return 'stm32-uart';
  if (target.startsWith('usb:') || target === 'dfu') return 'dfu';
  if (target.startsWith('uf2:')) return 'uf2';
  if (target.startsWith('qemu:') || target.startsWith('token:')) return 'qemu';
  try {
    if (statSync(target).isDirectory()) return 'uf2';
  } catch {
    // not a folder
  }
  throw bad(
    `cannot tell how to flash "${target}": give serial:PATH[@BAUD] (stm32-uart), usb:VID:PID (dfu), uf2:FOLDER or uf2:auto (uf2), or qemu:netduinoplus2:BOARD.elf or token:ID (qemu)`,
  );
}

export function imageSummary(image: Image): string {
  const r = ranges(image);
  const fw = findMarker(image);
  return `image: ${imageSize(image)} bytes in ${r.length} range${r.length === 1 ? '' : 's'} from ${hex32(r[0][0])}, sha256 ${sha256(image).slice(0, 16)}...${fw ? `, tokenbench firmware ${fw.version} for ${fw.target}` : ''}`;
}

function serialAddress(target: string): Extract<BoardAddress, { kind: 'serial' }> {
  let a: BoardAddress;
  try {
    a = parseAddress(target);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (a.kind !== 'serial') throw bad(`stm32-uart flashes over a serial port; "${target}" is not serial:PATH[@BAUD]`);
  return a;
}

/** Waits up to `ms` for a tokenbench board to answer GET_INFO at `a`; one line saying what runs. */
async function whatRuns(a: BoardAddress, ms: number, now: () => number): Promise<string> {
  const end = now() + ms;
  let last = '';
  do {
    const r = await probe(a, 500);
    if (r.info) return runningLine(r.info);
    last = r.error ?? '';
  } while (now() < end);
  return `the board does not answer GET_INFO yet (${last || 'no answer'}); not tokenbench firmware, or still starting`;
}

export interface RunFlash extends FlashOptions {
  target: string;
  method: FlashMethod;
  image: Image;
  /** UF2 family for a UF2 drive (else the image's, else the board's). */
  family?: number;
  waitMs?: number;
  line: (text: string) => void;
  now: () => number;
  /** qemu: the board's NV file when the target names no attached board (default: flash file + ".nv"). */
  nv?: string;
  /** qemu: the running host's QEMU boards (the API passes them), restarted in place. */
  qemuBoards?: {
    qemuBoard(target: string): Board | null;
    flashQemu(b: Board, image: Image, verify: boolean, progress: (e: ProgressEvent) => void, line: (text: string) => void): Promise<string>;
  };
}

/**
 * The qemu method: target qemu:netduinoplus2:BOARD.elf (the board's flash file) or token:ID (a
 * QEMU board attached to the running host, which restarts it). See qemu-board.ts.
 */
async function runQemuFlash(r: RunFlash): Promise<void> {
  const progress = r.progress ?? (() => {});
  const attached = r.qemuBoards?.qemuBoard(r.target) ?? null;
  if (attached) {
    if (r.nv !== undefined) throw bad(`${attached.id} keeps the NV file it was attached with; --nv is for a board no host runs`);
    if (r.start === false) throw bad(`${attached.id} runs on this host: it restarts with the new image (no --no-start)`);
    r.line(await r.qemuBoards!.flashQemu(attached, r.image, !!r.verify, progress, r.line));
    return;
  }
  if (r.target.startsWith('token:'))
    throw bad(
      `${r.target} is a board of a running host: tokenbench flash sends it there (give --url or --data-dir if it is not the default host)`,
    );
  let a: BoardAddress;
  try {
    a = parseAddress(r.target);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (a.kind !== 'qemu')
    throw bad(
      `--method qemu flashes a QEMU board: give qemu:netduinoplus2:BOARD.elf (the board's flash file) or token:ID (one attached to the running host), not "${r.target}"`,
    );
  if (!a.elf)
    throw bad(`name the board's flash file: qemu:netduinoplus2:BOARD.elf (made if missing; its NV is BOARD.elf.nv unless --nv FILE)`);
  const flashFile = resolve(a.elf);
  const nv = resolve(r.nv ?? defaultNvFor(flashFile));
  checkFlashFile(flashFile);
  checkQemuImage(r.image);
  const running = qemuProcessesOn(nv);
  if (running.length)
    throw new FlashError(
      `the board is running (QEMU pid ${running.join(', ')} on ${nv}): flash it through the host that runs it (tokenbench flash token:ID IMAGE), or stop it first; nothing was written`,
    );
  r.line(`target: QEMU netduinoplus2 board, flash file ${flashFile}, NV ${nv} (kept)`);
  const res = writeFlashFile({ flashFile, image: r.image, verify: r.verify, progress });
  r.line(`flashed ${res.written} bytes${res.verified ? ', verified by reading back' : ''}`);
  if (r.start === false) {
    r.line('not started (--no-start): the board runs the new image when it next starts');
    return;
  }
  r.line(await bootOnce(flashFile, nv, progress, Math.max(r.waitMs ?? 10_000, 10_000)));
}

export async function runFlash(r: RunFlash): Promise<void> {
  if (r.method === 'qemu') return runQemuFlash(r);
  const options: FlashOptions = {
    verify: r.verify,
    massErase: r.massErase,
    confirm: r.confirm,
    progress: r.progress,
    start: r.start ?? true,
    attempts: r.attempts,
  };
  if (r.method === 'uf2') {
    const where = r.target.startsWith('uf2:') ? r.target.slice(4) : r.target;
    let drive;
    if (where === 'auto') {
      const found = findUf2Drives();
      if (found.length === 0)
        throw new FlashError(
          "no UF2 drive is mounted (a folder with INFO_UF2.TXT); double-tap the board's reset button and mount its drive",
        );
      if (found.length > 1) throw bad(`several UF2 drives are mounted (${found.map((d) => d.path).join(', ')}); name one with uf2:FOLDER`);
      drive = found[0];
    } else {
      drive = readDrive(where);
      if (!drive) throw bad(`${where} is not a UF2 drive: it has no INFO_UF2.TXT`);
    }
    r.line(`target: UF2 drive ${drive.path}, board ${drive.boardId || 'unknown'}`);
    const c = copyToDrive(drive, r.image, r.family, r.progress);
    r.line(
      `copied ${c.bytes} bytes to ${c.file} (family 0x${c.family!.toString(16)}); the board checks each block and restarts when it has them all`,
    );
    return;
  }
  if (r.method === 'stm32-uart') {
    const a = serialAddress(r.target);
    const t = await openStm32UartPort(a.path, a.baud);
    r.line(`target: ${t.description}`);
    try {
      const res = await flashImage(t, r.image, options);
      r.line(
        `flashed ${res.written} bytes${res.verified ? ', verified by reading back' : ''}${res.rewrittenUnits.length ? ` (units ${res.rewrittenUnits.join(', ')} written twice)` : ''}`,
      );
    } finally {
      await t.close();
    }
    if (options.start) r.line(await whatRuns({ kind: 'serial', path: a.path, baud: a.baud }, r.waitMs ?? 3000, r.now));
    return;
  }
  const t = await openDfuUsb(r.target);
  r.line(`target: ${t.description}`);
  try {
    const res = await flashImage(t, r.image, options);
    r.line(`flashed ${res.written} bytes${res.verified ? ', verified by reading back' : ''}`);
  } finally {
    await t.close();
  }
  if (options.start) r.line('the board leaves DFU mode and starts the firmware; tokenbench boards lists it once it is up');
}
