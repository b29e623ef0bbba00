import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_QEMU_ELF } from '../../emulator/boards/qemu.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { DFU_STATE, DfuSe, parseDfuseLayout } from '../../emulator/flash/dfu.ts';
import { dfuTarget } from '../../emulator/flash/dfu-usb.ts';
import { flashImage } from '../../emulator/flash/flasher.ts';
import { DfuSeSimulator } from '../../emulator/flash/sim/dfu-sim.ts';
import { readUf2 } from '../../emulator/flash/uf2.ts';
import { findUf2Drives } from '../../emulator/flash/uf2-drive.ts';

const image = () => [
  { address: 0x08000000, data: new Uint8Array(9000).map((_, i) => (i * 5 + 1) & 0xff) },
  { address: 0x08010000, data: new Uint8Array(100).fill(0x42) },
];

function simTarget() {
  const sim = new DfuSeSimulator();
  const sleeps: number[] = [];
  const t = dfuTarget(sim, parseDfuseLayout(sim.layout), 'sim', { sleep: async (ms) => void sleeps.push(ms) });
  return { sim, t, sleeps };
}

describe('DfuSe flashing against the simulated device (control transfers)', () => {
  it('reads the STM32F4 memory description', () => {
    const m = parseDfuseLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg');
    expect(m.name).toBe('Internal Flash');
    expect(m.units).toHaveLength(12);
    expect(m.units[4]).toEqual({ start: 0x08010000, size: 65536 });
    expect(m.units[11]).toEqual({ start: 0x080e0000, size: 131072 });
    expect(() => parseDfuseLayout('@Option Bytes  /0x1FFFC000/01*016 e')).toThrow('the DFU memory "Option Bytes" has no writable sectors');
    expect(() => parseDfuseLayout('Internal Flash')).toThrow(
      'the DFU interface string "Internal Flash" is not a DfuSe memory description (@Name/0xADDR/N*SIZE...)',
    );
  });

  it('erases, writes, verifies by upload and leaves DFU at the flash start', async () => {
    const { sim, t, sleeps } = simTarget();
    await t.dfu.toIdle();
    const r = await flashImage(t, { segments: image() }, { verify: true });
    expect(r).toMatchObject({ erased: [0, 4], verified: true });
    for (const s of image()) expect(sim.flash.subarray(s.address - 0x08000000, s.address - 0x08000000 + s.data.length)).toEqual(s.data);
    expect(sim.log).toEqual(['erase 0x8000000', 'erase 0x8010000', 'manifest, start at 0x8000000']);
    expect(sim.started).toBe(0x08000000);
    expect(sleeps.every((ms) => ms === 5)).toBe(true); // it waited bwPollTimeout each time the device was busy
    expect(sleeps.length).toBeGreaterThan(0);
  });

  it('clears an error state, retries a failed block, names what stays unwritten', async () => {
    const { sim, t } = simTarget();
    sim.state = DFU_STATE.dfuERROR;
    sim.status = 14;
    await t.dfu.toIdle();
    expect(sim.state).toBe(DFU_STATE.dfuIDLE);
    sim.faults.failWrites = 2;
    await flashImage(t, { segments: image() }, { verify: true });
    const b = simTarget();
    await b.t.dfu.toIdle();
    b.sim.faults.failWrites = 99;
    await expect(flashImage(b.t, { segments: image() }, { verify: true })).rejects.toThrow(
      'writing 0x08000000..0x080007ff failed 3 times (writing 2048 bytes at 0x08000000: the device reports errPROG: program memory failed); not written: 0x08000000..0x08002327, 0x08010000..0x08010063',
    );
  });

  it('a DNLOAD in the wrong state stalls and the device goes to dfuERROR', async () => {
    const sim = new DfuSeSimulator();
    const dfu = new DfuSe(sim, { sleep: async () => {} });
    sim.pointer = 0x08000000;
    await sim.controlIn({ bmRequestType: 0xa1, bRequest: 2, wValue: 2, wIndex: 0 }, 16); // UPLOAD: now dfuUPLOAD-IDLE
    await expect(sim.controlOut({ bmRequestType: 0x21, bRequest: 1, wValue: 2, wIndex: 0 }, new Uint8Array(4))).rejects.toThrow('stall');
    expect((await dfu.getStatus()).state).toBe(DFU_STATE.dfuERROR);
    await dfu.toIdle();
    expect((await dfu.getStatus()).state).toBe(DFU_STATE.dfuIDLE);
  });

  it('writing over unerased flash fails with errPROG (the flow always erases first)', async () => {
    const sim = new DfuSeSimulator();
    const dfu = new DfuSe(sim, { sleep: async () => {} });
    await dfu.write(0x08000000, Uint8Array.of(1, 2, 3, 4));
    await expect(dfu.write(0x08000000, Uint8Array.of(9, 9, 9, 9))).rejects.toThrow(
      'writing 4 bytes at 0x08000000: the device reports errPROG: program memory failed',
    );
    await dfu.erasePage(0x08000000);
    await dfu.write(0x08000000, Uint8Array.of(9, 9, 9, 9));
    expect(await dfu.read(0x08000000, 4)).toEqual(Uint8Array.of(9, 9, 9, 9));
  });
});

describe('uf2 method: a folder that looks like a UF2 drive', () => {
  function drive(boardId: string) {
    const root = mkdtempSync(join(tmpdir(), 'tb-uf2-'));
    const d = join(root, 'RPI-RP2');
    mkdirSync(d);
    writeFileSync(join(d, 'INFO_UF2.TXT'), `UF2 Bootloader v3.0\r\nModel: Raspberry Pi RP2\r\nBoard-ID: ${boardId}\r\n`);
    writeFileSync(join(d, 'INDEX.HTM'), '<html></html>');
    return { root, d };
  }
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
    return { code, out, err };
  };

  it('finds the drive by INFO_UF2.TXT and copies the image as UF2 with the board family', async () => {
    const { root, d } = drive('RPI-RP2');
    expect(findUf2Drives([root, join(root, 'nope')]).map((x) => x.boardId)).toEqual(['RPI-RP2']);
    const bin = join(root, 'fw.bin');
    writeFileSync(bin, new Uint8Array(1000).fill(0x33));
    const r = await run('flash', `uf2:${d}`, bin, '--base', '0x10000000');
    expect(r.err).toEqual([]);
    expect(r.out).toContain('target: UF2 drive ' + d + ', board RPI-RP2');
    expect(r.out.at(-1)).toBe(
      `copied 2048 bytes to ${join(d, 'FIRMWARE.UF2')} (family 0xe48bff56); the board checks each block and restarts when it has them all`,
    );
    const u = readUf2(new Uint8Array(readFileSync(join(d, 'FIRMWARE.UF2'))));
    expect(u.family).toBe(0xe48bff56);
    expect(u.segments[0].address).toBe(0x10000000);
    expect(u.segments[0].data.subarray(0, 1000)).toEqual(new Uint8Array(1000).fill(0x33));
  });

  it('refuses an image outside the board flash, a wrong family, and a folder without INFO_UF2.TXT', async () => {
    const { root, d } = drive('RPI-RP2');
    const bin = join(root, 'fw.bin');
    writeFileSync(bin, new Uint8Array(16));
    expect((await run('flash', `uf2:${d}`, bin)).err).toEqual([
      `tokenbench: the image has bytes at 0x08000000..0x0800000f, outside the flash of RP2040 (2 MiB QSPI flash) (0x10000000..0x101fffff)`,
    ]);
    expect((await run('flash', `uf2:${d}`, bin, '--base', '0x10000000', '--family', 'stm32f4')).err).toEqual([
      'tokenbench: family 0x57755a57 is not the family of RP2040 (2 MiB QSPI flash) (0xe48bff56); its bootloader would ignore every block',
    ]);
    expect(await run('flash', `uf2:${root}`, bin)).toEqual({
      code: 2,
      out: ['image: 16 bytes in 1 range from 0x08000000, sha256 374708fff7719dd5...'],
      err: [`tokenbench: ${root} is not a UF2 drive: it has no INFO_UF2.TXT`],
    });
  });

  it('qemu: refuses a target that names no board flash file, an image outside its flash, and misplaced options', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-qemu-'));
    const bin = join(root, 'fw.bin');
    writeFileSync(bin, new Uint8Array(16));
    const image = 'image: 16 bytes in 1 range from 0x08000000, sha256 374708fff7719dd5...';
    expect(await run('flash', 'qemu:netduinoplus2', bin)).toEqual({
      code: 2,
      out: [image],
      err: [
        "tokenbench: name the board's flash file: qemu:netduinoplus2:BOARD.elf (made if missing; its NV is BOARD.elf.nv unless --nv FILE)",
      ],
    });
    expect((await run('flash', `qemu:netduinoplus2:${join(root, 'b.elf')}`, bin, '--base', '0x080ffff8')).err).toEqual([
      'tokenbench: the image has bytes at 0x08100000..0x08100007, outside the flash of QEMU netduinoplus2 (STM32F405) (0x08000000..0x080fffff)',
    ]);
    expect((await run('flash', `qemu:netduinoplus2:${DEFAULT_QEMU_ELF}`, bin)).err).toEqual([
      `tokenbench: ${DEFAULT_QEMU_ELF} is what npm run board:build makes, not a board's flash: give the board its own file, e.g. qemu:netduinoplus2:board.elf`,
    ]);
    expect((await run('flash', `serial:/dev/null`, bin, '--method', 'qemu')).err).toEqual([
      'tokenbench: --method qemu flashes a QEMU board: give qemu:netduinoplus2:BOARD.elf (the board\'s flash file) or token:ID (one attached to the running host), not "serial:/dev/null"',
    ]);
    expect((await run('flash', 'serial:/dev/null', bin, '--nv', 'x.nv')).err).toEqual([
      "tokenbench: --nv goes with --method qemu (a QEMU board's NV file)",
    ]);
    expect((await run('flash', 'token:b1', bin, '--nv', 'x.nv', '--url', 'http://127.0.0.1:1/?token=t')).err).toEqual([
      'tokenbench: --nv is for a qemu:netduinoplus2:BOARD.elf target; an attached board keeps its own NV file',
    ]);
    expect((await run('flash', 'token:b1', bin, '--method', 'dfu', '--url', 'http://127.0.0.1:1/?token=t')).err).toEqual([
      'tokenbench: a token:ID target is a QEMU board of the running host: --method qemu, not dfu',
    ]);
    expect((await run('flash', 'qemu', bin)).err).toEqual([
      'tokenbench: cannot tell how to flash "qemu": give serial:PATH[@BAUD] (stm32-uart), usb:VID:PID (dfu), uf2:FOLDER or uf2:auto (uf2), or qemu:netduinoplus2:BOARD.elf or token:ID (qemu)',
    ]);
    // Nothing was written anywhere.
    expect(readdirSync(root)).toEqual(['fw.bin']);
  });
});
