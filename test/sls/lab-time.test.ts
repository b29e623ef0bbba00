/**
 * Through the API on a real host and data directory: sessions are kept in the database (a restart
 * keeps them, logout and expiry end them, no token in clear), the SLS reads the lab clock that
 * `POST /api/clock` moves (a Temporary Code's 2 days at threshold - 1 and at threshold, the
 * 5-business-day withdrawal window over a weekend, the 8-hour session), and a deleted token ends
 * its SLS device (the user's best device and limits follow; a sharing of it ends).
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type HostEvent, type TokenbenchClient } from '../../emulator/api/client.ts';
import { closeSls } from '../../emulator/api/sls-routes.ts';
import { slsDbPath } from '../../emulator/sls/sls.ts';
import { lab, tempDir, type Lab } from '../emulator/helpers.ts';

const PASSWORD = 'lab-Passw0rd!';
const DAY = 86_400_000;
const labs: Lab[] = [];
const dirs: string[] = [];

async function open(dir: string): Promise<Lab> {
  const L = await lab({ listen: false, dataDir: dir });
  labs.push(L);
  return L;
}

async function shut(L: Lab): Promise<void> {
  labs.splice(labs.indexOf(L), 1);
  await closeSls(L.host);
  await L.close();
}

afterEach(async () => {
  for (const L of [...labs]) await shut(L);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fresh(): Promise<{ dir: string; L: Lab; tempCode: string }> {
  const dir = tempDir('tb-sls-time-');
  dirs.push(dir);
  const L = await open(dir);
  const { tempCode } = await L.client.sls.demo(PASSWORD);
  return { dir, L, tempCode };
}

async function status(p: Promise<unknown>): Promise<number> {
  return p.then(
    () => 200,
    (e: unknown) => {
      if (!(e instanceof ApiError)) throw e;
      return e.status;
    },
  );
}

/** ann.card's login with her Security Code Card (card-1). */
async function cardLogin(c: TokenbenchClient, username = 'ann.card'): Promise<string> {
  const l = await c.sls.login(username, PASSWORD);
  expect(l.device?.kind).toBe('card');
  const grid = (await c.card(l.device!.tokenId!)).values;
  const done = await c.sls.answer(l.id, l.indexes!.map((i) => grid[i - 1]).join(''));
  expect(done.status).toBe('done');
  return done.session!;
}

describe('SLS sessions in the database', () => {
  it('a restart keeps a session; logout and expiry end it; the token is never stored', async () => {
    const { dir, L } = await fresh();
    await L.client.hostClock({ pause: true });
    const session = await cardLogin(L.client);
    await shut(L);
    const L2 = await open(dir);
    const w = await L2.client.sls.withdraw({ session, amount: 10, bank: 'B-1' });
    expect(w.accepted).toBe(true);
    // kept by its hash only
    const db = new Database(slsDbPath(dir), { readonly: true });
    const rows = db.prepare('SELECT * FROM sessions').all() as Record<string, unknown>[];
    db.close();
    expect(rows.length).toBe(1);
    expect(JSON.stringify(rows)).not.toContain(session);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
    // logout ends it, once
    expect(await L2.client.sls.logout(session)).toEqual({ username: 'ann.card', loggedOut: true });
    expect(await status(L2.client.sls.withdraw({ session, amount: 10, bank: 'B-1' }))).toBe(401);
    expect(await status(L2.client.sls.logout(session))).toBe(401);
    // 8 hours of the lab clock: valid at threshold - 1, gone at threshold
    const s2 = await cardLogin(L2.client);
    await L2.client.hostClock({ advance: 8 * 3600_000 - 1 });
    expect((await L2.client.sls.withdraw({ session: s2, amount: 1, bank: 'B-1' })).accepted).toBe(true);
    await L2.client.hostClock({ advance: 1 });
    expect(await status(L2.client.sls.withdraw({ session: s2, amount: 1, bank: 'B-1' }))).toBe(401);
    const db2 = new Database(slsDbPath(dir), { readonly: true });
    expect((db2.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n).toBe(0);
    db2.close();
    expect(await status(L2.client.sls.logout('0'.repeat(32)))).toBe(401);
    expect(await status(L2.client.sls.logout(7 as unknown as string))).toBe(400);
  }, 60_000);
});

describe('SLS on the lab clock', () => {
  it('a Temporary Code expires after 2 days of the lab clock, not of the wall clock', async () => {
    const { L, tempCode } = await fresh();
    const temp = (await L.client.sls.user('ann.temp')).devices[0];
    expect(temp.expiresAt! - temp.issuedAt).toBe(2 * DAY);
    await L.client.hostClock({ set: temp.issuedAt, pause: true });
    await L.client.hostClock({ advance: 2 * DAY - 1 });
    expect((await L.client.sls.clock()).clock).toBe(temp.expiresAt! - 1);
    const l = await L.client.sls.login('ann.temp', PASSWORD);
    expect(l.device?.kind).toBe('temp-code');
    expect((await L.client.sls.answer(l.id, tempCode)).status).toBe('done');
    await L.client.hostClock({ advance: 1 });
    const e = await L.client.sls.login('ann.temp', PASSWORD).catch((x: ApiError) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(409);
    expect((e as ApiError).message).toMatch(/no active security device/);
    expect((await L.client.sls.user('ann.temp')).devices[0].status).toBe('expired');
  }, 60_000);

  it('an Online Security Code Card ends after its 21 days of the lab clock', async () => {
    const { L } = await fresh();
    const c = L.client;
    await c.create({ kind: 'online-card', id: 'online-1' });
    const { device } = await c.sls.addDevice('bob', { kind: 'online-card', tokenId: 'online-1' });
    expect(device.expiresAt).toBe((await c.card('online-1')).expiresAt);
    await c.hostClock({ set: device.expiresAt! - 1, pause: true });
    expect((await c.sls.user('bob')).devices.find((d) => d.id === device.id)?.status).toBe('active');
    await c.hostClock({ advance: 1 });
    expect((await c.sls.user('bob')).devices.find((d) => d.id === device.id)?.status).toBe('expired');
  }, 60_000);

  it('the 5-business-day window rolls over a weekend; the lab clock survives a restart', async () => {
    const { dir, L } = await fresh();
    // Monday 2 November 2026, 10:00 UTC
    const monday = Date.UTC(2026, 10, 2, 10);
    expect(new Date(monday).getUTCDay()).toBe(1);
    await L.client.hostClock({ set: monday, pause: true });
    const withdraw = async (c: TokenbenchClient, amount: number) => {
      const session = await cardLogin(c); // a new day: the last session has expired
      return c.sls.withdraw({ session, amount, bank: 'B-1' }).then(
        (r) => (expect(r.exceptional).toBe(false), 'accepted'),
        (err: ApiError) => (expect(err.status).toBe(403), 'refused'),
      );
    };
    // the card's limits: 200,000 a day, 600,000 in 5 business days
    expect(await withdraw(L.client, 200_000)).toBe('accepted'); // Mon
    await L.client.hostClock({ advance: DAY });
    expect(await withdraw(L.client, 200_000)).toBe('accepted'); // Tue
    await L.client.hostClock({ advance: DAY });
    expect(await withdraw(L.client, 200_000)).toBe('accepted'); // Wed
    await L.client.hostClock({ advance: 2 * DAY });
    expect(await withdraw(L.client, 1)).toBe('refused'); // Fri: Mon..Fri hold 600,000
    await shut(L);
    const L2 = await open(dir);
    expect((await L2.client.sls.clock()).clock).toBe(monday + 4 * DAY);
    expect((await L2.client.sls.clock()).paused).toBe(true);
    await L2.client.hostClock({ advance: DAY });
    // Saturday counts for Monday: the window is Tue..Fri and next Monday, so Monday's 200,000 left it
    expect(await withdraw(L2.client, 200_000)).toBe('accepted');
    expect(await withdraw(L2.client, 1)).toBe('refused'); // the day's 200,000 are used
    expect((await L2.client.sls.user('ann.card')).limits.usage).toEqual({ day: 200_000_00, fiveDays: 600_000_00 });
  }, 90_000);
});

describe('deleting a token ends its SLS device', () => {
  it('the device is removed, its sharing ends, the best device and limits follow', async () => {
    const { L } = await fresh();
    const c = L.client;
    const events: HostEvent[] = [];
    const stop = await c.events((e) => events.push(e));
    await c.hostClock({ pause: true });
    // ann.card shares ann's DSC+ (same person): her card becomes redundant
    const annCard = await cardLogin(c);
    const annDevice = (await c.sls.user('ann')).devices[0];
    const ch = await c.sls.shareChallenge('ann', annDevice.id);
    const shown = await c.keys('dscplus-1', `PRESS 1234 OK ${ch.challenge} OK`);
    const sharing = await c.sls.share({
      session: annCard,
      owner: 'ann',
      ownerPassword: PASSWORD,
      deviceId: annDevice.id,
      challenge: ch.challenge!,
      response: shown.display.text,
    });
    expect(sharing.status).toBe('active');
    expect((await c.sls.user('ann.card')).best?.kind).toBe('dscplus');
    expect((await c.sls.user('ann.card')).limits.device).toBe('dscplus');

    await c.remove('dscplus-1');
    const ann = await c.sls.user('ann');
    expect(ann.devices.map((d) => [d.id, d.status])).toEqual([[annDevice.id, 'removed']]);
    expect(ann.best).toBeNull();
    expect(ann.limits.device).toBe('none');
    const card = await c.sls.user('ann.card');
    expect(card.shared).toEqual([]);
    expect(card.best?.kind).toBe('card');
    expect(card.limits.device).toBe('card');
    expect((await c.sls.sharings()).find((s) => s.id === sharing.id)?.status).toBe('cancelled');
    expect(await status(c.sls.login('ann', PASSWORD))).toBe(409);
    await new Promise((res) => setTimeout(res, 200)); // the stream writes after the call returns
    stop();
    const sls = events.filter((e) => e.type === 'sls');
    expect(sls.find((e) => e.event === 'sharing-granted')).toMatchObject({ sharingId: sharing.id, requester: 'ann.card', owner: 'ann' });
    expect(sls.filter((e) => e.event === 'device-removed')).toMatchObject([
      { username: 'ann', deviceId: annDevice.id, tokenId: 'dscplus-1' },
    ]);
    // a new token with the same id can be linked again
    await c.create({ kind: 'dscplus', id: 'dscplus-1' });
    expect((await c.sls.addDevice('ann', { kind: 'dscplus', tokenId: 'dscplus-1' })).device.status).toBe('active');
  }, 60_000);

  it('a token deleted while the SLS was closed ends its device at the next open', async () => {
    const { L } = await fresh();
    await closeSls(L.host);
    // as if the server died between the delete and the SLS update: nobody follows this one
    const listeners = L.host.listeners('removed');
    L.host.removeAllListeners('removed');
    await L.host.remove('dsc-1');
    for (const f of listeners) L.host.on('removed', f as never);
    expect((await L.client.list()).map((t) => t.id)).not.toContain('dsc-1');
    // the SLS reopens on the next call and ends the devices of tokens that went meanwhile
    const bob = await L.client.sls.user('bob');
    expect(bob.devices.map((d) => d.status)).toEqual(['removed']);
    expect(bob.limits.device).toBe('none');
  }, 60_000);
});
