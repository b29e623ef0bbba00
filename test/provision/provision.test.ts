/**
 * Provisioning emulated tokens over TCP of a spawned `tokenbench serve`: one target, sealing and
 * the key it then needs, a fleet with a failing row, the PSKC file (checked by Debian's pskctool)
 * and tokens imported from it that compute what the originals compute.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenbenchClient } from '../../emulator/api/client.ts';
import { main } from '../../emulator/cli/main.ts';
import { readPskc, writePskc } from '../../emulator/provision/pskc.ts';
import { connectTcp } from '../../emulator/transports/tcp.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { fromHex } from '../../firmware/bytes.ts';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { tempDir } from '../emulator/helpers.ts';
import { startServe, type Served } from '../emulator/serve-process.ts';
import { haveCommand, requiredInCi } from '../tools.ts';

const SECRET = '3132333435363738393031323334353637383930';
const PSK = '000102030405060708090a0b0c0d0e0f';
const havePskctool = requiredInCi('pskctool', haveCommand('pskctool', ['--version']));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => Date.now() });
  return { code, out, err };
}

/** A client on the token's TCP port; with the lab key its session is privileged (test plane). */
async function tokenClient(port: number, labKey?: Uint8Array): Promise<TokenClient> {
  const c = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', port), Date.now), nodeScheduler, { timeoutMs: 5000 }));
  if (labKey) await c.authenticate(labKey);
  return c;
}

describe('provision over TCP of a spawned host', () => {
  let dir: string;
  let served: Served | undefined;
  let api: TokenbenchClient;
  const ports: Record<string, number> = {};
  const target = (id: string) => `tcp:127.0.0.1:${ports[id]}`;
  const labKey = () => new Uint8Array(readFileSync(join(dir, 'lab.key')));

  beforeAll(async () => {
    dir = tempDir('tb-prov-');
    served = await startServe({ dir });
    api = served.api;
    for (const [id, kind] of [
      ['p1', 'dscplus'],
      ['p2', 'dscplus'],
      ['p3', 'dscplus'],
      ['d1', 'dsc'],
      ['c1', 'card'],
    ] as const) {
      const t = await api.create({ id, kind, sealed: false });
      ports[t.id] = t.transports.tcpPort!;
    }
  }, 30_000);
  afterAll(async () => {
    await served?.stop();
  });

  it('writes the settings, checks them against the golden model and never prints the secret', async () => {
    const r = await run(
      'provision',
      target('p2'),
      '--model',
      'dscplus',
      '--secret',
      SECRET,
      '--serial',
      'LAB-001',
      '--pin',
      '4321',
      '--suite',
      'OCRA-1:HOTP-SHA1-6:QN08',
      '--data-dir',
      dir,
    );
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const expected = ocra('OCRA-1:HOTP-SHA1-6:QN08', fromHex(SECRET), { question: '31415926' });
    // With the host's lab key (<data-dir>/lab.key, once the host has one) it authenticates first.
    expect(
      r.out.filter((l) => !/^ {2}(authenticated with the lab key|the device has no AUTHENTICATE; continuing without)$/.test(l)),
    ).toEqual([
      `provisioned ${target('p2')}: dscplus LAB-001, OCRA-1:HOTP-SHA1-6:QN08, firmware 1.0.0`,
      '  secret written (20 bytes)',
      '  suite OCRA-1:HOTP-SHA1-6:QN08',
      '  serial LAB-001',
      '  PIN set',
      `  checked: TEST_COMPUTE 31415926 = ${expected}, as the golden model`,
    ]);
    expect(r.out.join('\n')).not.toContain(SECRET);
    // Independently: the token now answers what OCRA with this secret gives, with the new PIN.
    const c = await tokenClient(ports.p2, labKey());
    expect(await c.testCompute('12345678', '4321')).toBe(ocra('OCRA-1:HOTP-SHA1-6:QN08', fromHex(SECRET), { question: '12345678' }));
    expect((await c.info()).serial).toBe('LAB-001');
    c.link.close();
  });

  it('seals with a new board key file, then refuses without a key and works with it', async () => {
    const key = join(dir, 'board.key');
    const r = await run('provision', target('p3'), '--model', 'dscplus', '--random', '--seal', '--board-key', key, '--data-dir', dir);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`new board key written to ${key} (mode 0600): keep it, a sealed board needs it to be provisioned again`);
    expect(r.out.slice(-2)).toEqual(['  board key stored', '  sealed']);
    expect(r.out).toContain('  authenticated with the lab key');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const c = await tokenClient(ports.p3);
    expect((await c.state()).sealed).toBe(true);
    c.link.close();
    const refused = await run('provision', target('p3'), '--model', 'dscplus', '--random', '--lab-key', join(dir, 'none.key'));
    expect(refused).toEqual({
      code: 1,
      out: [],
      err: [
        `tokenbench: provision: ${target('p3')} is sealed: provisioning it again needs its lab key (--lab-key FILE, default <data-dir>/lab.key)`,
      ],
    });
    const again = await run(
      'provision',
      target('p3'),
      '--model',
      'dscplus',
      '--random',
      '--board-key',
      key,
      '--lab-key',
      join(dir, 'none.key'),
      '--show-secret',
      '--json',
    );
    expect(again.code).toBe(0);
    const report = JSON.parse(again.out.join('\n'))[0];
    expect(report).toMatchObject({ ok: true, wasSealed: true, sealed: false, model: 'dscplus' });
    expect(report.secret).toMatch(/^[0-9a-f]{40}$/);
  });

  it('without the lab key the host refuses provisioning, and says so', async () => {
    const r = await run('provision', target('d1'), '--model', 'dsc', '--random', '--lab-key', join(dir, 'none.key'));
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `tokenbench: provision: ${target('d1')} takes provisioning only after AUTHENTICATE: give its lab key (--lab-key FILE, default <data-dir>/lab.key)`,
    ]);
    const wrong = join(dir, 'wrong.key');
    writeFileSync(wrong, new Uint8Array(32).fill(1));
    expect((await run('provision', target('d1'), '--model', 'dsc', '--random', '--lab-key', wrong)).err).toEqual([
      'tokenbench: provision: authentication failed: the device does not accept this key',
    ]);
  });

  it('refuses the wrong model, bad flags and a bad key file in one line', async () => {
    expect((await run('provision', target('d1'), '--model', 'dscplus', '--random')).err).toEqual([
      `tokenbench: provision: ${target('d1')} is a dsc, not a dscplus`,
    ]);
    expect(await run('provision', target('d1'), '--model', 'dsc', '--random', '--secret', SECRET)).toEqual({
      code: 2,
      out: [],
      err: ['tokenbench: give --secret or --random, not both'],
    });
    expect((await run('provision', 'tcp:127.0.0.1', '--model', 'dsc')).err).toEqual([
      'tokenbench: "tcp:127.0.0.1" is not a board address; use serial:PATH[@BAUD], usb:VID:PID[:SERIAL] or qemu:netduinoplus2[:ELF]',
    ]);
    writeFileSync(join(dir, 'short.key'), 'abcd');
    expect(await run('provision', target('d1'), '--model', 'dsc', '--random', '--board-key', join(dir, 'short.key'))).toEqual({
      code: 2,
      out: [],
      err: [`tokenbench: key file ${join(dir, 'short.key')} holds 4 bytes; a key is 16 to 64 bytes (raw, or as hex text)`],
    });
  });

  it('a fleet continues past a failing board, writes a PSKC file pskctool accepts, and import mirrors it', async () => {
    const csv = join(dir, 'fleet.csv');
    writeFileSync(
      csv,
      [
        'target,model,serial,suite,seal',
        `${target('p1')},dscplus,F-001,OCRA-1:HOTP-SHA256-8:QN08,no`,
        'tcp:127.0.0.1:1,dsc,F-002,,no',
        `${target('d1')},dsc,F-003,TOTP-SHA256-8-60,no`,
        `${target('c1')},card,F-004,,no`,
      ].join('\n'),
    );
    const out = join(dir, 'fleet.pskc');
    const r = await run(
      'provision',
      '--fleet',
      csv,
      '--pskc',
      out,
      '--pskc-key',
      PSK,
      '--json',
      '--show-secret',
      '--board-key',
      join(dir, 'board.key'),
      '--data-dir',
      dir,
    );
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.out.join('\n'));
    expect(reports.map((x: { ok: boolean }) => x.ok)).toEqual([true, false, true, true]);
    expect(reports[1].error).toBe('cannot open tcp:127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
    if (havePskctool) {
      const v = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile('pskctool', ['--validate', out], (err, so) => resolve({ code: err ? 1 : 0, out: so })),
      );
      expect(v).toEqual({ code: 0, out: 'OK\n' });
    }
    const keys = readPskc(readFileSync(out, 'utf8'), fromHex(PSK));
    expect(keys.map((k) => [k.model, k.serial, k.suite])).toEqual([
      ['dscplus', 'F-001', 'OCRA-1:HOTP-SHA256-8:QN08'],
      ['dsc', 'F-003', 'TOTP-SHA256-8-60'],
      ['card', 'F-004', null],
    ]);
    expect(keys.map((k) => Buffer.from(k.secret).toString('hex'))).toEqual([reports[0].secret, reports[2].secret, reports[3].secret]);
    const imp = await run('tokens', 'import', out, '--pskc-key', PSK, '--prefix', 'm-', '--data-dir', dir);
    expect(imp.out.at(-1)).toBe('3 of 3 keys imported');
    const mirror = await api.get('m-f-001');
    const a = await tokenClient(ports.p1, labKey());
    const b = await tokenClient(mirror.transports.tcpPort!, labKey());
    expect(await b.testCompute('20261129', '1234')).toBe(await a.testCompute('20261129', '1234'));
    a.link.close();
    b.link.close();
  }, 30_000);

  it('fleet files with a bad row are refused before any board is touched', async () => {
    const csv = join(dir, 'bad.csv');
    for (const [text, message] of [
      [
        'target,model,colour\nx,dsc,red',
        'fleet line 1: unknown column "colour"; columns are target, model, serial, secret, pin, suite, seal',
      ],
      ['target,serial\ntcp:127.0.0.1:5,A', 'fleet line 1: the header has no "model" column'],
      ['target,model\ntcp:127.0.0.1:5,dscx', 'fleet line 2: model must be dscplus, dsc, card, got "dscx"'],
      ['target,model\ntcp:127.0.0.1:5,dsc\ntcp:127.0.0.1:5,dsc', 'fleet line 3: target tcp:127.0.0.1:5 is already on line 2'],
      ['target,model,secret\ntcp:127.0.0.1:5,dsc,zz', 'fleet line 2: secret must be hex digits, found "z"'],
    ]) {
      writeFileSync(csv, text);
      expect(await run('provision', '--fleet', csv, '--pskc', join(dir, 'x.pskc'), '--pskc-key', PSK)).toEqual({
        code: 2,
        out: [],
        err: [`tokenbench: ${message}`],
      });
    }
    expect(existsSync(join(dir, 'x.pskc'))).toBe(false);
  });
});

describe('PSKC files', () => {
  const entries = [{ model: 'dscplus' as const, serial: 'S<1>&', secret: fromHex(SECRET), suite: 'OCRA-1:HOTP-SHA1-8:QN06' }];
  it('round-trips with AES-128 and AES-256 keys, and refuses a changed MAC or a wrong key', () => {
    for (const psk of [fromHex(PSK), new Uint8Array(32).fill(7)]) {
      const xml = writePskc(entries, psk);
      expect(readPskc(xml, psk)).toEqual(entries);
    }
    const xml = writePskc(entries, fromHex(PSK));
    const mac = /<ValueMAC>([^<]+)<\/ValueMAC>/.exec(xml)![1];
    const flipped = xml.replace(mac, Buffer.from(Buffer.from(mac, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64'));
    expect(() => readPskc(flipped, fromHex(PSK))).toThrow(
      "KeyPackage 1: the secret's ValueMAC does not match; the file was changed or the key is wrong",
    );
    expect(() => readPskc(xml, new Uint8Array(16).fill(9))).toThrow(
      /cannot decrypt it; is --pskc-key the key the file was written with\?|ValueMAC does not match/,
    );
    expect(() => readPskc('<!DOCTYPE x [<!ENTITY a "b">]><KeyContainer/>', fromHex(PSK))).toThrow(
      'XML line 1: a DOCTYPE or declaration; key files must not have one',
    );
    expect(() => readPskc('<KeyContainer><KeyPackage></KeyContainer>', fromHex(PSK))).toThrow(
      'XML line 1: </KeyContainer> does not close <KeyPackage>',
    );
  });
});
