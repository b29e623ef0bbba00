import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../emulator/flash/progress.ts';

describe('flash progress', () => {
  it('on a terminal: a bar redrawn in place with bytes, rate and time left', () => {
    const writes: string[] = [];
    let now = 0;
    const p = progressPrinter({ tty: true, write: (t) => writes.push(t), line: () => writes.push('LINE'), now: () => now });
    p({ stage: 'write', done: 0, total: 20480 });
    now = 1000;
    p({ stage: 'write', done: 10240, total: 20480 });
    now = 2000;
    p({ stage: 'write', done: 20480, total: 20480, finished: true });
    expect(writes).toEqual([
      '\rwrite  [........................] 0 B/20.0 KiB  0 B/s  --:-- left\x1b[K',
      '\rwrite  [############............] 10.0 KiB/20.0 KiB  10.0 KiB/s  0:01 left\x1b[K',
      '\rwrite  [########################] 20.0 KiB/20.0 KiB  10.0 KiB/s  0:00 left\x1b[K\n',
    ]);
  });

  it('elsewhere: one line when a stage starts and one when it ends', () => {
    const lines: string[] = [];
    let now = 0;
    const p = progressPrinter({ tty: false, write: () => lines.push('WRITE'), line: (l) => lines.push(l), now: () => now });
    p({ stage: 'erase', done: 0, total: 2, note: 'units 0-1 (0x08000000..0x08007fff)' });
    p({ stage: 'erase', done: 1, total: 2, note: 'units 0-1 (0x08000000..0x08007fff)' });
    now = 500;
    p({ stage: 'erase', done: 2, total: 2, finished: true, note: 'units 0-1 (0x08000000..0x08007fff)' });
    p({ stage: 'write', done: 0, total: 4096 });
    p({ stage: 'write', done: 2048, total: 4096 });
    now = 1500;
    p({ stage: 'write', done: 4096, total: 4096, finished: true });
    expect(lines).toEqual([
      'erase: units 0-1 (0x08000000..0x08007fff)',
      'erase: done in 0.5 s',
      'write: 4096 bytes',
      'write: done in 1.0 s, 4.0 KiB/s',
    ]);
  });
});
