/**
 * Host and API behaviour the desktop's QA walk asked for (issue 13): the help desk's unlock code,
 * tries and login failures in a token's summary, a card's own clock (the online card's expiry),
 * back to real time, card answers with a space, keys released when a socket client goes, and the
 * access token kept across restarts of serve.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenPath } from '../../emulator/access-token.ts';
import { TokenbenchClient } from '../../emulator/api/client.ts';
import { startServer } from '../../emulator/serve.ts';
import { cardValue } from '../../firmware/card/card.ts';
import { fromHex } from '../../firmware/bytes.ts';
import { lab, tempDir, type Lab } from './helpers.ts';

let l: Lab;
let hostNow = Date.UTC(2026, 0, 1);
beforeAll(async () => {
  l = await lab({ now: () => hostNow, listen: false });
});
afterAll(async () => l.close());

describe('QA walk: host and API', () => {
  it('gives the unlock code for the challenge a locked device shows, and its tries left', async () => {
    const c = l.client;
    await c.create({ kind: 'dscplus', id: 'lockme', tries: 2 });
    await expect(c.unlockCode('lockme')).rejects.toThrow(/shows no unlock challenge \(it is off\)/);
    await c.keys('lockme', 'PRESS 0000 OK');
    expect((await c.get('lockme')).tries).toEqual({ left: 1, max: 2 });
    await c.clock('lockme', { advance: 2000 }); // FAIL 1 shows for 2 s of token time
    await c.keys('lockme', '0000 OK OK');
    const shown = (await c.display('lockme')).text;
    expect(shown).toMatch(/^U-\d{6}$/);
    const u = await c.unlockCode('lockme');
    expect(u).toMatchObject({ challenge: shown.slice(2), triesLeft: 0 });
    await c.keys('lockme', `OK ${u.code} OK 4321 OK 4321 OK`);
    expect((await c.display('lockme')).text).toBe('PIN SET');
    await c.clock('lockme', { advance: 2000 });
    await c.keys('lockme', '4321 OK');
    expect((await c.display('lockme')).text).toBe('CHALLNG>');
    expect((await c.get('lockme')).tries).toEqual({ left: 2, max: 2 });
    await expect(c.unlockCode('card-1')).rejects.toThrow(/is a card/);
  });

  it("counts the login screen's failures in the summary", async () => {
    const c = l.client;
    const { challenge } = await c.challenge('dscplus-1');
    expect((await c.get('dscplus-1')).loginFailures).toBe(0);
    expect((await c.check('dscplus-1', { challenge: challenge!, response: '00000000' })).outcome).toBe('wrong');
    expect((await c.check('dscplus-1', { challenge: challenge!, response: '00000000' })).outcome).toBe('replayed');
    expect((await c.get('dscplus-1')).loginFailures).toBe(2);
    expect((await c.get('card-1')).tries).toBeNull();
  });

  it('accepts card values typed with a space between them, in either case', async () => {
    const c = l.client;
    const secret = (await c.snapshot('card-1')).card!.secret;
    const serial = (await c.get('card-1')).serial;
    const ch = await c.challenge('card-1');
    const [a, b] = ch.indexes!.map((i) =>
      cardValue(fromHex(secret), serial, i, { alphabet: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', length: 3, size: 200 } as never),
    );
    const card = await c.card('card-1');
    expect([a, b]).toEqual(ch.indexes!.map((i) => card.values[i - 1]));
    expect((await c.check('card-1', { challenge: ch.challenge!, response: ` ${a} ${b.toLowerCase()} ` })).accepted).toBe(true);
  });

  it("moves a card's own clock: an online card expires after 21 days of its time", async () => {
    const c = l.client;
    await c.create({ kind: 'online-card', id: 'online' });
    const card = await c.card('online');
    expect(card.expiresAt).toBe(hostNow + 21 * 86_400_000);
    const answer = async () => {
      const ch = await c.challenge('online');
      return (await c.check('online', { challenge: ch.challenge!, response: ch.indexes!.map((i) => card.values[i - 1]).join('') })).outcome;
    };
    expect(await answer()).toBe('accepted');
    expect(await c.clock('online', { advance: 21 * 86_400_000 - 1, pause: true })).toMatchObject({
      clock: card.expiresAt! - 1,
      paused: true,
    });
    expect(await answer()).toBe('accepted');
    await c.clock('online', { advance: 1 });
    expect(await answer()).toBe('card-expired');
    // Back to real time: the host's time, running at rate 1.
    hostNow += 5000;
    expect(await c.clock('online', { real: true })).toEqual({ id: 'online', clock: hostNow, paused: false, rate: 1 });
    expect(await answer()).toBe('accepted');
    // The card's clock is kept with the token: a restart of the host keeps it.
    await c.clock('online', { advance: 22 * 86_400_000 });
    l.host.tokens.get('online')!.saveMeta();
    const again = await lab({ dataDir: l.dir, now: () => hostNow, listen: false });
    try {
      const ch = await again.client.challenge('online');
      expect((await again.client.check('online', { challenge: ch.challenge!, response: 'AAAAAA' })).outcome).toBe('card-expired');
    } finally {
      await again.close();
    }
  });

  it('puts every token back on real time at once', async () => {
    await l.client.hostClock({ rate: 60, advance: 1000 });
    const all = await l.client.hostClock({ real: true });
    expect(all.length).toBe(l.host.tokens.size);
    for (const t of all) expect(t).toMatchObject({ clock: hostNow, paused: false, rate: 1 });
    await expect(l.client.hostClock({ real: false } as never)).rejects.toThrow(/field "real"/);
  });

  it('releases the keys a socket client holds when it disconnects', async () => {
    const c = l.client;
    await c.clock('dsc-1', { pause: true });
    const s = await c.stream(() => {});
    s.key('dsc-1', 'PRESS', 'down');
    await expect.poll(async () => (await c.snapshot('dsc-1')).device!.state.holdSince).toBeGreaterThanOrEqual(0);
    s.close();
    await expect.poll(async () => (await c.snapshot('dsc-1')).device!.state.holdSince).toBe(-1);
    // Released, so time passing does not turn it on as a 2 s hold would.
    await c.clock('dsc-1', { advance: 3000 });
    expect((await c.display('dsc-1')).text).toBe('');
  });
});

describe('serve keeps its access token', () => {
  it('across restarts, in a 0600 file, until --new-token', async () => {
    const dir = tempDir('tb-token-');
    const opts = { dataDir: dir, bind: '127.0.0.1', port: 0, usbipPort: null, serial: false, log: () => {}, warn: () => {} };
    const first = await startServer(opts);
    const token = first.api.accessToken;
    await first.stop();
    expect(statSync(accessTokenPath(dir)).mode & 0o777).toBe(0o600);
    const second = await startServer(opts);
    expect(second.api.accessToken).toBe(token);
    const old = new TokenbenchClient(`http://127.0.0.1:${second.api.port}`, token);
    expect((await old.list()).length).toBe(3);
    await second.stop();
    const third = await startServer({ ...opts, newToken: true });
    expect(third.api.accessToken).not.toBe(token);
    await expect(new TokenbenchClient(`http://127.0.0.1:${third.api.port}`, token).list()).rejects.toThrow(/missing or wrong access token/);
    await third.stop();
    expect(join(dir, 'access-token')).toBe(accessTokenPath(dir));
  });
});
