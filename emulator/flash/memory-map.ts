/**
 * Where a target's flash is and how it erases: a list of erase units (sectors or pages), each a
 * [start, size] pair. Flashing refuses any image byte outside them, and erases exactly the units
 * that an image touches.
 */
import { hex32, type Segment } from './image.ts';

export interface MemoryMap {
  /** What the map describes, e.g. "STM32F405/407 (PID 0x413)". */
  name: string;
  /** Erase units in address order: sector or page number = index. */
  units: Array<{ start: number; size: number }>;
}

/** Builds units from runs of [count, size] from `start`. */
export function unitsFrom(start: number, runs: Array<[count: number, size: number]>): MemoryMap['units'] {
  const out: MemoryMap['units'] = [];
  let at = start;
  for (const [count, size] of runs) {
    for (let i = 0; i < count; i++) {
      out.push({ start: at, size });
      at += size;
    }
  }
  return out;
}

export function flashRange(map: MemoryMap): [number, number] {
  const last = map.units[map.units.length - 1];
  return [map.units[0].start, last.start + last.size];
}

/** The first image byte outside the map, as a message, or null when the image fits. */
export function outsideMap(segments: Segment[], map: MemoryMap): string | null {
  const [lo, hi] = flashRange(map);
  for (const s of segments) {
    const end = s.address + s.data.length;
    if (s.address < lo || end > hi) {
      return `the image has bytes at ${hex32(Math.max(s.address, s.address < lo ? s.address : hi))}..${hex32(end - 1)}, outside the flash of ${map.name} (${hex32(lo)}..${hex32(hi - 1)})`;
    }
  }
  return null;
}

/** Indexes of the erase units that any image byte falls in. */
export function unitsTouched(segments: Segment[], map: MemoryMap): number[] {
  const out: number[] = [];
  map.units.forEach((u, i) => {
    if (segments.some((s) => s.address < u.start + u.size && s.address + s.data.length > u.start)) out.push(i);
  });
  return out;
}

/** STM32 parts by the product id their bootloader reports (reference manuals' flash module organisation). */
export const STM32_PARTS: Record<number, MemoryMap> = {
  0x413: {
    name: 'STM32F405/407/415/417 (PID 0x413)',
    units: unitsFrom(0x08000000, [
      [4, 16384],
      [1, 65536],
      [7, 131072],
    ]),
  },
  0x419: {
    name: 'STM32F42x/43x (PID 0x419)',
    units: unitsFrom(0x08000000, [
      [4, 16384],
      [1, 65536],
      [7, 131072],
      [4, 16384],
      [1, 65536],
      [7, 131072],
    ]),
  },
  0x431: {
    name: 'STM32F411 (PID 0x431)',
    units: unitsFrom(0x08000000, [
      [4, 16384],
      [1, 65536],
      [3, 131072],
    ]),
  },
  0x423: {
    name: 'STM32F401xB/C (PID 0x423)',
    units: unitsFrom(0x08000000, [
      [4, 16384],
      [1, 65536],
      [1, 131072],
    ]),
  },
  0x410: { name: 'STM32F10x medium density (PID 0x410)', units: unitsFrom(0x08000000, [[128, 1024]]) },
};
