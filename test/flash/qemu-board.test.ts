/**
 * The qemu flash method's parts that need no QEMU: writing the board's flash file (any image
 * format becomes an ELF of exactly its segments, replaced whole), its refusals, and finding a
 * QEMU process that holds a board's NV file (emulator/flash/qemu-board.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkQemuImage, qemuProcessesOn, writeFlashFile } from '../../emulator/flash/qemu-board.ts';
import type { ProgressEvent } from '../../emulator/flash/flasher.ts';
import { readImageFile } from '../../emulator/flash/image-file.ts';
import { writeUf2 } from '../../emulator/flash/uf2.ts';
import type { Image } from '../../emulator/flash/image.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'tb-qemu-flash-'));
const vectors = new Uint8Array(64).map((_, i) => i);
new DataView(vectors.buffer).setUint32(4, 0x08000101, true); // reset vector (Thumb)
const image = (): Image => ({
  segments: [
    { address: 0x08000000, data: vectors },
    { address: 0x08004000, data: new Uint8Array(300).fill(0x5a) },
  ],
  entry: null,
  family: null,
  format: 'hex',
});

describe('qemu flash method without QEMU', () => {
  it('writes any image as an ELF of exactly its segments, entry from the reset vector, and reads it back', () => {
    const d = dir();
    const file = join(d, 'board.elf');
    const events: ProgressEvent[] = [];
    expect(writeFlashFile({ flashFile: file, image: image(), verify: true, progress: (e) => events.push(e) })).toEqual({
      written: 364,
      verified: true,
    });
    const back = readImageFile(file);
    expect(back.format).toBe('elf');
    expect(back.entry).toBe(0x08000100);
    expect(back.segments).toEqual(image().segments);
    expect(events.map((e) => `${e.stage} ${e.done}/${e.total}${e.finished ? ' done' : ''}`)).toEqual([
      'write 0/364',
      'write 364/364 done',
      'verify 0/364',
      'verify 364/364 done',
    ]);
    // A second flash replaces the whole file; no temporary file stays behind.
    writeFlashFile({ flashFile: file, image: { ...image(), segments: [{ address: 0x08000000, data: vectors }] } });
    expect(readImageFile(file).segments).toEqual([{ address: 0x08000000, data: vectors }]);
    expect(readdirSync(d)).toEqual(['board.elf']);
  });

  it('refuses an image outside the netduinoplus2 flash and a UF2 of another family; an unwritable flash file is one line', () => {
    expect(() => checkQemuImage({ ...image(), segments: [{ address: 0x080ffff0, data: new Uint8Array(32) }] })).toThrow(
      'the image has bytes at 0x08100000..0x0810000f, outside the flash of QEMU netduinoplus2 (STM32F405) (0x08000000..0x080fffff)',
    );
    const d = dir();
    writeFileSync(join(d, 'rp.uf2'), writeUf2({ segments: [{ address: 0x08000000, data: vectors }] }, 0xe48bff56));
    expect(() => checkQemuImage(readImageFile(join(d, 'rp.uf2')))).toThrow(
      'the UF2 is for 0xe48bff56 (RP2040), not the STM32F4 of a netduinoplus2',
    );
    expect(() => checkQemuImage(image())).not.toThrow();
    const folder = join(d, 'is-a-folder.elf');
    mkdirSync(folder);
    expect(() => writeFlashFile({ flashFile: folder, image: image() })).toThrow(
      `cannot write the board's flash file ${folder}: EISDIR; the board keeps its old image`,
    );
  });

  it.runIf(process.platform === 'linux')('finds a process started with a board NV file as its semihosting argument', async () => {
    const nv = join(dir(), 'b.elf.nv');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', `enable=on,target=native,arg=tokenbench,arg=--nv=${nv}`], {
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => child.once('spawn', r));
      expect(qemuProcessesOn(nv)).toEqual([child.pid]);
      expect(qemuProcessesOn(`${nv}.other`)).toEqual([]);
    } finally {
      child.kill();
    }
  });
});
