import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { readElf, writeElf } from '../../emulator/flash/elf.ts';
import { readHex, writeHex } from '../../emulator/flash/ihex.ts';
import { parseImage } from '../../emulator/flash/image-file.ts';
import { findMarker, flatten, normalize, type Segment } from '../../emulator/flash/image.ts';
import { readUf2, writeUf2 } from '../../emulator/flash/uf2.ts';
import { buildFixture, haveArmGcc, type Fixture } from './fixture.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
  return { code, out, err };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!haveArmGcc)('image files against arm-none-eabi-gcc and objcopy', () => {
  let f: Fixture;
  const p = (name: string) => join(f.dir, name);
  beforeAll(() => {
    f = buildFixture();
  });

  it('info shows ranges (load addresses), size, entry, SHA-256 and the firmware marker', async () => {
    const r = await run('image', 'info', f.elf);
    const ref = new Uint8Array(readFileSync(f.bin));
    expect(r.code).toBe(0);
    const entry = /Entry point address:\s+(0x[0-9a-f]+)/.exec(
      execFileSync('arm-none-eabi-readelf', ['-h', f.elf], { encoding: 'utf8' }),
    )![1];
    expect(r.out[0]).toBe(`${f.elf}: ELF, entry 0x${Number(entry).toString(16).padStart(8, '0')}`);
    expect(r.out[1]).toMatch(/^ {2}0x08000000\.\.0x08000[0-9a-f]{3} {2}\d+ bytes$/);
    expect(r.out[2]).toBe('  0x08010000..0x0801000f  16 bytes');
    expect(r.out).toContain(`sha256 ${sha(ref)}`);
    expect(r.out.at(-1)).toBe('tokenbench reference firmware 0.1.0 for test-m4');
    const json = JSON.parse((await run('image', 'info', f.hex, '--json')).out.join('\n'));
    expect(json).toMatchObject({ format: 'hex', sha256: sha(ref), firmware: { version: '0.1.0', target: 'test-m4' } });
  });

  it('writes the same Intel HEX and binary as objcopy, byte for byte', async () => {
    expect((await run('image', 'convert', f.elf, p('a.hex'))).code).toBe(0);
    expect(readFileSync(p('a.hex'))).toEqual(readFileSync(f.hex));
    expect((await run('image', 'convert', f.hex, p('a.bin'))).code).toBe(0);
    expect(readFileSync(p('a.bin'))).toEqual(readFileSync(f.bin));
  });

  it('round-trips ELF -> HEX -> bin -> UF2 -> bin without losing a byte', async () => {
    const original = readElf(new Uint8Array(readFileSync(f.elf)));
    await run('image', 'convert', f.elf, p('r.hex'));
    await run('image', 'convert', p('r.hex'), p('r.bin'));
    expect((await run('image', 'convert', p('r.bin'), p('r.uf2'), '--base', '0x08000000', '--family', 'stm32f4')).code).toBe(0);
    expect((await run('image', 'convert', p('r.uf2'), p('r2.bin'))).code).toBe(0);
    const fromHex = readHex(new Uint8Array(readFileSync(p('r.hex'))));
    expect(fromHex.segments).toEqual(normalize(original.segments, true));
    expect(fromHex.entry).toBe(original.entry);
    const bin = new Uint8Array(readFileSync(p('r.bin')));
    const uf2 = readUf2(new Uint8Array(readFileSync(p('r.uf2'))));
    expect(uf2.family).toBe(0x57755a57);
    // UF2 carries whole 256-byte pages: the binary comes back with its last page filled with 0xFF.
    const back = new Uint8Array(readFileSync(p('r2.bin')));
    expect(back.length).toBe(Math.ceil(bin.length / 256) * 256);
    expect(back.subarray(0, bin.length)).toEqual(bin);
    expect(back.subarray(bin.length).every((b) => b === 0xff)).toBe(true);
    // Every byte of every ELF segment is at its address in the final binary.
    for (const s of original.segments)
      expect(back.subarray(s.address - 0x08000000, s.address - 0x08000000 + s.data.length)).toEqual(s.data);
  });

  it('writes an ELF that objcopy reads back to the same binary', async () => {
    await run('image', 'convert', f.hex, p('w.elf'));
    execFileSync('arm-none-eabi-objcopy', ['--gap-fill', '0xff', '-O', 'binary', p('w.elf'), p('w.bin')]);
    expect(readFileSync(p('w.bin'))).toEqual(readFileSync(f.bin));
    expect(readElf(new Uint8Array(readFileSync(p('w.elf')))).entry).toBe(readElf(new Uint8Array(readFileSync(f.elf))).entry);
  });

  it('refuses an object file and a cut ELF in one line', async () => {
    expect(await run('image', 'info', f.object)).toEqual({
      code: 2,
      out: [],
      err: [`tokenbench: ${f.object}: ELF header: this is a relocatable object file (e_type 1); link it into an executable first`],
    });
    const elf = readFileSync(f.elf);
    writeFileSync(p('cut.elf'), elf.subarray(0, 0x1100));
    const r = await run('image', 'info', p('cut.elf'));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      expect.stringMatching(
        /^tokenbench: .*cut\.elf: program header 1: its \d+ bytes at offset \d+ run past the end of the file \(4352 bytes\)$/,
      ),
    ]);
  });
});

describe('malformed files get one line naming the record or block', () => {
  const hex = (lines: string[]) => new TextEncoder().encode(lines.join('\n') + '\n');
  const good = [':020000040800F2', ':0400000001020304F2', ':00000001FF'];
  it.each([
    [[':020000040800F2', ':0400000001020304F3', ':00000001FF'], "line 2: checksum F3 is wrong, the record's bytes need F2"],
    [[':020000040800F2', ':0400000601020304EC', ':00000001FF'], 'line 2: record type 06 is not one of 00-05'],
    [[':020000040800F2', ':0400000001020304F2'], 'the file ends without an end-of-file record (:00000001FF); it may be cut short'],
    [[':020000040800F2', ':0500000001020304F2', ':00000001FF'], 'line 2: the byte count says 5 data bytes but the record holds 4'],
    [[':020000040800F2', '0400000001020304F2', ':00000001FF'], 'line 2: a record must start with ":", found "040000000102"'],
    [[':020000040800F2', ':04000000010G0304F2', ':00000001FF'], 'line 2: a record holds only hex digits after ":", found "G"'],
    [[':02000004080F2', ':00000001FF'], 'line 1: a record needs an even number of hex digits, at least 10; it has 13'],
    [[':0300000408000FE2', ':00000001FF'], 'line 1: a type 04 record (extended linear address) carries 2 data bytes, this one 3'],
    [[':00000001FF', ':0400000001020304F2'], 'line 2: a record after the end-of-file record (01)'],
    [
      [':0400000001020304F2', ':0400020001020304F0', ':00000001FF'],
      'data records overlap: segment at 0x00000002 overlaps the one at 0x00000000..0x00000003',
    ],
  ])('HEX %#: %s', (lines, message) => {
    expect(() => readHex(hex(lines))).toThrow(message);
  });

  it('reads good records, including 02 and 03 addressing', () => {
    expect(readHex(hex(good)).segments).toEqual([{ address: 0x08000000, data: Uint8Array.of(1, 2, 3, 4) }]);
    const seg = readHex(hex([':020000021000EC', ':01001000559A', ':0400000300010002F6', ':00000001FF']));
    expect(seg.segments[0].address).toBe(0x10010);
    expect(seg.entry).toBe(0x10 + 2);
  });

  const uf2 = () => writeUf2({ segments: [{ address: 0x10000000, data: new Uint8Array(600).fill(7) }] }, 0xe48bff56);
  it.each([
    [(b: Uint8Array) => b.subarray(0, 1000), 'block 1: only 488 of 512 bytes; the file is cut short'],
    [(b: Uint8Array) => (b.set([0], 512), b), 'block 1 (file offset 512): the start magic is wrong, not a UF2 block'],
    [(b: Uint8Array) => (b.set([0], 1020), b), 'block 1 (file offset 512): the end magic is wrong, the block is damaged'],
    [
      (b: Uint8Array) => (new DataView(b.buffer).setUint32(512 + 16, 477, true), b),
      'block 1 (file offset 512): payload size 477 is more than the 476 bytes a block holds',
    ],
    [(b: Uint8Array) => b.subarray(0, 1024), 'block number 2 of 3 (family 0xe48bff56 (RP2040)) is missing; the file is incomplete'],
    [
      (b: Uint8Array) => (new DataView(b.buffer).setUint32(512 + 20, 0, true), b),
      'block 1 (file offset 512): block number 0 appears twice',
    ],
    [
      (b: Uint8Array) => (new DataView(b.buffer).setUint32(512 + 20, 5, true), b),
      'block 1 (file offset 512): block number 5 is not below the block count 3',
    ],
  ])('UF2 %#: %s', (damage, message) => {
    expect(() => readUf2(damage(uf2()))).toThrow(message);
  });

  it('a UF2 with two families needs --family, and gives each', () => {
    const a = writeUf2({ segments: [{ address: 0x10000000, data: new Uint8Array(256).fill(1) }] }, 0xe48bff56);
    const b = writeUf2({ segments: [{ address: 0x08000000, data: new Uint8Array(256).fill(2) }] }, 0x57755a57);
    const both = new Uint8Array([...a, ...b]);
    expect(() => readUf2(both)).toThrow(
      'the file holds blocks of several families (0xe48bff56 (RP2040), 0x57755a57 (STM32F4)); choose one with --family',
    );
    expect(readUf2(both, 0x57755a57).segments).toEqual([{ address: 0x08000000, data: new Uint8Array(256).fill(2) }]);
  });

  it('skips blocks flagged "not main flash"', () => {
    const b = uf2();
    new DataView(b.buffer).setUint32(8, 0x2001, true);
    expect(readUf2(b).segments[0].address).toBe(0x10000100);
  });

  it('the marker is found only in its exact form', () => {
    const enc = (s: string) => ({ segments: [{ address: 0, data: new TextEncoder().encode(`xx${s}\0yy`) }] });
    expect(findMarker(enc('tokenbench-fw version=1.2.3 target=feather-f405'))).toEqual({ version: '1.2.3', target: 'feather-f405' });
    expect(findMarker(enc('tokenbench-fw version=1.2.3'))).toBeNull();
    expect(findMarker({ segments: [{ address: 0, data: new TextEncoder().encode('tokenbench-fw version=1 target=x') }] })).toBeNull(); // no NUL
  });
});

describe('converters round-trip any segments (property)', () => {
  const segmentsArb = fc
    .array(fc.record({ address: fc.integer({ min: 0, max: 0xfff00000 }), data: fc.uint8Array({ minLength: 1, maxLength: 700 }) }), {
      minLength: 1,
      maxLength: 5,
    })
    .map((segs) => {
      // Make them disjoint by dropping any that overlap an earlier one.
      const kept: Segment[] = [];
      for (const s of segs.sort((a, b) => a.address - b.address)) {
        const prev = kept.at(-1);
        if (!prev || s.address >= prev.address + prev.data.length + 1) kept.push(s);
      }
      return kept;
    });

  it('HEX and ELF keep every segment and the entry exactly', () => {
    fc.assert(
      fc.property(segmentsArb, fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: null }), (segments, entry) => {
        const h = readHex(writeHex({ segments, entry }));
        expect(normalize(h.segments, true)).toEqual(normalize(segments, true));
        expect(h.entry).toBe(entry);
        const e = readElf(writeElf({ segments, entry }));
        expect(e.segments).toEqual(normalize(segments));
      }),
      { numRuns: 200 },
    );
  });

  it('UF2 keeps every byte at its address and adds only 0xFF page fill', () => {
    fc.assert(
      fc.property(
        segmentsArb.filter((s) => s.at(-1)!.address - s[0].address < 1 << 20),
        (segments) => {
          const u = readUf2(writeUf2({ segments }, null));
          const flat = flatten(u);
          for (const s of segments)
            expect(flat.data.subarray(s.address - flat.address, s.address - flat.address + s.data.length)).toEqual(s.data);
          const total = u.segments.reduce((n, s) => n + s.data.length, 0);
          expect(total % 256).toBe(0);
          expect(parseImage(writeUf2({ segments }, null)).format).toBe('uf2');
        },
      ),
      { numRuns: 100 },
    );
  });
});
