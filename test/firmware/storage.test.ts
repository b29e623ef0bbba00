/**
 * The storage port's in-memory implementation (firmware/storage.ts), which the device models, the
 * power-cut tests and the conformance suite's model target rely on: records are kept as copies,
 * and the injected power cut happens at the write it names, landed or not, and nothing is written
 * after it until the storage is revived (DESIGN.md section 5).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage, PowerCut } from '../../firmware/storage.ts';

const b = (...xs: number[]) => Uint8Array.from(xs);

/** The PowerCut `fn` throws. */
function cut(fn: () => unknown): PowerCut {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PowerCut);
    return e as PowerCut;
  }
  throw new Error('expected a PowerCut, nothing was thrown');
}

describe('MemoryStorage', () => {
  it('reads back what was written, by key; an unknown key reads undefined', () => {
    const s = new MemoryStorage();
    expect(s.read('nv')).toBeUndefined();
    s.write('nv', b(1, 2));
    s.write('other', b(9));
    s.write('nv', b(3));
    expect(s.read('nv')).toEqual(b(3));
    expect(s.read('other')).toEqual(b(9));
    expect(s.writes).toBe(3);
    expect(s.dead).toBe(false);
  });

  it('keeps copies: changing the written or the read bytes afterwards changes nothing stored', () => {
    const s = new MemoryStorage();
    const written = b(1, 2, 3);
    s.write('nv', written);
    written[0] = 99;
    const read = s.read('nv')!;
    read[1] = 99;
    expect(s.read('nv')).toEqual(b(1, 2, 3));
  });

  it('cuts the power at the write after `cutAfter` successful ones, leaving the old bytes', () => {
    const s = new MemoryStorage({ cutAfter: 2 });
    s.write('nv', b(1));
    s.write('nv', b(2));
    const e = cut(() => s.write('nv', b(3)));
    expect([e.name, e.writes, e.message]).toEqual(['PowerCut', 2, 'power cut after 2 storage write(s)']);
    expect(s.read('nv')).toEqual(b(2));
    expect([s.writes, s.dead]).toEqual([2, true]);
    // Dead: every later write fails and changes nothing, to any key.
    expect(cut(() => s.write('other', b(4))).writes).toBe(2);
    expect(s.read('other')).toBeUndefined();
    expect(s.read('nv')).toEqual(b(2));
  });

  it('a landed cut stores the new bytes and still throws; cutAfter 0 cuts the first write', () => {
    const landed = new MemoryStorage({ cutAfter: 1, landed: true });
    landed.write('nv', b(1));
    const last = b(2);
    const e = cut(() => landed.write('nv', last));
    expect(e.writes).toBe(1);
    // The landed bytes are a copy too: the writer reusing its buffer after the cut changes nothing.
    last[0] = 99;
    expect(landed.read('nv')).toEqual(b(2));
    expect(landed.dead).toBe(true);
    expect(() => landed.write('nv', b(3))).toThrow(PowerCut);
    expect(landed.read('nv')).toEqual(b(2));

    const first = new MemoryStorage({ cutAfter: 0 });
    expect(cut(() => first.write('nv', b(1))).message).toBe('power cut after 0 storage write(s)');
    expect(first.read('nv')).toBeUndefined();
  });

  it('revive: the same records, powered again, with new options and its own copies', () => {
    const s = new MemoryStorage({ cutAfter: 1 });
    s.write('a', b(1));
    cut(() => s.write('b', b(2)));
    const next = s.revive();
    expect([next.read('a'), next.read('b'), next.writes, next.dead]).toEqual([b(1), undefined, 0, false]);
    next.write('a', b(7));
    next.write('b', b(8));
    expect(s.read('a')).toEqual(b(1));
    expect(s.read('b')).toBeUndefined();
    const again = next.revive({ cutAfter: 0 });
    expect(again.read('a')).toEqual(b(7));
    expect(() => again.write('a', b(0))).toThrow(PowerCut);
    expect(again.read('a')).toEqual(b(7));
  });
});
