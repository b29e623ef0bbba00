/**
 * kill -9 exactly inside the SLS transactions: the server runs with TOKENBENCH_TEST_SLS_KILL_AT
 * naming one point between two statements of a sharing, an approval, a cancel, an IB Key
 * activation (over an older activation on another phone), a withdrawal or a token's removal, so
 * the SIGKILL always lands mid-transaction (emulator/sls/kill-points.ts). After each kill the
 * database is checked as the dead server left it (integrity, foreign keys, no half-shared device,
 * no activation without its user link and device, one active phone per user, each withdrawal
 * once), then a server without the variable starts on it: the flow was not done, and doing it
 * again works once. crash.slow.test.ts kills at random moments.
 */
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type TokenbenchClient } from '../../emulator/api/client.ts';
import { KILL_POINTS, type KillPoint } from '../../emulator/sls/kill-points.ts';
import { slsDbPath } from '../../emulator/sls/sls.ts';
import { tempDir } from '../emulator/helpers.ts';
import { startServe } from '../emulator/serve-process.ts';

const PASSWORD = 'Kill-pass-1';
const PIN = 'Jp4&z';

interface Server {
  child: ChildProcess;
  api: TokenbenchClient;
}

function start(dir: string, killAt?: KillPoint): Promise<Server> {
  return startServe({ dir, env: { TOKENBENCH_TEST_SLS_KILL_AT: killAt } });
}

const exited = (child: ChildProcess) => new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r)));

async function stop(s: Server): Promise<void> {
  s.child.kill('SIGTERM');
  await exited(s.child);
}

/** Runs `op` on a server that must die by SIGKILL at its kill point while doing it. */
async function killedDuring(s: Server, op: () => Promise<unknown>): Promise<void> {
  const err = await op().then(
    () => null,
    (e: unknown) => e,
  );
  await exited(s.child);
  expect(s.child.signalCode, 'the server died by its kill point').toBe('SIGKILL');
  // the request in flight lost its server (a removal answers before its SLS update: either is fine)
  if (err !== null) expect(err instanceof ApiError && err.status === 0 ? 'connection lost' : String(err)).toBe('connection lost');
}

type Row = Record<string, unknown>;
/** The database as the dead server left it: consistent whatever point it died at. */
function consistent(dir: string): {
  devices: Row[];
  sharings: Row[];
  activations: Row[];
  phones: Row[];
  withdrawals: Row[];
  pending: number;
} {
  const db = new Database(slsDbPath(dir));
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = (t: string) =>
      (db.prepare(`SELECT data FROM ${t} ORDER BY rowid`).all() as { data: string }[]).map((r) => JSON.parse(r.data) as Row);
    const devices = rows('devices');
    const sharings = rows('sharings');
    const activations = rows('activations');
    const phones = rows('phones') as { id: string; app: { users: { username: string; activationId: string; active: boolean }[] } }[];
    const withdrawals = rows('withdrawals');
    // no half-shared device: an open sharing names an active device of its owner
    for (const s of sharings.filter((x) => x.status === 'active' || x.status === 'pending'))
      expect(devices.find((d) => d.id === s.deviceId)).toMatchObject({ status: 'active', owner: s.owner });
    // no activation without its user link: each active one has its user, one active device and its app entry
    const active = activations.filter((a) => a.active);
    expect(new Set(active.map((a) => a.username)).size).toBe(active.length);
    for (const a of active) {
      expect(devices.filter((d) => d.activationId === a.id && d.status === 'active' && d.owner === a.username).length).toBe(1);
      expect(phones.find((p) => p.id === a.phoneId)!.app.users.find((u) => u.username === a.username)).toMatchObject({
        activationId: a.id,
        active: true,
      });
    }
    expect(devices.filter((d) => d.kind === 'ibkey' && d.status === 'active').length).toBe(active.length);
    for (const p of phones)
      for (const u of p.app.users.filter((x) => x.active))
        expect(active.some((a) => a.id === u.activationId && a.phoneId === p.id)).toBe(true);
    // each withdrawal request once
    const ids = withdrawals.map((w) => w.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    const pending = (db.prepare('SELECT count(*) AS n FROM pending_activations').get() as { n: number }).n;
    return { devices, sharings, activations, phones, withdrawals, pending };
  } finally {
    db.close();
  }
}

let prepared: string;
const dirs: string[] = [];

async function cardLogin(api: TokenbenchClient, username: string): Promise<string> {
  const l = await api.sls.login(username, PASSWORD);
  const grid = (await api.card(l.device!.tokenId!)).values;
  const done = await api.sls.answer(l.id, l.indexes!.map((i) => grid[i - 1]).join(''));
  expect(done.status).toBe('done');
  return done.session!;
}

async function annAnswer(api: TokenbenchClient): Promise<{ deviceId: string; challenge: string; response: string }> {
  const deviceId = (await api.sls.user('ann')).devices[0].id;
  const ch = await api.sls.shareChallenge('ann', deviceId);
  const on = (await api.get('dscplus-1')).state !== 'off';
  const response = (await api.keys('dscplus-1', `${on ? 'PRESS ' : ''}PRESS 1234 OK ${ch.challenge} OK`)).display.text;
  return { deviceId, challenge: ch.challenge!, response };
}

async function activateStart(api: TokenbenchClient, phoneId: string) {
  const req = await api.sls.activate(phoneId, { username: 'ivy', password: PASSWORD, number: '4165550199' });
  const code = /code: (\d{6})/.exec((await api.sls.sms())[0].text)![1];
  return { request: req.request, code, pin: PIN };
}

beforeAll(async () => {
  // one lab for every point: the demo, a second phone with ivy's older activation, sessions
  prepared = tempDir('tb-sls-kill-base-');
  const s = await start(prepared);
  await s.api.hostClock({ pause: true });
  await s.api.sls.demo(PASSWORD);
  await s.api.sls.createPhone({ id: 'phone-b', os: 'android', version: 13, biometrics: 'fingerprint' });
  await s.api.sls.confirm('phone-b', await activateStart(s.api, 'phone-b'));
  await stop(s);
}, 120_000);

afterAll(() => {
  for (const d of [prepared, ...dirs]) rmSync(d, { recursive: true, force: true });
});

/** A copy of the prepared lab, on a server that dies at `point`. */
async function labFor(point: KillPoint): Promise<{ dir: string; s: Server }> {
  const dir = tempDir(`tb-sls-kill-${point.replace(':', '-')}-`);
  dirs.push(dir);
  cpSync(prepared, dir, { recursive: true });
  return { dir, s: await start(dir, point) };
}

describe('SLS kill -9 inside each transaction', () => {
  it('names every point it tests', () => {
    expect([...KILL_POINTS].sort()).toEqual(
      [
        'share:checked',
        'share:written',
        'approve:written',
        'cancel-sharing:written',
        'activate:old-deactivated',
        'activate:activation-written',
        'activate:device-written',
        'activate:phone-written',
        'withdraw:checked',
        'withdraw:written',
        'token-removed:device-written',
      ].sort(),
    );
  });

  for (const point of ['share:checked', 'share:written'] as const)
    it(`sharing, killed at ${point}: not shared; sharing again works`, async () => {
      const { dir, s } = await labFor(point);
      const session = await cardLogin(s.api, 'ann.card');
      const a = await annAnswer(s.api);
      await killedDuring(s, () => s.api.sls.share({ session, owner: 'ann', ownerPassword: PASSWORD, ...a }));
      expect(consistent(dir).sharings).toEqual([]);
      const again = await start(dir);
      expect((await again.api.sls.user('ann.card')).best?.kind).toBe('card');
      const shared = await again.api.sls.share({ session, owner: 'ann', ownerPassword: PASSWORD, ...(await annAnswer(again.api)) });
      expect(shared.status).toBe('active');
      expect((await again.api.sls.user('ann.card')).best?.kind).toBe('dscplus');
      await stop(again);
      expect(consistent(dir).sharings.length).toBe(1);
    }, 60_000);

  it('compliance approval, killed at approve:written: still pending; approving again works', async () => {
    const { dir, s } = await labFor('approve:written');
    const trust = await cardLogin(s.api, 'trust');
    const pending = await s.api.sls.share({ session: trust, owner: 'ann', ownerPassword: PASSWORD, ...(await annAnswer(s.api)) });
    expect(pending.status).toBe('pending');
    await killedDuring(s, () => s.api.sls.approve(pending.id));
    expect(consistent(dir).sharings.map((x) => x.status)).toEqual(['pending']);
    const again = await start(dir);
    expect((await again.api.sls.approve(pending.id)).status).toBe('active');
    await stop(again);
  }, 60_000);

  it('cancelling a sharing, killed at cancel-sharing:written: still active; cancelling again works', async () => {
    const { dir, s } = await labFor('cancel-sharing:written');
    const session = await cardLogin(s.api, 'ann.card');
    const shared = await s.api.sls.share({ session, owner: 'ann', ownerPassword: PASSWORD, ...(await annAnswer(s.api)) });
    await killedDuring(s, () => s.api.sls.cancelSharing(session, shared.id));
    expect(consistent(dir).sharings.map((x) => x.status)).toEqual(['active']);
    const again = await start(dir);
    expect((await again.api.sls.user('ann.card')).best?.kind).toBe('dscplus');
    expect((await again.api.sls.cancelSharing(session, shared.id)).status).toBe('cancelled');
    expect((await again.api.sls.user('ann.card')).best?.kind).toBe('card');
    await stop(again);
  }, 60_000);

  for (const point of [
    'activate:old-deactivated',
    'activate:activation-written',
    'activate:device-written',
    'activate:phone-written',
  ] as const)
    it(`IB Key activation on a second phone, killed at ${point}: the old phone still active; confirming again works`, async () => {
      const { dir, s } = await labFor(point);
      const confirm = await activateStart(s.api, 'iphone-1');
      await killedDuring(s, () => s.api.sls.confirm('iphone-1', confirm));
      const db = consistent(dir);
      expect(db.activations.filter((a) => a.active).map((a) => a.phoneId)).toEqual(['phone-b']);
      expect(db.pending).toBe(1);
      const again = await start(dir);
      expect((await again.api.sls.phone('iphone-1')).app.users).toEqual([]);
      await again.api.sls.confirm('iphone-1', confirm);
      expect((await again.api.sls.phone('phone-b')).app.users.map((u) => u.active)).toEqual([false]);
      await stop(again);
      const after = consistent(dir);
      expect(after.activations.filter((a) => a.active).map((a) => a.phoneId)).toEqual(['iphone-1']);
      expect(after.pending).toBe(0);
    }, 60_000);

  for (const point of ['withdraw:checked', 'withdraw:written'] as const)
    it(`withdrawal, killed at ${point}: not counted; the resent request counts once`, async () => {
      const { dir, s } = await labFor(point);
      const session = await cardLogin(s.api, 'ann.card');
      const w = { session, amount: 150_000, bank: 'B-1', requestId: 'req-kill' };
      await killedDuring(s, () => s.api.sls.withdraw(w));
      expect(consistent(dir).withdrawals).toEqual([]);
      const again = await start(dir);
      expect((await again.api.sls.withdraw(w)).repeated).toBe(false);
      expect((await again.api.sls.withdraw(w)).repeated).toBe(true);
      expect((await again.api.sls.user('ann.card')).limits.usage.day).toBe(150_000_00);
      await stop(again);
      expect(consistent(dir).withdrawals.length).toBe(1);
    }, 60_000);

  it('token deleted, killed at token-removed:device-written: the next start ends its device and sharing', async () => {
    const { dir, s } = await labFor('token-removed:device-written');
    const session = await cardLogin(s.api, 'ann.card');
    const shared = await s.api.sls.share({ session, owner: 'ann', ownerPassword: PASSWORD, ...(await annAnswer(s.api)) });
    await killedDuring(s, () => s.api.remove('dscplus-1'));
    const db = consistent(dir);
    // rolled back: the device and its sharing as they were (the token's files are gone)
    expect(db.devices.find((d) => d.tokenId === 'dscplus-1')?.status).toBe('active');
    expect(db.sharings.map((x) => x.status)).toEqual(['active']);
    const again = await start(dir);
    expect((await again.api.list()).map((t) => t.id)).not.toContain('dscplus-1');
    expect((await again.api.sls.user('ann')).devices.map((d) => d.status)).toEqual(['removed']);
    expect((await again.api.sls.sharings()).find((x) => x.id === shared.id)?.status).toBe('cancelled');
    expect((await again.api.sls.user('ann.card')).best?.kind).toBe('card');
    await stop(again);
    consistent(dir);
  }, 60_000);
});
