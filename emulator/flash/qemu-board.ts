/**
 * The `qemu` flash method: a QEMU netduinoplus2 board (emulator/boards/qemu.ts) keeps its program
 * flash in a file, the ELF that QEMU loads with -kernel, and its NV sectors in another (the
 * image path + ".nv" unless --nv names one). Flashing writes the image into the flash file (any
 * format: it is written as an ELF of the image's segments, whole and atomically, so a board never
 * boots half an image), reads it back when asked, and restarts the board with it while its NV file
 * stays as it is; then the board must answer GET_INFO. See docs/boards.md, "Flashing a QEMU board".
 */
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { TokenClient, type TokenInfo } from '../../protocol/client.ts';
import { InputError } from '../../firmware/errors.ts';
import { DEFAULT_QEMU_ELF, QemuError, startQemu } from '../boards/qemu.ts';
import { nodeScheduler } from '../scheduler.ts';
import { readElf, writeElf } from './elf.ts';
import { FlashError } from './errors.ts';
import type { ProgressEvent } from './flasher.ts';
import { hex32, ImageError, imageSize, normalize, type Image, type Segment } from './image.ts';
import { outsideMap, STM32_PARTS, type MemoryMap } from './memory-map.ts';
import { familyName } from './uf2.ts';

/** QEMU's netduinoplus2: an STM32F405 with its 1 MiB of flash at 0x08000000 (aliased at 0 for the boot). */
export const NETDUINOPLUS2_MAP: MemoryMap = { name: 'QEMU netduinoplus2 (STM32F405)', units: STM32_PARTS[0x413].units };
const STM32F4_FAMILY = 0x57755a57;

/** One line about what a board answers to GET_INFO (the same for every flash method). */
export function runningLine(info: TokenInfo): string {
  return `running: tokenbench ${info.model} ${info.serial || '(no serial)'}, firmware ${info.firmwareVersion}, protocol ${info.protocolVersion}`;
}

/**
 * The ids of QEMU processes whose firmware was given `nv` as its NV file (from their command
 * lines in /proc; none where there is no /proc). Two QEMUs on one NV file would tear it.
 */
export function qemuProcessesOn(nv: string): number[] {
  const want = `arg=--nv=${resolve(nv)}`;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const pid of entries) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
      if (argv.some((a) => a.split(',').includes(want))) out.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** Waits until no QEMU uses `nv` any more (a board being stopped), at most `ms`. */
export async function qemuGone(nv: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const pids = qemuProcessesOn(nv);
    if (pids.length === 0) return;
    if (Date.now() > end)
      throw new FlashError(`QEMU (pid ${pids.join(', ')}) still runs on ${nv} ${ms} ms after it was told to quit; nothing was written`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Refuses the build output as a board's flash file (the next build would overwrite the board). */
export function checkFlashFile(flashFile: string): void {
  if (resolve(flashFile) === resolve(DEFAULT_QEMU_ELF)) {
    throw new InputError(
      'target',
      `${DEFAULT_QEMU_ELF} is what npm run board:build makes, not a board's flash: give the board its own file, e.g. qemu:netduinoplus2:board.elf`,
    );
  }
}

/** Refuses what a netduinoplus2 cannot run (outside its flash, a UF2 of another family); ImageError naming it. */
export function checkQemuImage(image: Image): void {
  if (image.family !== null && image.family !== STM32F4_FAMILY)
    throw new ImageError(`the UF2 is for ${familyName(image.family)}, not the STM32F4 of a netduinoplus2`);
  const outside = outsideMap(image.segments, NETDUINOPLUS2_MAP);
  if (outside) throw new ImageError(outside);
}

export interface QemuFlashOptions {
  /** The board's flash file (the ELF QEMU loads). */
  flashFile: string;
  image: Image;
  verify?: boolean;
  progress?: (e: ProgressEvent) => void;
}

const span = (s: Segment) => `${hex32(s.address)}..${hex32(s.address + s.data.length - 1)}`;

/** The ranges where `got` differs from `want` (both merged and sorted), as text; '' when equal. */
function differences(want: Segment[], got: Segment[]): string {
  const bad: string[] = [];
  for (const w of want) {
    const g = got.find((s) => s.address <= w.address && s.address + s.data.length >= w.address + w.data.length);
    if (!g) bad.push(span(w));
    else {
      const at = w.address - g.address;
      if (w.data.some((x, i) => g.data[at + i] !== x)) bad.push(span(w));
    }
  }
  if (got.length !== want.length) bad.push(`the file holds ${got.length} range(s), the image ${want.length}`);
  return bad.join(', ');
}

/**
 * Writes the image into the board's flash file (through a temporary file and a rename) and, with
 * `verify`, reads the file back and compares every byte. The board must not be running.
 */
export function writeFlashFile(o: QemuFlashOptions): { written: number; verified: boolean } {
  const emit = o.progress ?? (() => {});
  const file = resolve(o.flashFile);
  const total = imageSize(o.image);
  const want = normalize(o.image.segments, true);
  // The board boots from the vector table at the start of flash; the ELF entry only informs debuggers.
  const entry =
    o.image.entry ??
    (want[0] && want[0].data.length >= 8 ? new DataView(want[0].data.buffer, want[0].data.byteOffset).getUint32(4, true) & ~1 : null);
  const bytes = writeElf({ segments: o.image.segments, entry });
  emit({ stage: 'write', done: 0, total });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never made
    }
    throw new FlashError(
      `cannot write the board's flash file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; the board keeps its old image`,
    );
  }
  emit({ stage: 'write', done: total, total, finished: true });
  if (!o.verify) return { written: total, verified: false };
  emit({ stage: 'verify', done: 0, total });
  let got: Segment[];
  try {
    got = normalize(readElf(new Uint8Array(readFileSync(file))).segments, true);
  } catch (err) {
    throw new FlashError(`verify failed: ${file} does not read back as an ELF (${(err as Error).message})`);
  }
  const diff = differences(want, got);
  if (diff) throw new FlashError(`verify failed: ${file} reads back different from the image at ${diff}`);
  emit({ stage: 'verify', done: total, total, finished: true });
  return { written: total, verified: true };
}

/**
 * Boots the board from its flash file with its NV file, waits for GET_INFO, and powers it off
 * again (a board nobody holds open); the line says what runs. The NV file is the board's to keep.
 */
export async function bootOnce(
  flashFile: string,
  nv: string,
  progress: (e: ProgressEvent) => void,
  readyTimeoutMs = 10_000,
): Promise<string> {
  progress({ stage: 'start', done: 0, total: 1 });
  let board;
  try {
    board = await startQemu({ elf: flashFile, nv, readyTimeoutMs });
  } catch (err) {
    if (err instanceof QemuError) throw new FlashError(`the image is in ${flashFile} but the board does not start with it: ${err.message}`);
    throw err;
  }
  const link = new Link(streamPort(board.transport, Date.now), nodeScheduler, { timeoutMs: 3000 });
  try {
    const info = await new TokenClient(link).info();
    progress({ stage: 'start', done: 1, total: 1, finished: true });
    return runningLine(info);
  } catch (err) {
    throw new FlashError(`the board started but its GET_INFO failed: ${(err as Error).message}`);
  } finally {
    link.close();
    await board.stop();
  }
}
