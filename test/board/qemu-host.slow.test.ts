/**
 * The QEMU board as the host sees it: `tokenbench connect qemu:netduinoplus2:ELF` (the host starts
 * QEMU) and `tokenbench board qemu --attach` (the CLI starts QEMU and attaches its pty), each then
 * driven through the API like any token.
 */
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, type Lab } from '../emulator/helpers.ts';
import { haveArmGcc, haveQemu, make, QEMU_ELF, tempDir, needing } from './board-tools.ts';

describe.runIf(haveArmGcc && haveQemu)(
  needing('QEMU board attached to a host', [
    [haveArmGcc, 'gcc-arm-none-eabi'],
    [haveQemu, 'qemu-system-arm'],
  ]),
  () => {
    let l: Lab;
    let elf: string;
    beforeAll(async () => {
      make('netduinoplus2');
      // A copy, so its NV file (the image path + ".nv") lives in a temporary directory.
      elf = join(tempDir(), 'fw.elf');
      copyFileSync(QEMU_ELF, elf);
      l = await lab({ boardTimeoutMs: 3000 });
    }, 120_000);
    afterAll(async () => l?.close());

    it('connect qemu:netduinoplus2:ELF starts the board and drives it like a token', async () => {
      const t = await l.client.connect(`qemu:netduinoplus2:${elf}`);
      expect(t).toMatchObject({ kind: 'board', state: 'connected', board: { model: 'dscplus', connected: true } });
      const d = await l.client.key(t.id, 'PRESS', 'press');
      expect(d.text).toBe('NO KEY'); // a factory-fresh board has no secret
      expect((await l.client.display(t.id)).text).toBe('NO KEY');
      await l.client.remove(t.id);
    }, 60_000);

    it('tokenbench board qemu --attach prints the pty, attaches it, and stops on SIGINT', async () => {
      const bin = resolve(import.meta.dirname, '../../emulator/cli/bin.mjs');
      const child = spawn(
        process.execPath,
        [bin, 'board', 'qemu', '--elf', elf, '--nv', join(tempDir(), 'nv.bin'), '--attach', '--url', l.api.url, '--id', 'qemu-1'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      for (let i = 0; i < 300 && !/connected qemu-1/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toMatch(/netduinoplus2 board on \/dev\/pts\/\d+/);
      expect(out).toMatch(/connected qemu-1: dscplus BOARD-0001/);
      expect((await l.client.get('qemu-1')).board?.connected).toBe(true);
      const code = await new Promise<number | null>((r) => {
        child.on('exit', (c) => r(c));
        child.kill('SIGINT');
      });
      expect(code).toBe(0);
    }, 60_000);
  },
);
