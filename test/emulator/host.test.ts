import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/bytes.ts';
import { cardValue } from '../../firmware/card/card.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { Host } from '../../emulator/host/host.ts';
import { lab, tempDir, type Lab } from './helpers.ts';

let open: Lab[] = [];
afterEach(async () => {
  for (const l of open) await l.close();
  open = [];
});
async function fresh(opts = {}): Promise<Lab> {
  const l = await lab(opts);
  open.push(l);
  return l;
}

describe('host', () => {
  it('creates the default lab on first start: a DSC+, a DSC and a card with PIN 1234', async () => {
    const { client } = await fresh();
    const list = await client.list();
    expect(list.map((t) => [t.id, t.kind, t.state])).toEqual([
      ['dscplus-1', 'dscplus', 'off'],
      ['dsc-1', 'dsc', 'off'],
      ['card-1', 'card', 'card'],
    ]);
    expect(list.every((t) => typeof t.transports.tcpPort === 'number')).toBe(true);
    expect((await client.keys('dscplus-1', 'PRESS 1234 OK')).display.text).toBe('CHALLNG>');
  });

  it('keeps tokens, their state and TCP ports across a restart', async () => {
    const dir = tempDir();
    const a = new Host({ dataDir: dir });
    await a.open();
    await a.keys('dscplus-1', 'PRESS 1111 OK');
    const port = a.list()[0].transports.tcpPort;
    await a.close();
    const b = new Host({ dataDir: dir });
    await b.open();
    expect(b.list()[0].transports.tcpPort).toBe(port);
    expect(b.get('dscplus-1').device!.nv.tries).toBe(2);
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a token with a damaged or foreign file, keeps the file, and starts the others', async () => {
    const dir = tempDir();
    const a = new Host({ dataDir: dir });
    await a.open();
    await a.close();
    const damaged = join(dir, 'tokens', 'dsc-1', 'nv.rec');
    const bytes = readFileSync(damaged);
    bytes[bytes.length - 3] ^= 0x20;
    writeFileSync(damaged, bytes);
    writeFileSync(join(dir, 'tokens', 'card-1', 'nv.rec'), 'PK\u0003\u0004 not ours');
    const b = new Host({ dataDir: dir });
    await b.open();
    expect(b.list().map((t) => t.id)).toEqual(['dscplus-1']);
    expect(b.problems).toEqual([
      `token dsc-1 not started: ${damaged} is damaged: its checksum does not match (its files are kept as they are)`,
      `token card-1 not started: ${join(dir, 'tokens', 'card-1', 'nv.rec')} is not a tokenbench record (no "tokenbench-record 1" header) (its files are kept as they are)`,
    ]);
    expect(readFileSync(damaged)).toEqual(bytes);
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, clones, snapshots, restores and removes tokens', async () => {
    const { client, host } = await fresh({ defaultLab: false });
    const t = await client.create({ kind: 'dscplus', id: 'a', secret: '3132333435363738393031323334353637383930', pin: '2468' });
    expect(t.serial).toMatch(/^TB[0-9A-F]{8}$/);
    await client.keys('a', 'PRESS 2468 OK 12');
    const snap = await client.snapshot('a');
    expect(snap.device!.state.display).toBe('12');
    const c = await client.clone('a', 'b');
    expect(c.display!.text).toBe('12');
    expect((await client.keys('b', '3456 OK')).display.text).toBe(
      ocra('OCRA-1:HOTP-SHA1-8:QN06', fromHex('3132333435363738393031323334353637383930'), { question: '123456' }),
    );
    await client.keys('a', 'PRESS');
    expect((await client.display('a')).text).toBe('');
    await client.restore('a', snap);
    expect((await client.display('a')).text).toBe('12');
    await client.remove('b');
    expect(existsSync(join(host.dataDir, 'tokens', 'b'))).toBe(false);
    await expect(client.display('b')).rejects.toThrow('no token "b"');
    await expect(client.create({ kind: 'dsc', id: 'a' })).rejects.toThrow('a token "a" exists already');
    await expect(client.restore('a', { ...snap, kind: 'dsc' })).rejects.toThrow('token "a" is a dscplus; the snapshot is of a dsc');
  });

  it('refuses a damaged snapshot and keeps the token as it was', async () => {
    const { client } = await fresh();
    await client.keys('dscplus-1', 'PRESS 1111 OK');
    const snap = await client.snapshot('dscplus-1');
    const before = await client.snapshot('dscplus-1');
    const broken = (f: (s: typeof snap) => void) => {
      const c = structuredClone(snap);
      f(c);
      return c;
    };
    await expect(
      client.restore(
        'dscplus-1',
        broken((s) => (s.device!.state.nv.tries = -5)),
      ),
    ).rejects.toThrow('snapshot is not usable: stored token record has a bad tries');
    await expect(
      client.restore(
        'dscplus-1',
        broken((s) => ((s.device!.state as { mode: string }).mode = 'flying')),
      ),
    ).rejects.toThrow('snapshot has a bad mode');
    await expect(
      client.restore(
        'dscplus-1',
        broken((s) => (s.device!.battery = 900)),
      ),
    ).rejects.toThrow('snapshot has a bad battery');
    await expect(
      client.restore(
        'dscplus-1',
        broken((s) => (s.device!.pendingUps = [{ key: 'Z', at: 0 }])),
      ),
    ).rejects.toThrow('snapshot has a bad pendingUps');
    await expect(
      client.restore(
        'dsc-1',
        broken((s) => (s.kind = 'dsc')),
      ),
    ).rejects.toThrow('its device is a dscplus, its kind dsc');
    expect(await client.snapshot('dscplus-1')).toEqual(before);
  });

  it('runs each token on its own clock: pause, set, advance, speed, and for the whole host', async () => {
    const { client } = await fresh();
    const t = 1_700_000_000_000;
    await client.clock('dsc-1', { pause: true, set: t });
    expect((await client.keys('dsc-1', 'PRESS:2000 1234 OK')).display.text).toBe(
      totp(fromHex((await client.snapshot('dsc-1')).device!.state.nv.secret), (t + 2000) / 1000),
    );
    expect((await client.keys('dsc-1', 'WAIT:14999')).display.text).not.toBe('');
    expect((await client.keys('dsc-1', 'WAIT:1')).display.text).toBe('');
    const r = await client.clock('dsc-1', { rate: 2, pause: false });
    expect(r).toMatchObject({ paused: false, rate: 2 });
    const all = await client.hostClock({ pause: true });
    // Cards have a clock too (their login checks and an online card's expiry run on it).
    expect(all.map((x) => x.id)).toEqual(['dscplus-1', 'dsc-1', 'card-1']);
    expect(all.every((x) => x.paused)).toBe(true);
    await expect(client.key('card-1', 'OK', 'press')).rejects.toThrow('token "card-1" is a card: it has no keys or display');
  });

  it('plays the login screen: challenge and check for a DSC+, a DSC and a card', async () => {
    const { client, host } = await fresh();
    const { challenge } = await client.challenge('dscplus-1');
    expect(challenge).toMatch(/^\d{6}$/);
    const response = (await client.keys('dscplus-1', `PRESS 1234 OK ${challenge} OK`)).display.text;
    expect(await client.check('dscplus-1', { challenge: challenge!, response: '00000000' })).toMatchObject({
      accepted: false,
      outcome: 'wrong',
      failures: 1,
    });
    const again = await client.challenge('dscplus-1');
    const right = (await client.keys('dscplus-1', `PRESS PRESS 1234 OK ${again.challenge} OK`)).display.text;
    expect(await client.check('dscplus-1', { challenge: again.challenge!, response: right })).toMatchObject({
      accepted: true,
      outcome: 'accepted',
    });
    expect(await client.check('dscplus-1', { challenge: again.challenge!, response: right })).toMatchObject({ outcome: 'replayed' });
    expect(response).toMatch(/^\d{8}$/);

    await client.clock('dsc-1', { pause: true });
    const code = (await client.keys('dsc-1', 'PRESS:2000 1234 OK')).display.text;
    expect(await client.check('dsc-1', { response: code })).toMatchObject({ accepted: true });
    expect(await client.check('dsc-1', { response: code })).toMatchObject({ outcome: 'replayed' });

    const card = await client.challenge('card-1');
    const rec = host.get('card-1').card!.record;
    const answer = card
      .indexes!.map((i) => cardValue(fromHex(rec.secret), rec.serial, i))
      .join('')
      .toLowerCase();
    expect(await client.check('card-1', { challenge: card.id!, response: answer })).toMatchObject({ accepted: true });
  });

  it('refuses bad input with a message naming it, and keeps what is stored', async () => {
    const { client } = await fresh();
    await expect(client.create({ kind: 'dscplus', suite: 'OCRA-1:HOTP-SHA1-8:QA08' })).rejects.toThrow(
      'a DSC+ keypad can only type numeric challenges',
    );
    await expect(client.create({ kind: 'card', pin: '1234' })).rejects.toThrow('a card has no PIN, suite or passcode setting');
    await expect(client.create({ kind: 'dsc', secret: 'abc' })).rejects.toThrow(
      'field "secret": must be hex digits, an even number of them',
    );
    await expect(client.create({ kind: 'nope' } as never)).rejects.toThrow(/field "kind"/);
    await expect(client.create({ kind: 'dsc', colour: 'red' } as never)).rejects.toThrow('unknown field "colour"');
    await expect(client.keys('dscplus-1', 'PRESS X')).rejects.toThrow('unknown key "X"');
    await expect(client.restore('dscplus-1', { v: 2 } as never)).rejects.toThrow(/field "v"/);
    expect((await client.list()).length).toBe(3);
  });
});
