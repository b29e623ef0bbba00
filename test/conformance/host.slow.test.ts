/**
 * The suite against tokens of a host spawned for the test: over TCP (tcp: and token:), the serial
 * pseudo-terminal and USB/IP. Each must conform; the CLI writes JUnit XML that Python's XML parser
 * (an independent reader) accepts with the same counts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTarget } from '../../emulator/conformance/targets.ts';
import { runSuite } from '../../emulator/conformance/runner.ts';
import { haveSocat } from '../../emulator/transports/pty.ts';
import { main } from '../../emulator/cli/main.ts';
import { lab, tempDir, type Lab } from '../emulator/helpers.ts';
import { haveCommand, requiredInCi } from '../tools.ts';

let l: Lab;
const socat = requiredInCi('socat', haveSocat());
beforeAll(async () => {
  l = await lab({ usbipPort: 0, serial: socat });
});
afterAll(async () => l?.close());

const labKey = () => new Uint8Array(readFileSync(join(l.dir, 'lab.key')));
const failures = (rep: Awaited<ReturnType<typeof runSuite>>) =>
  rep.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.message}`);

describe('conformance against a running host', () => {
  it('tcp: a hosted DSC+ conforms, with the device clock moved instead of waiting', async () => {
    const port = (await l.client.get('dscplus-1')).transports.tcpPort!;
    const t = await openTarget(`tcp:127.0.0.1:${port}`);
    const rep = await runSuite(t, { labKey: labKey() });
    await t.close();
    expect(failures(rep)).toEqual([]);
    expect(rep.totals.pass).toBeGreaterThan(50);
  }, 60_000);

  it('token: a hosted DSC conforms, found through the control API', async () => {
    const t = await openTarget('token:dsc-1', { api: l.client, dataDir: l.dir });
    const rep = await runSuite(t, { labKey: labKey() });
    await t.close();
    expect(failures(rep)).toEqual([]);
    expect(rep.profile.model).toBe('dsc');
  }, 60_000);

  it.runIf(socat)(
    'serial: the pseudo-terminal of a hosted DSC+ conforms',
    async () => {
      const path = (await l.client.get('dscplus-1')).transports.serialPath!;
      const t = await openTarget(`serial:${path}`);
      const rep = await runSuite(t, { labKey: labKey() });
      await t.close();
      expect(failures(rep)).toEqual([]);
      expect(rep.results.find((r) => r.id.startsWith('P-2.8'))?.status).toBe('skip');
    },
    60_000,
  );

  it('usbip: a hosted DSC+ over USB/IP and the HID framing conforms', async () => {
    const s = await l.client.get('dscplus-1');
    const t = await openTarget(`usbip:127.0.0.1:${l.host.usbip!.port}:${s.transports.usbipBusId}`);
    const rep = await runSuite(t, { labKey: labKey() });
    await t.close();
    expect(failures(rep)).toEqual([]);
    expect(rep.results.filter((r) => r.rule.startsWith('P-3') && r.status === 'pass').length).toBeGreaterThanOrEqual(7);
  }, 60_000);

  it.runIf(requiredInCi('python3', haveCommand('python3', ['--version'])))(
    'the CLI writes JUnit XML that Python parses, and JSON with the same counts',
    async () => {
      const dir = tempDir('tb-conf-');
      const out: string[] = [];
      const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s), now: Date.now };
      const port = (await l.client.get('card-1')).transports.tcpPort!;
      const code = await main(
        [
          'conformance',
          `tcp:127.0.0.1:${port}`,
          '--lab-key',
          join(l.dir, 'lab.key'),
          '--junit',
          join(dir, 'r.xml'),
          '--json',
          join(dir, 'r.json'),
        ],
        io,
      );
      expect(code).toBe(0);
      const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
      const py = execFileSync(
        'python3',
        [
          '-c',
          'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); c=r.findall(".//testcase"); print(r.tag, len(c), len([x for x in c if x.find("skipped") is not None]), len([x for x in c if x.find("failure") is not None]))',
          join(dir, 'r.xml'),
        ],
        { encoding: 'utf8' },
      ).trim();
      expect(py).toBe(`testsuites ${json.results.length} ${json.totals.skip} 0`);
      expect(out.some((s) => s.startsWith('SKIP  ') && s.includes(' -- '))).toBe(true);
      expect(out.at(-1)).toContain('conforms');
    },
    60_000,
  );
});
