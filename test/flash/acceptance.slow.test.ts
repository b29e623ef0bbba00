/**
 * Issue 11's acceptance, end to end through the CLI: build the reference firmware, flash it to a
 * QEMU board with --method qemu, provision it over its pty (DSC+, secret, serial, PIN), seal it,
 * see provisioning refused without the board key and accepted with it, flash again and find the
 * board's NV kept (also through a host that runs the board), run the conformance suite against
 * it, and flash the same image through the AN3155 simulator on a pty and the DfuSe simulator,
 * reading both back byte for byte through their bootloader protocols.
 *
 * The whole suite runs against the sealed board over its pty, with the board key (its first case
 * factory-resets the board, which then counts as an unsealed one). A serial: target has no
 * allowance for a slow link (the qemu: target has, docs/conformance.md), so each answer gets 8 s:
 * QEMU's USART can take about 2 s for a 4 KB frame on a loaded machine.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { startQemu, type QemuBoard } from '../../emulator/boards/qemu.ts';
import { parseDfuseLayout } from '../../emulator/flash/dfu.ts';
import { dfuTarget } from '../../emulator/flash/dfu-usb.ts';
import { flashImage } from '../../emulator/flash/flasher.ts';
import { readImageFile } from '../../emulator/flash/image-file.ts';
import { flatten, type Image } from '../../emulator/flash/image.ts';
import { An3155Simulator } from '../../emulator/flash/sim/an3155-sim.ts';
import { DfuSeSimulator } from '../../emulator/flash/sim/dfu-sim.ts';
import { ptyPair, type PtyPair } from '../../emulator/flash/sim/pty-pair.ts';
import { serveByteMachine } from '../../emulator/flash/sim/serve.ts';
import { openStm32UartPort } from '../../emulator/flash/stm32-uart.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { lab } from '../emulator/helpers.ts';
import { haveArmGcc, haveQemu, make, needing, QEMU_ELF, tempDir } from '../board/board-tools.ts';
import { haveCommand, requiredInCi } from '../tools.ts';

const haveSocat = requiredInCi('socat', haveCommand('socat', ['-V']));
const SECRET = '3132333435363738393031323334353637383930'; // RFC 4226 / 6287's 20-byte key
const SUITE = 'OCRA-1:HOTP-SHA1-8:QN06';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => Date.now() });
  return { code, out, err };
}

/** Reads `image`'s ranges back through a flash target, in its read block size. */
async function readBack(t: { read(a: number, n: number): Promise<Uint8Array>; readBlock: number }, image: Image): Promise<Uint8Array> {
  const flat = flatten(image);
  const got = new Uint8Array(flat.data.length);
  for (let at = 0; at < got.length; at += t.readBlock) got.set(await t.read(flat.address + at, Math.min(t.readBlock, got.length - at)), at);
  return got;
}

describe.runIf(haveArmGcc && haveQemu && haveSocat)(
  needing('flashing and provisioning acceptance (issue 11)', [
    [haveArmGcc, 'gcc-arm-none-eabi'],
    [haveQemu, 'qemu-system-arm'],
    [haveSocat, 'socat'],
  ]),
  () => {
    const dir = tempDir('tb-accept-');
    const boardElf = join(dir, 'board.elf');
    const nv = `${boardElf}.nv`;
    const key = join(dir, 'board.key');
    let image: Image;
    let board: QemuBoard | null = null;
    /** Provisions target `t` as a sealed DSC+ ACC-0001 with PIN 4321, keeping its board key in `key`. */
    const provisionSealed = (t: string) => [
      'provision',
      t,
      '--model',
      'dscplus',
      '--secret',
      SECRET,
      '--suite',
      SUITE,
      '--serial',
      'ACC-0001',
      '--pin',
      '4321',
      '--seal',
      '--board-key',
      key,
    ];
    /** What provisioning a sealed board without its key answers. */
    const sealedRefusal = (t: string) =>
      `tokenbench: provision: ${t} is sealed: provisioning it again needs its board key (--board-key FILE)`;

    /** Powers the board on (QEMU on a pty) and leaves the pty free for the CLI. */
    async function powerOn(): Promise<string> {
      board = await startQemu({ elf: boardElf, nv });
      board.transport.close();
      // The close above finishes later; the pty is free once another open takes its lock.
      for (let i = 0; ; i++) {
        const p = new SerialPort({ path: board.pty, baudRate: 115200, autoOpen: false });
        const opened = await new Promise<boolean>((r) => p.open((err) => r(!err)));
        if (opened) {
          await new Promise((r) => p.close(r));
          return board.pty;
        }
        if (i >= 100) throw new Error(`${board.pty} stays locked`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    async function powerOff(): Promise<void> {
      await board?.stop();
      board = null;
    }

    beforeAll(() => {
      make('netduinoplus2');
      image = readImageFile(QEMU_ELF);
    }, 180_000);
    afterEach(powerOff);

    it('flashes the reference firmware to a QEMU board with --method qemu and reads what it runs', async () => {
      const r = await cli('flash', `qemu:netduinoplus2:${boardElf}`, QEMU_ELF, '--method', 'qemu', '--verify');
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`target: QEMU netduinoplus2 board, flash file ${boardElf}, NV ${nv} (kept)`);
      expect(r.out).toEqual(
        expect.arrayContaining([`write: ${image.segments.reduce((n, s) => n + s.data.length, 0)} bytes`, 'start: starting the firmware']),
      );
      expect(r.out).toContain(`flashed ${flatten(image).data.length} bytes, verified by reading back`);
      expect(r.out.at(-1)).toMatch(/^running: tokenbench dscplus BOARD-0001, firmware 1\.0\.0-board, protocol 1$/);
      expect(existsSync(nv)).toBe(true);
      // The board's flash holds exactly the image.
      expect(flatten(readImageFile(boardElf))).toEqual(flatten(image));
    }, 60_000);

    it('refuses what a netduinoplus2 cannot take, in one line', async () => {
      const bin = join(dir, 'fw.bin');
      expect((await cli('image', 'convert', QEMU_ELF, bin)).code).toBe(0);
      expect(await cli('flash', `qemu:netduinoplus2:${boardElf}`, bin, '--base', '0x20000000')).toMatchObject({
        code: 2,
        err: [
          expect.stringMatching(
            /^tokenbench: the image has bytes at 0x20000000\.\.0x200[0-9a-f]{5}, outside the flash of QEMU netduinoplus2 \(STM32F405\) \(0x08000000\.\.0x080fffff\)$/,
          ),
        ],
      });
      expect((await cli('flash', 'qemu:netduinoplus2', QEMU_ELF)).err).toEqual([
        "tokenbench: name the board's flash file: qemu:netduinoplus2:BOARD.elf (made if missing; its NV is BOARD.elf.nv unless --nv FILE)",
      ]);
      expect((await cli('flash', `serial:/dev/null`, QEMU_ELF, '--nv', nv)).err).toEqual([
        "tokenbench: --nv goes with --method qemu (a QEMU board's NV file)",
      ]);
    });

    it('provisions it over its pty, seals it, and then takes provisioning only with the board key', async () => {
      const pty = await powerOn();
      const t = `serial:${pty}`;
      const first = await cli(...provisionSealed(t));
      expect(first.err).toEqual([]);
      expect(first.code).toBe(0);
      const expected = ocra(SUITE, Buffer.from(SECRET, 'hex'), { question: '314159' });
      expect(first.out).toEqual([
        `new board key written to ${key} (mode 0600): keep it, a sealed board needs it to be provisioned again`,
        `provisioned ${t}: dscplus ACC-0001, ${SUITE}, firmware 1.0.0-board`,
        '  secret written (20 bytes)',
        `  suite ${SUITE}`,
        '  serial ACC-0001',
        '  PIN set',
        `  checked: TEST_COMPUTE 314159 = ${expected}, as the golden model`,
        '  board key stored',
        '  sealed',
      ]);
      expect(await cli('provision', t, '--model', 'dscplus', '--random')).toEqual({
        code: 1,
        out: [],
        err: [sealedRefusal(t)],
      });
      const wrong = join(dir, 'wrong.key');
      writeFileSync(wrong, new Uint8Array(32).fill(9));
      expect((await cli('provision', t, '--model', 'dscplus', '--random', '--board-key', wrong)).err).toEqual([
        'tokenbench: provision: authentication failed: the device does not accept this key',
      ]);
      const again = await cli(...provisionSealed(t));
      expect(again.err).toEqual([]);
      expect(again.out.slice(0, 3)).toEqual([
        `provisioned ${t}: dscplus ACC-0001, ${SUITE}, firmware 1.0.0-board`,
        '  authenticated with the board key',
        '  factory reset (it was sealed)',
      ]);
      expect(again.out.slice(-2)).toEqual(['  board key stored', '  sealed']);
    }, 120_000);

    it('flashes it again and it keeps its NV (serial, secret, seal); a running board is not flashed behind its back', async () => {
      const pty = await powerOn();
      const busy = await cli('flash', `qemu:netduinoplus2:${boardElf}`, QEMU_ELF);
      expect(busy.code).toBe(1);
      expect(busy.err).toEqual([
        expect.stringMatching(
          /^tokenbench: flash: the board is running \(QEMU pid \d+ on .*board\.elf\.nv\): flash it through the host that runs it/,
        ),
      ]);
      expect(pty).toMatch(/^\/dev\/pts\//);
      await powerOff();
      const r = await cli('flash', `qemu:netduinoplus2:${boardElf}`, QEMU_ELF, '--method', 'qemu');
      expect(r.err).toEqual([]);
      expect(r.out.at(-1)).toBe('running: tokenbench dscplus ACC-0001, firmware 1.0.0-board, protocol 1');
      const t = `serial:${await powerOn()}`;
      expect((await cli('provision', t, '--model', 'dscplus', '--random')).err).toEqual([sealedRefusal(t)]);
    }, 120_000);

    it('a host that runs the board restarts it with the new image (token:ID), NV kept', async () => {
      const l = await lab({ boardTimeoutMs: 3000 });
      try {
        const t = await l.client.connect(`qemu:netduinoplus2:${boardElf}`, 'qb');
        expect(t).toMatchObject({ serial: 'ACC-0001', board: { connected: true } });
        const r = await cli('flash', 'token:qb', QEMU_ELF, '--verify', '--url', l.api.url);
        expect(r.err).toEqual([]);
        expect(r.code).toBe(0);
        expect(r.out).toContain(`target: qb, QEMU netduinoplus2 board of this host; flash file ${boardElf}, NV ${nv} (kept)`);
        expect(r.out).toContain(`flashed ${flatten(image).data.length} bytes, verified by reading back`);
        expect(r.out.at(-1)).toBe('running: tokenbench dscplus ACC-0001, firmware 1.0.0-board, protocol 1');
        expect(await l.client.get('qb')).toMatchObject({ serial: 'ACC-0001', state: 'connected' });
        expect((await l.client.display('qb')).text).toBeTypeOf('string'); // it answers again
        expect(await cli('flash', 'token:nope', QEMU_ELF, '--url', l.api.url)).toMatchObject({
          code: 2,
          err: ['tokenbench: no attached board "nope"'],
        });
        await l.client.remove('qb');
      } finally {
        await l.close();
      }
    }, 120_000);

    it('passes the whole conformance suite with its board key', async () => {
      const t = `serial:${await powerOn()}`;
      const r = await cli('conformance', t, '--profile', 'dscplus', '--lab-key', key, '--timeout', '8000');
      expect({ code: r.code, last: r.out.at(-1), err: r.err, failed: r.out.filter((l) => l.startsWith('FAIL')) }).toMatchObject({
        code: 0,
        last: expect.stringMatching(/: conforms; \d+ passed/),
        err: [],
        failed: [],
      });
      // The large frames, the firmware plane, responses and the sealed-board rule ran, not skipped.
      for (const rule of ['P-1.3', 'P-1.4', 'P-2.5', 'P-1.22', 'D-2.3', 'P-4.5'])
        expect(
          r.out.some((l) => l.startsWith(`PASS  ${rule}`)),
          rule,
        ).toBe(true);
    }, 400_000);

    it('flashes the same image through the AN3155 simulator on a pty and reads it back byte for byte', async () => {
      let pair: PtyPair | null = null;
      let device: SerialTransport | null = null;
      try {
        pair = await ptyPair(tempDir('tb-accept-bl-'));
        const sim = new An3155Simulator();
        device = await SerialTransport.open(pair.device, 115200);
        serveByteMachine(sim, device);
        const r = await cli('flash', `serial:${pair.host}@115200`, QEMU_ELF, '--verify', '--no-start');
        expect(r.err).toEqual([]);
        expect(r.out).toContain(`flashed ${flatten(image).data.length} bytes, verified by reading back`);
        // A reset into the bootloader (BOOT0 high), then Read Memory over the line.
        sim.synced = false;
        const t = await openStm32UartPort(pair.host, 115200);
        try {
          expect(await readBack(t, image)).toEqual(flatten(image).data);
        } finally {
          await t.close();
        }
      } finally {
        device?.close();
        await pair?.stop();
      }
    }, 120_000);

    it('flashes the same image through the DfuSe simulator and reads it back byte for byte (UPLOAD)', async () => {
      const sim = new DfuSeSimulator();
      sim.pollTimeout = 0;
      const t = dfuTarget(sim, parseDfuseLayout(sim.layout), 'sim', { sleep: async () => {} });
      await t.dfu.toIdle();
      const res = await flashImage(t, image, { verify: true, start: false });
      expect(res).toMatchObject({ verified: true, erased: [0, 1] });
      expect(await readBack(t, image)).toEqual(flatten(image).data);
      expect(sim.flash.subarray(0, flatten(image).data.length)).toEqual(flatten(image).data);
    });
  },
);
