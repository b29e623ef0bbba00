/**
 * kill -9 at random moments while clients share and unshare a device, activate IB Key on two
 * phones in turn and withdraw with request ids; after each kill the SLS database is checked as
 * the dead server left it (integrity, foreign keys, no half-shared device, no activation without
 * its device and phone, at most one active phone per user, no withdrawal counted twice), then the
 * server restarts on it and the clients carry on, resending what was in flight.
 */
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiError, type TokenbenchClient } from '../../emulator/api/client.ts';
import type { LoginState } from '../../emulator/api/sls-client.ts';
import { slsDbPath } from '../../emulator/sls/sls.ts';
import { randomInt, seededRng } from '../../firmware/rng.ts';
import { tempDir } from '../emulator/helpers.ts';
import { startServe } from '../emulator/serve-process.ts';

const PASSWORD = 'Crash-pass-1';

function start(dir: string): Promise<{ child: ChildProcess; api: TokenbenchClient }> {
  return startServe({ dir });
}

/** The dead server's database, as it is on disk. */
function check(dir: string, withdrawalsAcked: Set<string>, inFlight: string | null): number {
  const db = new Database(slsDbPath(dir));
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = <T>(sql: string) => (db.prepare(sql).all() as { data: string }[]).map((r) => JSON.parse(r.data) as T);
    const devices = rows<{ id: string; kind: string; owner: string; status: string; activationId?: string }>('SELECT data FROM devices');
    const sharings = rows<{ deviceId: string; requester: string; status: string }>('SELECT data FROM sharings');
    const activations = rows<{ id: string; username: string; phoneId: string; active: boolean }>('SELECT data FROM activations');
    const phones = rows<{ id: string; app: { users: { username: string; activationId: string; active: boolean }[] } }>(
      'SELECT data FROM phones',
    );
    // no half-shared device: an open sharing names a device that exists and is active
    for (const s of sharings.filter((x) => x.status === 'active' || x.status === 'pending'))
      expect(devices.find((d) => d.id === s.deviceId)?.status).toBe('active');
    expect(
      sharings.filter((x) => x.requester === 'ann.card' && (x.status === 'active' || x.status === 'pending')).length,
    ).toBeLessThanOrEqual(1);
    // activations: at most one active per user, each with its active device and its phone's app entry
    const active = activations.filter((a) => a.active);
    expect(new Set(active.map((a) => a.username)).size).toBe(active.length);
    for (const a of active) {
      expect(devices.filter((d) => d.activationId === a.id && d.status === 'active').length).toBe(1);
      expect(phones.find((p) => p.id === a.phoneId)!.app.users.find((u) => u.username === a.username)).toMatchObject({
        activationId: a.id,
        active: true,
      });
    }
    expect(devices.filter((d) => d.kind === 'ibkey' && d.status === 'active').length).toBe(active.length);
    for (const p of phones)
      for (const u of p.app.users.filter((x) => x.active))
        expect(active.some((a) => a.id === u.activationId && a.phoneId === p.id)).toBe(true);
    // withdrawals: each request counted once; every acknowledged one is there; only the one in flight may be extra
    const w = rows<{ requestId: string; amount: number }>('SELECT data FROM withdrawals');
    const ids = w.map((x) => x.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of withdrawalsAcked) expect(ids).toContain(id);
    for (const id of ids) expect(withdrawalsAcked.has(id) || id === inFlight).toBe(true);
    return w.length;
  } finally {
    db.close();
  }
}

describe('SLS crash safety (SIGKILL during sharing, activation and withdrawal)', () => {
  it('leaves the database consistent', async () => {
    const dir = tempDir('tb-sls-crash-');
    const rng = seededRng(1129);
    let { child, api } = await start(dir);
    await api.sls.demo(PASSWORD);
    await api.sls.createPhone({ id: 'phone-b', os: 'android', version: 13, biometrics: 'fingerprint' });
    const acked = new Set<string>();
    let inFlight: string | null = null;
    let seq = 0;
    const done = { shares: 0, activations: 0, withdrawals: 0 };

    const dscplus = async (challenge: string) => {
      const on = (await api.get('dscplus-1')).state !== 'off';
      return (await api.keys('dscplus-1', `${on ? 'PRESS ' : ''}PRESS 1234 OK ${challenge} OK`)).display.text;
    };
    const login = async (username: string): Promise<string> => {
      let l: LoginState = await api.sls.login(username, PASSWORD);
      if (l.status === 'done') return l.session!;
      if (l.device!.kind === 'dscplus') l = await api.sls.answer(l.id, await dscplus(l.challenge!));
      else if (l.device!.kind === 'dsc') {
        await api.clock('dsc-1', { advance: 31_000 });
        l = await api.sls.answer(l.id, (await api.keys('dsc-1', 'PRESS:2000 1234 OK')).display.text);
      } else {
        const grid = (await api.card(l.device!.tokenId!)).values;
        l = await api.sls.answer(l.id, l.indexes!.map((i) => grid[i - 1]).join(''));
      }
      expect(l.status).toBe('done');
      return l.session!;
    };

    // at least 5 kills, and on until each flow completed often enough (a loaded machine is slower)
    const enough = () => done.shares >= 6 && done.activations >= 3 && done.withdrawals >= 10;
    let cycle = 0;
    for (; cycle < 5 || (!enough() && cycle < 12); cycle++) {
      let stop = false;
      // resend the withdrawal that was in flight: with its request id it counts once
      await api.clock('dscplus-1', { pause: true }); // no idle switch-off between a look at it and its keys
      const bob = await login('bob');
      const annCard = await login('ann.card');
      const annDevice = (await api.sls.user('ann')).devices[0].id;
      const sharer = (async () => {
        while (!stop) {
          const open = (await api.sls.sharings()).find((s) => s.requester === 'ann.card' && s.status === 'active');
          if (open) await api.sls.cancelSharing(annCard, open.id);
          else {
            const ch = await api.sls.shareChallenge('ann', annDevice);
            await api.sls.share({
              session: annCard,
              owner: 'ann',
              ownerPassword: PASSWORD,
              deviceId: annDevice,
              challenge: ch.challenge!,
              response: await dscplus(ch.challenge!),
            });
          }
          done.shares++;
        }
      })();
      const activator = (async () => {
        for (let i = cycle; !stop; i++) {
          const phoneId = i % 2 ? 'phone-b' : 'iphone-1';
          const phone = await api.sls.phone(phoneId);
          if (phone.app.users.length === 0 && phone.app.pinSet) await api.sls.reinstall(phoneId);
          const req = await api.sls.activate(phoneId, { username: 'ivy', password: PASSWORD, number: '4165550199' });
          const code = /code: (\d{6})/.exec((await api.sls.sms())[0].text)![1];
          await api.sls.confirm(phoneId, { request: req.request, code, pin: 'Jp4&z' });
          done.activations++;
        }
      })();
      const withdrawer = (async () => {
        if (inFlight) {
          await api.sls.withdraw({ session: bob, amount: 1, bank: 'BANK-X', requestId: inFlight });
          acked.add(inFlight);
          inFlight = null;
        }
        while (!stop) {
          inFlight = `w-${++seq}`;
          await api.sls.withdraw({ session: bob, amount: 1, bank: 'BANK-X', requestId: inFlight });
          acked.add(inFlight);
          inFlight = null;
          done.withdrawals++;
        }
      })();
      const settled = Promise.all(
        [sharer, activator, withdrawer].map((p) =>
          p.then(
            () => null,
            (e: unknown) => e,
          ),
        ),
      );
      await new Promise((r) => setTimeout(r, 1500 + randomInt(rng, 2500)));
      stop = true;
      child.kill('SIGKILL');
      // each client either stopped or lost the server under its request in flight, nothing else
      for (const e of await settled)
        if (e !== null) expect(e instanceof ApiError && e.status === 0 ? 'connection lost' : String(e)).toBe('connection lost');
      await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r)));
      check(dir, acked, inFlight);
      ({ child, api } = await start(dir));
      expect((await api.health()).problems).toEqual([]);
    }
    child.kill('SIGKILL');
    expect(enough(), JSON.stringify(done)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 400_000);
});
