/** `tokenbench flash TARGET IMAGE`: put a firmware image on a board through its bootloader. */
import { statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseAddress, type BoardAddress } from '../../boards/address.ts';
import { probe } from '../../boards/open.ts';
import { FlashError } from '../../flash/errors.ts';
import { flashImage, type FlashOptions } from '../../flash/flasher.ts';
import { readImageFile } from '../../flash/image-file.ts';
import { findMarker, hex32, imageSize, ranges, sha256, type Image } from '../../flash/image.ts';
import { progressPrinter } from '../../flash/progress.ts';
import { openStm32UartPort } from '../../flash/stm32-uart.ts';
import { openDfuUsb } from '../../flash/dfu-usb.ts';
import { copyToDrive, findUf2Drives, readDrive } from '../../flash/uf2-drive.ts';
import { int, oneOf, parse, UsageError, type Parsed } from '../args.ts';
import type { Command, Io } from './command.ts';
import { baseOption, familyOption } from './image.ts';

export const FLASH_METHODS = ['stm32-uart', 'dfu', 'uf2', 'qemu'] as const;
export type FlashMethod = (typeof FLASH_METHODS)[number];

/** The method a target names when --method is not given. */
export function methodOf(target: string): FlashMethod {
  if (target.startsWith('serial:')) return 'stm32-uart';
  if (target.startsWith('usb:') || target === 'dfu') return 'dfu';
  if (target.startsWith('uf2:')) return 'uf2';
  if (target === 'qemu' || target.startsWith('qemu:')) return 'qemu';
  try {
    if (statSync(target).isDirectory()) return 'uf2';
  } catch {
    // not a folder
  }
  throw new UsageError(`cannot tell how to flash "${target}": give serial:PATH[@BAUD] (stm32-uart), usb:VID:PID (dfu), uf2:FOLDER or uf2:auto (uf2), or qemu`);
}

async function confirmOn(io: Io, yes: boolean): Promise<NonNullable<FlashOptions['confirm']>> {
  return async (question) => {
    if (yes) return true;
    if (!process.stdin.isTTY) throw new UsageError(`${question.replace(/\?$/, '')}: this needs a yes; add --yes (no terminal to ask on)`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  };
}

function serialAddress(target: string): Extract<BoardAddress, { kind: 'serial' }> {
  try {
    const a = parseAddress(target);
    if (a.kind !== 'serial') throw new UsageError(`stm32-uart flashes over a serial port; "${target}" is not serial:PATH[@BAUD]`);
    return a;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Waits up to `ms` for a tokenbench board to answer GET_INFO at `a`; one line saying what runs. */
async function whatRuns(a: BoardAddress, ms: number, now: () => number): Promise<string> {
  const end = now() + ms;
  let last = '';
  do {
    const r = await probe(a, 500);
    if (r.info) return `running: tokenbench ${r.info.model} ${r.info.serial || '(no serial)'}, firmware ${r.info.firmwareVersion}, protocol ${r.info.protocolVersion}`;
    last = r.error ?? '';
  } while (now() < end);
  return `the board does not answer GET_INFO yet (${last || 'no answer'}); not tokenbench firmware, or still starting`;
}

function summary(image: Image): string {
  const r = ranges(image);
  const fw = findMarker(image);
  return `image: ${imageSize(image)} bytes in ${r.length} range${r.length === 1 ? '' : 's'} from ${hex32(r[0][0])}, sha256 ${sha256(image).slice(0, 16)}...${fw ? `, tokenbench firmware ${fw.version} for ${fw.target}` : ''}`;
}

export const flashCommand: Command = {
  name: 'flash',
  summary: 'write a firmware image to a board: STM32 UART bootloader, USB DFU, UF2 drive',
  usage: `tokenbench flash TARGET IMAGE [--method stm32-uart|dfu|uf2|qemu] [--verify] [--yes] [--mass-erase]
    [--base ADDR] [--family ID] [--no-start] [--wait MS]
  TARGET: serial:PATH[@BAUD]  an STM32 in its system bootloader on a UART (AN3155; BOOT0 high)
          usb:VID:PID[:SERIAL]  a USB DFU 1.1 / DfuSe bootloader (STM32: usb:0483:df11)
          uf2:FOLDER or uf2:auto  a mounted UF2 drive (found by its INFO_UF2.TXT)
  IMAGE: ELF, Intel HEX, UF2 or raw binary (--base, default 0x08000000).
  Refuses an image outside the target's flash. Erases the sectors the image touches (--mass-erase
  erases everything, after asking; --yes answers for scripts), writes with up to 3 attempts a
  block, reads back and compares with --verify, then starts the firmware (unless --no-start) and
  waits up to --wait ms (default 3000) for it to answer GET_INFO.
  A progress bar on a terminal; one line per stage otherwise.`,
  async run(args, io) {
    const p = parse(
      'flash',
      args,
      {
        method: { type: 'string' },
        verify: { type: 'boolean' },
        yes: { type: 'boolean' },
        'mass-erase': { type: 'boolean' },
        base: { type: 'string' },
        family: { type: 'string' },
        'no-start': { type: 'boolean' },
        wait: { type: 'string' },
      },
      true,
    );
    if (p.positionals.length !== 2) throw new UsageError('"flash" needs TARGET and IMAGE, e.g. tokenbench flash serial:/dev/ttyUSB0 build/fw.elf');
    const [target, file] = p.positionals;
    const method = oneOf(p, 'method', FLASH_METHODS) ?? methodOf(target);
    const waitMs = int(p, 'wait', 0, 600_000) ?? 3000;
    const tty = !!process.stderr.isTTY;
    const progress = progressPrinter({ tty, write: (t) => process.stderr.write(t), line: (l) => io.out(l), now: () => io.now() });
    if (method === 'qemu') {
      throw new UsageError('--method qemu needs the reference firmware\'s QEMU board (tokenbench board qemu), which this build does not have yet');
    }
    const image = readImageFile(file, { base: baseOption(p), family: familyOption(p) });
    io.out(summary(image));
    try {
      if (method === 'uf2') return flashUf2(target, image, p, io, progress);
      const options: FlashOptions = { verify: !!p.values.verify, massErase: !!p.values['mass-erase'], confirm: await confirmOn(io, !!p.values.yes), progress, start: !p.values['no-start'] };
      if (method === 'stm32-uart') {
        const a = serialAddress(target);
        const t = await openStm32UartPort(a.path, a.baud);
        io.out(`target: ${t.description}`);
        try {
          const r = await flashImage(t, image, options);
          io.out(`flashed ${r.written} bytes${r.verified ? ', verified by reading back' : ''}${r.rewrittenUnits.length ? ` (units ${r.rewrittenUnits.join(', ')} written twice)` : ''}`);
        } finally {
          await t.close();
        }
        if (options.start) io.out(await whatRuns({ kind: 'serial', path: a.path, baud: a.baud }, waitMs, () => io.now()));
        return 0;
      }
      const t = await openDfuUsb(target);
      io.out(`target: ${t.description}`);
      try {
        const r = await flashImage(t, image, options);
        io.out(`flashed ${r.written} bytes${r.verified ? ', verified by reading back' : ''}`);
      } finally {
        await t.close();
      }
      if (options.start) io.out('the board leaves DFU mode and starts the firmware; tokenbench boards lists it once it is up');
      return 0;
    } catch (err) {
      if (err instanceof FlashError) {
        io.err(`tokenbench: flash: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};

function flashUf2(target: string, image: Image, p: Parsed, io: Io, progress: ReturnType<typeof progressPrinter>): number {
  const where = target.startsWith('uf2:') ? target.slice(4) : target;
  let drive;
  if (where === 'auto') {
    const found = findUf2Drives();
    if (found.length === 0) throw new FlashError('no UF2 drive is mounted (a folder with INFO_UF2.TXT); double-tap the board\'s reset button and mount its drive');
    if (found.length > 1) throw new UsageError(`several UF2 drives are mounted (${found.map((d) => d.path).join(', ')}); name one with uf2:FOLDER`);
    drive = found[0];
  } else {
    drive = readDrive(where);
    if (!drive) throw new UsageError(`${where} is not a UF2 drive: it has no INFO_UF2.TXT`);
  }
  io.out(`target: UF2 drive ${drive.path}, board ${drive.boardId || 'unknown'}`);
  const r = copyToDrive(drive, image, familyOption(p), progress);
  io.out(`copied ${r.bytes} bytes to ${r.file} (family 0x${r.family!.toString(16)}); the board checks each block and restarts when it has them all`);
  return 0;
}
