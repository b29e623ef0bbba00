/** `tokenbench flash TARGET IMAGE`: put a firmware image on a board through its bootloader. */
import { createInterface } from 'node:readline/promises';
import { FlashError } from '../../flash/errors.ts';
import type { FlashOptions, ProgressEvent } from '../../flash/flasher.ts';
import { readImageFile } from '../../flash/image-file.ts';
import { progressPrinter } from '../../flash/progress.ts';
import { FLASH_METHODS, imageSummary, methodOf, runFlash } from '../../flash/run.ts';
import { checkQemuImage } from '../../flash/qemu-board.ts';
import { resolve } from 'node:path';
import { int, oneOf, parse, str, UsageError, type Parsed } from '../args.ts';
import { clientOf } from './tokens.ts';
import type { Command } from './command.ts';
import { baseOption, familyOption } from './image.ts';

function confirmOn(yes: boolean): NonNullable<FlashOptions['confirm']> {
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

export const flashCommand: Command = {
  name: 'flash',
  summary: 'write a firmware image to a board: STM32 UART bootloader, USB DFU, UF2 drive',
  usage: `tokenbench flash TARGET IMAGE [--method stm32-uart|dfu|uf2|qemu] [--verify] [--yes] [--mass-erase]
    [--base ADDR] [--family ID] [--no-start] [--wait MS] [--nv FILE] [--url URL | --data-dir DIR]
  TARGET: serial:PATH[@BAUD]  an STM32 in its system bootloader on a UART (AN3155; BOOT0 high)
          usb:VID:PID[:SERIAL]  a USB DFU 1.1 / DfuSe bootloader (STM32: usb:0483:df11)
          uf2:FOLDER or uf2:auto  a mounted UF2 drive (found by its INFO_UF2.TXT)
          qemu:netduinoplus2:BOARD.elf  a QEMU board whose flash is the file BOARD.elf (made if
            missing) and NV BOARD.elf.nv (or --nv FILE), kept as it is; booted once to check it
          token:ID  a QEMU board attached to the running host (connect qemu:...): the host stops
            it, writes the image into its flash file and starts it again (--url/--data-dir)
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
        nv: { type: 'string' },
        url: { type: 'string' },
        'data-dir': { type: 'string' },
      },
      true,
    );
    if (p.positionals.length !== 2)
      throw new UsageError('"flash" needs TARGET and IMAGE, e.g. tokenbench flash serial:/dev/ttyUSB0 build/fw.elf');
    const [target, file] = p.positionals;
    const method = oneOf(p, 'method', FLASH_METHODS) ?? methodOf(target);
    const waitMs = int(p, 'wait', 0, 600_000) ?? 3000;
    const nv = str(p, 'nv');
    if (nv === '') throw new UsageError('--nv is empty');
    if (nv !== undefined && method !== 'qemu') throw new UsageError("--nv goes with --method qemu (a QEMU board's NV file)");
    if ((str(p, 'url') !== undefined || str(p, 'data-dir') !== undefined) && !target.startsWith('token:'))
      throw new UsageError('--url and --data-dir name the host of a token:ID target');
    const progress = progressPrinter({
      tty: !!process.stderr.isTTY,
      write: (t) => process.stderr.write(t),
      line: (l) => io.out(l),
      now: () => io.now(),
    });
    const image = readImageFile(file, { base: baseOption(p), family: familyOption(p) });
    io.out(imageSummary(image));
    if (target.startsWith('token:')) {
      if (method !== 'qemu') throw new UsageError(`a token:ID target is a QEMU board of the running host: --method qemu, not ${method}`);
      if (nv !== undefined)
        throw new UsageError('--nv is for a qemu:netduinoplus2:BOARD.elf target; an attached board keeps its own NV file');
      if (p.values['no-start']) throw new UsageError('an attached board restarts with the new image: no --no-start');
      checkQemuImage(image);
      return flashThroughHost(p, target, file, io, progress);
    }
    try {
      await runFlash({
        target,
        method,
        image,
        family: familyOption(p),
        verify: !!p.values.verify,
        massErase: !!p.values['mass-erase'],
        confirm: confirmOn(!!p.values.yes),
        start: !p.values['no-start'],
        waitMs,
        nv,
        progress,
        line: (l) => io.out(l),
        now: () => io.now(),
      });
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

/** Flashes a QEMU board attached to the running host: the host does it (POST /api/flash) and this follows the job. */
async function flashThroughHost(
  p: Parsed,
  target: string,
  file: string,
  io: Parameters<Command['run']>[1],
  progress: (e: ProgressEvent) => void,
): Promise<number> {
  const client = clientOf(p);
  let job = await client.flash({
    target,
    method: 'qemu',
    path: resolve(file),
    verify: !!p.values.verify,
    base: baseOption(p),
    family: familyOption(p),
  });
  let shown = 1; // the host's first line is the image summary printed above
  let last = '';
  for (;;) {
    const at = `${job.stage}:${job.done}`;
    if (job.stage && at !== last) {
      last = at;
      progress({ stage: job.stage, done: job.done, total: job.total, finished: job.total > 0 && job.done === job.total });
    }
    for (; shown < job.lines.length; shown++) io.out(job.lines[shown]);
    if (job.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
    job = await client.flashJob(job.id);
  }
  if (job.state === 'failed') {
    io.err(`tokenbench: flash: ${job.error}`);
    return 1;
  }
  return 0;
}
