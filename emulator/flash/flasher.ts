/**
 * The flashing flow every method shares: refuse an image outside the target's memory map, erase
 * what the image touches (or everything, after asking), write in blocks retrying a failed block,
 * read back and compare, rewrite a unit that reads back wrong once, and name exactly the ranges
 * that are not written if it still fails.
 */
import { FlashError } from './errors.ts';
import { hex32, ImageError, normalize, type Image, type Segment } from './image.ts';
import { outsideMap, unitsTouched, type MemoryMap } from './memory-map.ts';
import type { FlashTarget } from './target.ts';

export type Stage = 'erase' | 'write' | 'verify' | 'start';

export interface ProgressEvent {
  stage: Stage;
  /** Bytes (or units, for erase) done and in all. */
  done: number;
  total: number;
  /** Set on the last event of a stage. */
  finished?: boolean;
  note?: string;
}

export interface FlashOptions {
  verify?: boolean;
  /** Erase the whole flash instead of the units the image touches. */
  massErase?: boolean;
  /** Asked before a mass erase; false stops the flash before anything is erased. */
  confirm?: (question: string) => Promise<boolean>;
  progress?: (e: ProgressEvent) => void;
  /** Attempts per block (default 3). */
  attempts?: number;
  /** Start the firmware afterwards (default true). */
  start?: boolean;
}

export interface FlashResult {
  erased: number[] | 'mass';
  written: number;
  verified: boolean;
  rewrittenUnits: number[];
}

const span = (s: Segment) => `${hex32(s.address)}..${hex32(s.address + s.data.length - 1)}`;

/** The image's bytes cut into blocks of at most `size` that do not cross a `size` boundary. */
export function blocks(segments: Segment[], size: number): Segment[] {
  const out: Segment[] = [];
  for (const s of normalize(segments, true)) {
    for (let i = 0; i < s.data.length; ) {
      const a = s.address + i;
      const n = Math.min(size - (a % size), s.data.length - i);
      out.push({ address: a, data: s.data.subarray(i, i + n) });
      i += n;
    }
  }
  return out;
}

/** The parts of `segments` from block `from` on, as ranges, for "not written" messages. */
function unwritten(all: Segment[], from: number): string {
  const rest = normalize(all.slice(from), true);
  return rest.map(span).join(', ');
}

function unitRange(map: MemoryMap, units: number[]): string {
  if (units.length === 0) return 'nothing';
  const first = map.units[units[0]];
  const last = map.units[units[units.length - 1]];
  const names = units.length === 1 ? `${units[0]}` : `${units[0]}-${units[units.length - 1]}`;
  return `unit${units.length > 1 ? 's' : ''} ${names} (${hex32(first.start)}..${hex32(last.start + last.size - 1)})`;
}

async function writeBlocks(target: FlashTarget, list: Segment[], attempts: number, progress: (n: number) => void): Promise<void> {
  for (let b = 0; b < list.length; b++) {
    const blk = list[b];
    for (let attempt = 1; ; attempt++) {
      try {
        await target.write(blk.address, blk.data);
        break;
      } catch (err) {
        if (attempt >= attempts) {
          throw new FlashError(
            `writing ${span(blk)} failed ${attempts} times (${(err as Error).message}); not written: ${unwritten(list, b)}`,
          );
        }
      }
    }
    progress(blk.data.length);
  }
}

/** Compares the target's contents with `list`; returns the blocks that differ. */
async function verifyBlocks(target: FlashTarget, list: Segment[], attempts: number, progress: (n: number) => void): Promise<Segment[]> {
  const bad: Segment[] = [];
  for (const blk of blocks(list, target.readBlock)) {
    let got: Uint8Array | null = null;
    for (let attempt = 1; got === null; attempt++) {
      try {
        got = await target.read(blk.address, blk.data.length);
      } catch (err) {
        if (attempt >= attempts) throw new FlashError(`reading back ${span(blk)} failed ${attempts} times: ${(err as Error).message}`);
      }
    }
    if (got.length !== blk.data.length || got.some((x, i) => x !== blk.data[i])) bad.push(blk);
    progress(blk.data.length);
  }
  return bad;
}

export async function flashImage(target: FlashTarget, image: Pick<Image, 'segments'>, options: FlashOptions = {}): Promise<FlashResult> {
  const map = target.map;
  const outside = outsideMap(image.segments, map);
  if (outside) throw new ImageError(outside);
  const attempts = options.attempts ?? 3;
  const emit = options.progress ?? (() => {});
  const list = blocks(image.segments, target.writeBlock);
  const total = list.reduce((n, s) => n + s.data.length, 0);
  let erased: number[] | 'mass' = [];
  if (target.needsErase) {
    if (options.massErase) {
      const ok = options.confirm ? await options.confirm(`erase all of the flash of ${map.name}, not just what the image covers?`) : false;
      if (!ok) throw new FlashError('mass erase not confirmed; nothing was erased or written');
      erased = 'mass';
      emit({ stage: 'erase', done: 0, total: 1, note: 'all of the flash' });
      await target.erase('mass');
      emit({ stage: 'erase', done: 1, total: 1, finished: true, note: 'all of the flash' });
    } else {
      erased = unitsTouched(image.segments, map);
      const note = unitRange(map, erased);
      emit({ stage: 'erase', done: 0, total: erased.length, note });
      for (let i = 0; i < erased.length; i++) {
        await target.erase([erased[i]]);
        emit({ stage: 'erase', done: i + 1, total: erased.length, finished: i + 1 === erased.length, note });
      }
    }
  }
  let done = 0;
  emit({ stage: 'write', done, total });
  await writeBlocks(target, list, attempts, (n) => emit({ stage: 'write', done: (done += n), total, finished: done === total }));
  const result: FlashResult = { erased, written: total, verified: false, rewrittenUnits: [] };
  if (options.verify && target.readBlock > 0) {
    let checked = 0;
    emit({ stage: 'verify', done: 0, total });
    let bad = await verifyBlocks(target, list, attempts, (n) =>
      emit({ stage: 'verify', done: (checked += n), total, finished: checked === total }),
    );
    if (bad.length && target.needsErase) {
      // Flash bits only go from 1 to 0: a wrong block is rewritten after erasing its unit again.
      const units = unitsTouched(bad, map);
      result.rewrittenUnits = units;
      const again = blocks(
        image.segments
          .flatMap((s) => units.map((u) => clip(s, map.units[u].start, map.units[u].start + map.units[u].size)))
          .filter((s): s is Segment => s !== null),
        target.writeBlock,
      );
      emit({
        stage: 'verify',
        done: checked,
        total,
        note: `${bad.length} block(s) read back wrong; erasing and writing ${unitRange(map, units)} again`,
      });
      for (const u of units) await target.erase([u]);
      await writeBlocks(target, again, attempts, () => {});
      bad = await verifyBlocks(target, again, attempts, () => {});
    }
    if (bad.length)
      throw new FlashError(
        `verify failed: these ranges read back different from the image, so they are not written: ${normalize(bad, true).map(span).join(', ')}`,
      );
    result.verified = true;
  }
  if (options.start ?? true) {
    emit({ stage: 'start', done: 0, total: 1 });
    await target.start(map.units[0].start);
    emit({ stage: 'start', done: 1, total: 1, finished: true });
  }
  return result;
}

function clip(s: Segment, lo: number, hi: number): Segment | null {
  const a = Math.max(s.address, lo);
  const b = Math.min(s.address + s.data.length, hi);
  return a < b ? { address: a, data: s.data.subarray(a - s.address, b - s.address) } : null;
}
