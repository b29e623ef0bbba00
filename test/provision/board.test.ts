/**
 * Provisioning a "board" on a serial port: a bare golden-model token served on one end of a pty
 * pair (as a board's firmware would answer on its UART). A factory-fresh board takes its settings
 * without AUTHENTICATE; once sealed with a board key it refuses provisioning without that key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { ptyPair, type PtyPair } from '../../emulator/flash/sim/pty-pair.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { provision } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { serveToken } from '../../firmware/token/serve.ts';
import { haveCommand, requiredInCi } from '../tools.ts';

const ok = requiredInCi('socat', haveCommand('socat', ['-V']));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => Date.now() });
  return { code, out, err };
}

describe.skipIf(!ok)('provisioning a board on a serial port', () => {
  let dir: string;
  let pair: PtyPair;
  let device: SerialTransport;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-board-'));
    pair = await ptyPair(dir, 'board');
    device = await SerialTransport.open(pair.device, 115200);
    const token = DeviceToken.create(
      new MemoryStorage(),
      seededRng(5),
      provision({ model: 'dsc', secret: new Uint8Array(20).fill(3), sealed: false }),
      Date.now(),
    );
    serveToken(token, device, 'stream', Date.now);
  });
  afterAll(async () => {
    device?.close();
    await pair?.stop();
  });

  it('unsealed: provisions without a key; sealed: only with its board key', async () => {
    const t = `serial:${pair.host}@115200`;
    const key = join(dir, 'board.key');
    const first = await run('provision', t, '--model', 'dsc', '--random', '--serial', 'BRD-1', '--seal', '--board-key', key);
    expect(first.err).toEqual([]);
    expect(first.out).toContain('  board key stored');
    expect(first.out.at(-1)).toBe('  sealed');
    expect(first.out.some((l) => l.startsWith('  authenticated'))).toBe(false); // a fresh board needs none
    expect(await run('provision', t, '--model', 'dsc', '--random')).toEqual({
      code: 1,
      out: [],
      err: [`tokenbench: provision: ${t} is sealed: provisioning it again needs its board key (--board-key FILE)`],
    });
    const wrong = join(dir, 'wrong.key');
    writeFileSync(wrong, new Uint8Array(32).fill(9));
    expect((await run('provision', t, '--model', 'dsc', '--random', '--board-key', wrong)).err).toEqual([
      'tokenbench: provision: authentication failed: the device does not accept this key',
    ]);
    const again = await run('provision', t, '--model', 'dsc', '--random', '--board-key', key, '--serial', 'BRD-2');
    expect(again.err).toEqual([]);
    expect(again.out.slice(0, 3)).toEqual([
      `provisioned ${t}: dsc BRD-2, TOTP-SHA1-6-30, firmware 1.0.0`,
      '  authenticated with the board key',
      '  factory reset (it was sealed)',
    ]);
  });

  it('refuses to seal a board without a board key to store', async () => {
    const t = `serial:${pair.host}@115200`;
    const r = await run('provision', t, '--model', 'dsc', '--random', '--seal');
    expect(r.err).toEqual([
      'tokenbench: provision: sealing a board needs a board key to store first (--board-key FILE), or it could never be provisioned again',
    ]);
  });
});
