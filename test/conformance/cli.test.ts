/** `tokenbench conformance`: bad usage and unreachable targets are one line and exit 2; a run prints a line per case and the counts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { listenTcp } from '../../emulator/transports/tcp.ts';
import { MUTANTS, mutantTarget } from '../../emulator/conformance/mutants.ts';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { parseTarget } from '../../emulator/boards/address.ts';
import { tempDir } from '../emulator/helpers.ts';

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['conformance', ...args], { out: (l) => out.push(l), err: (l) => err.push(l), now: Date.now });
  return { code, out, err };
}

describe('tokenbench conformance', () => {
  it.each([
    [[], '"conformance" needs a target'],
    [['tcp:nohost'], 'is not a TCP target'],
    [['usbip:127.0.0.1:3240'], 'is not a USB/IP target'],
    [['model:dscplus', '--profile', 'fido'], '--profile must be one of auto, dscplus, dsc, card'],
    [['model:dscplus', '--seed', '-3'], '--seed'],
    [['model:dscplus', '--timeout', '5'], '--timeout must be a whole number from 50'],
    [['model:dscplus', '--lab-key', '/nonexistent/lab.key'], '--lab-key /nonexistent/lab.key: no such file'],
    [['model:dscplus', '--bogus'], 'unknown option --bogus'],
    [['tcp:127.0.0.1:1'], 'cannot reach tcp:127.0.0.1:1'],
    [['token:dscplus-1', '--data-dir', '/nonexistent-dir'], 'no running tokenbench found'],
  ])('%j is refused with one line and exit 2', async (args, message) => {
    const r = await run(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(message);
  });

  it('refuses a lab key file of the wrong size', async () => {
    const f = join(tempDir(), 'short.key');
    writeFileSync(f, 'short');
    const r = await run('model:dsc', '--lab-key', f);
    expect([r.code, r.err[0]]).toEqual([
      2,
      `tokenbench: --lab-key ${f}: a lab key is 16 to 64 bytes (raw, or as hex text), the file has 5`,
    ]);
  });

  it('prints a line per case and the counts per section; exit 0 when it conforms', async () => {
    const r = await run('model:dsc', '--only', 'P-2');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(
      /^tokenbench conformance model:dsc: dsc MODEL-DSC, firmware 1\.0\.0, planes info ui power clock provisioning test firmware; \d+ cases$/,
    );
    expect(r.out.filter((l) => /^PASS  P-2\.\d/.test(l)).length).toBeGreaterThanOrEqual(9);
    expect(r.out.find((l) => l.startsWith('protocol §2'))).toMatch(/^protocol §2 stream framing +(\d+) +0 +0$/);
    expect(r.out.at(-1)).toMatch(/conforms; \d+ passed, 0 skipped/);
  });

  it('exits 1 naming the rule when a token does not conform (a faulty token on a TCP port)', async () => {
    const faulty = mutantTarget(MUTANTS.find((m) => m.id === 'short-apdu-sw')!);
    const listener = await listenTcp('127.0.0.1', 0, (t) => faulty.attach(t));
    const dir = tempDir();
    const r = await run(`tcp:127.0.0.1:${listener.port}`, '--only', 'P-1', '--json', join(dir, 'r.json'));
    await listener.close();
    await faulty.close();
    expect(r.code).toBe(1);
    expect(r.out).toContain(r.out.find((l) => /^FAIL  P-1\.2 short APDU: .* -- 1-byte APDU: expected "6700", got "6f00"$/.test(l)));
    expect(r.out.some((l) => /^ +\d+ ms  >> /.test(l))).toBe(true); // the transcript of the failure
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).totals.fail).toBe(1);
    expect(r.out.at(-1)).toMatch(/1 failed; \d+ passed/);
  });

  it('shares the target syntax with connect', () => {
    expect(parseTarget('usbip:127.0.0.1:3240:1-2')).toEqual({ kind: 'usbip', host: '127.0.0.1', port: 3240, busid: '1-2' });
    expect(parseTarget('tcp:[::1]:7401')).toEqual({ kind: 'tcp', host: '::1', port: 7401 });
    expect(parseTarget('serial:/dev/ttyACM0@9600')).toEqual({ kind: 'serial', path: '/dev/ttyACM0', baud: 9600 });
    expect(parseTarget('qemu:netduinoplus2')).toEqual({ kind: 'qemu', machine: 'netduinoplus2' });
    expect(() => parseTarget('qemu:board')).toThrow('is not a QEMU board address');
    expect(() => parseTarget('ftp:board')).toThrow('is not a target; use model:dscplus|dsc|card');
  });
});
