/**
 * Logins in progress across a restart of `tokenbench serve` (spawned, killed with SIGKILL between
 * two steps and started again on the same data directory): the DSC+ challenge and the card's index
 * pair issued before are answered after; an IB Key push sent before is approved after; the
 * fallback challenge is answered after; a challenge or push used before is refused after; a
 * pending login ends on the lab clock. The database holds no password, PIN, response, login id
 * or session token. docs/sls.md, "Login".
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type TokenbenchClient } from '../../emulator/api/client.ts';
import { slsDbPath } from '../../emulator/sls/sls.ts';
import { tempDir } from '../emulator/helpers.ts';
import { startServe, type Served } from '../emulator/serve-process.ts';

const PASSWORD = 'Inflight-pass-1';
const PIN = 'Qm7&w';
const served: Served[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of served.splice(0)) await s.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(dir: string): Promise<TokenbenchClient> {
  const s = await startServe({ dir });
  served.push(s);
  return s.api;
}

/** SIGKILL the running serve and start it again on the same directory. */
async function restart(dir: string): Promise<TokenbenchClient> {
  for (const s of served.splice(0)) await s.kill();
  return serve(dir);
}

/** A demo lab with the SLS lab clock paused (nothing expires while the test runs unless it says so). */
async function fresh(): Promise<{ dir: string; api: TokenbenchClient }> {
  const dir = tempDir('tb-sls-inflight-');
  dirs.push(dir);
  const api = await serve(dir);
  await api.sls.demo(PASSWORD);
  await api.hostClock({ pause: true });
  return { dir, api };
}

/** The API's refusal of `p`: its status and the line it says. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { status: e.status, message: e.message };
  }
  throw new Error('expected a refusal');
}

async function dscplus(api: TokenbenchClient, challenge: string): Promise<string> {
  const on = (await api.get('dscplus-1')).state !== 'off';
  return (await api.keys('dscplus-1', `${on ? 'PRESS ' : ''}PRESS 1234 OK ${challenge} OK`)).display.text;
}

/** ivy activates IB Key on iphone-1 (her only device). */
async function activateIvy(api: TokenbenchClient): Promise<void> {
  const req = await api.sls.activate('iphone-1', { username: 'ivy', password: PASSWORD, number: '4165550199' });
  const code = /code: (\d{6})/.exec((await api.sls.sms())[0].text)![1];
  await api.sls.confirm('iphone-1', { request: req.request, code, pin: PIN });
}

/** A session works: a small withdrawal under every limit is accepted. */
async function sessionWorks(api: TokenbenchClient, session: string): Promise<void> {
  expect((await api.sls.withdraw({ session, amount: 1, bank: 'B-INFLIGHT' })).accepted).toBe(true);
}

/** What is stored must not hold a secret the test saw. */
function noSecretStored(dir: string, secrets: string[]): void {
  const db = new Database(slsDbPath(dir), { readonly: true });
  try {
    const text = ['logins', 'notifications', 'ib_verifiers', 'sessions']
      .map((t) => JSON.stringify(db.prepare(`SELECT * FROM ${t}`).all()))
      .join('\n');
    for (const s of secrets) expect(text).not.toContain(s);
  } finally {
    db.close();
  }
}

describe('SLS logins in progress survive a restart of serve', () => {
  it('DSC+: the challenge issued before the restart is answered after it, once', async () => {
    let { dir, api } = await fresh();
    const l = await api.sls.login('ann', PASSWORD);
    expect(l.device?.kind).toBe('dscplus');
    api = await restart(dir);
    expect((await api.sls.loginStatus(l.id)).challenge).toBe(l.challenge);
    const response = await dscplus(api, l.challenge!);
    const done = await api.sls.answer(l.id, response);
    expect(done.status).toBe('done');
    await sessionWorks(api, done.session!);
    noSecretStored(dir, [l.id, response, done.session!, PASSWORD]);
    api = await restart(dir);
    // the login is over: answering it again is refused, after a restart too
    expect(await refusal(api.sls.answer(l.id, response))).toMatchObject({ status: 409, message: expect.stringMatching(/is done/) });
    const after = await api.sls.loginStatus(l.id);
    expect(after).toMatchObject({ status: 'done', session: null });
    expect(after.message).toMatch(/handed out before the service restarted/);
  }, 120_000);

  it('card: the index pair issued before the restart is answered after it', async () => {
    let { dir, api } = await fresh();
    const l = await api.sls.login('ann.card', PASSWORD);
    expect(l.device?.kind).toBe('card');
    api = await restart(dir);
    const again = await api.sls.loginStatus(l.id);
    expect(again.indexes).toEqual(l.indexes);
    const grid = (await api.card(l.device!.tokenId!)).values;
    const done = await api.sls.answer(l.id, l.indexes!.map((i) => grid[i - 1]).join(''));
    expect(done.status).toBe('done');
    await sessionWorks(api, done.session!);
  }, 120_000);

  it('IB Key: a push sent before the restart is approved after it, once; the session comes to the login page', async () => {
    let { dir, api } = await fresh();
    await activateIvy(api);
    const l = await api.sls.login('ivy', PASSWORD);
    expect(l.device?.kind).toBe('ibkey');
    expect((await api.sls.push(l.id)).push).toBe('sent');
    api = await restart(dir);
    const [n] = (await api.sls.phone('iphone-1')).notifications;
    expect(n).toMatchObject({ username: 'ivy', status: 'new' });
    expect((await api.sls.approvePush('iphone-1', { notificationId: n.id, pin: PIN })).outcome).toBe('approved');
    const done = await api.sls.loginStatus(l.id);
    expect(done.status).toBe('done');
    await sessionWorks(api, done.session!);
    expect((await api.sls.loginStatus(l.id)).session).toBe(done.session); // the same session on a second look
    noSecretStored(dir, [l.id, done.session!, PIN, PASSWORD]);
    api = await restart(dir);
    // the notification was used: a second approval after the restart is refused
    expect((await api.sls.phone('iphone-1')).notifications).toEqual([]);
    expect(await refusal(api.sls.approvePush('iphone-1', { notificationId: n.id, pin: PIN }))).toMatchObject({
      status: 404,
      message: expect.stringMatching(/no open notification/),
    });
  }, 120_000);

  it('IB Key fallback: the challenge issued before the restart is answered after it; its answer replayed after another restart is refused', async () => {
    let { dir, api } = await fresh();
    await activateIvy(api);
    const l = await api.sls.login('ivy', PASSWORD);
    api = await restart(dir);
    const { response } = await api.sls.respond('iphone-1', { username: 'ivy', challenge: l.challenge!, pin: PIN });
    const done = await api.sls.answer(l.id, response);
    expect(done.status).toBe('done');
    await sessionWorks(api, done.session!);
    noSecretStored(dir, [l.id, response, done.session!, PIN]);

    // the same verifier through sharing: ivy's answer is accepted once (then the sharing rules
    // refuse: different identification), and the same answer after a restart is a replay
    const device = (await api.sls.user('ivy')).devices.find((d) => d.kind === 'ibkey')!;
    const ch = await api.sls.shareChallenge('ivy', device.id);
    const r = await api.sls.respond('iphone-1', { username: 'ivy', challenge: ch.challenge!, pin: PIN });
    const share = { owner: 'ivy', ownerPassword: PASSWORD, deviceId: device.id, challenge: ch.challenge!, response: r.response };
    const first = await refusal(api.sls.share({ ...share, session: await cardSession(api) }));
    expect(first.message).toMatch(/Different identification information/); // the device's answer passed; a sharing rule refused
    api = await restart(dir);
    expect(await refusal(api.sls.share({ ...share, session: await cardSession(api) }))).toMatchObject({
      status: 403,
      message: expect.stringMatching(/not accepted \(replayed\)/),
    });
  }, 180_000);

  it('a pending login ends after 5 minutes of the lab clock, restart or not, with its push', async () => {
    let { dir, api } = await fresh();
    await activateIvy(api);
    const dsc = await api.sls.login('ann', PASSWORD);
    const ib = await api.sls.login('ivy', PASSWORD);
    await api.sls.push(ib.id);
    api = await restart(dir);
    expect((await api.sls.loginStatus(dsc.id)).status).toBe('second-factor');
    const [n] = (await api.sls.phone('iphone-1')).notifications;
    expect(n).toBeDefined();
    await api.sls.setClock({ advance: 5 * 60_000 });
    const response = await dscplus(api, dsc.challenge!);
    expect(await refusal(api.sls.answer(dsc.id, response))).toMatchObject({
      status: 404,
      message: expect.stringMatching(/no login .* in progress/),
    });
    expect((await api.sls.phone('iphone-1')).notifications).toEqual([]);
    expect(await refusal(api.sls.approvePush('iphone-1', { notificationId: n.id, pin: PIN }))).toMatchObject({
      status: 404,
      message: expect.stringMatching(/no open notification/),
    });
    api = await restart(dir);
    expect(await refusal(api.sls.loginStatus(ib.id))).toMatchObject({
      status: 404,
      message: expect.stringMatching(/no login .* in progress/),
    });
  }, 150_000);
});

/** ann.card's session (a requester for sharing tests). */
async function cardSession(api: TokenbenchClient): Promise<string> {
  const l = await api.sls.login('ann.card', PASSWORD);
  const grid = (await api.card(l.device!.tokenId!)).values;
  return (await api.sls.answer(l.id, l.indexes!.map((i) => grid[i - 1]).join(''))).session!;
}
