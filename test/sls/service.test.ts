/** The SLS service over SQLite and a real host: login with each device, sharing, opt-out, withdrawals, IB Key. */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../emulator/host/host.ts';
import { openSls, type Sls } from '../../emulator/sls/sls.ts';
import type { LoginState } from '../../emulator/sls/login.ts';
import { seededRng } from '../../firmware/rng.ts';
import { tempDir } from '../emulator/helpers.ts';

const CHEAP = { N: 1 << 10, r: 8, p: 1 };
const ID = { dateOfBirth: '1980-04-17', citizenship: 'GB', residence: 'GB', idType: 'passport' as const, idNumber: 'P1234567' };

let dir: string;
let host: Host;
let sls: Sls;

beforeAll(async () => {
  dir = tempDir('tb-sls-');
  host = new Host({ dataDir: dir, listen: false });
  await host.open();
  await host.create({ kind: 'online-card', id: 'ocard-1' });
  await host.create({ kind: 'dscplus', id: 'dscplus-2' });
  await host.create({ kind: 'card', id: 'card-2' });
  sls = openSls({ host, rng: seededRng('sls'), scryptCost: CHEAP });
  const s = sls.service;
  await s.createEntity({ id: 'ann-e', name: 'Ann Smith', identification: ID });
  await s.createEntity({ id: 'ann-twin', name: 'Ann Smith (second entity)', identification: { ...ID, idNumber: 'p123-4567' } });
  await s.createEntity({ id: 'bob-e', name: 'Bob Jones', identification: { ...ID, dateOfBirth: '1975-01-02' } });
  for (const [u, e, acct] of [
    ['ann', 'ann-e', 'A1'],
    ['amy', 'ann-e', 'A1'],
    ['anna', 'ann-twin', 'A2'],
    ['bob', 'bob-e', 'B1'],
    ['tim', 'ann-e', 'A1'],
    ['dan', 'ann-e', 'A3'],
  ] as const)
    await s.createUser({ username: u, password: `pw-${u}-secret`, entityId: e, accountId: acct });
  await s.addDevice('ann', { kind: 'dscplus', tokenId: 'dscplus-1' });
  await s.addDevice('amy', { kind: 'card', tokenId: 'card-1' });
  await s.addDevice('bob', { kind: 'dsc', tokenId: 'dsc-1' });
  await s.addDevice('tim', { kind: 'online-card', tokenId: 'ocard-1' });
  await s.addDevice('dan', { kind: 'dscplus', tokenId: 'dscplus-2' });
  await s.addDevice('anna', { kind: 'card', tokenId: 'card-2' });
});

afterAll(async () => {
  await sls.close();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the holder of `tokenId` types for the login page's prompt. */
async function answerOf(tokenId: string, l: LoginState): Promise<string> {
  if (l.device!.kind === 'dscplus') {
    const on = host.describe(tokenId).state !== 'off';
    return (await host.keys(tokenId, `${on ? 'PRESS ' : ''}PRESS 1234 OK ${l.challenge} OK`)).at(-1)!.display;
  }
  if (l.device!.kind === 'dsc') {
    host.clock(tokenId, { advance: 31_000 }); // a new time step: the same passcode twice is a replay
    return (await host.keys(tokenId, 'PRESS:2000 1234 OK')).at(-1)!.display;
  }
  const grid = host.cardValues(tokenId).values;
  return l.indexes!.map((i) => grid[i - 1]).join('');
}

/** Logs in with the device the login page asks for (`expect`: the token it should be). */
async function login(username: string, expectToken?: string): Promise<string> {
  const l = await sls.login.start(username, `pw-${username}-secret`);
  if (l.status === 'done') return l.session!;
  if (expectToken) expect(l.device!.tokenId).toBe(expectToken);
  const r = await sls.login.answer(l.id, await answerOf(l.device!.tokenId!, l));
  expect(r.status, r.message).toBe('done');
  return r.session!;
}

describe('SLS service', () => {
  it('logs in with each hosted device and refuses a wrong answer and a replay', async () => {
    for (const [u, t] of [
      ['ann', 'dscplus-1'],
      ['amy', 'card-1'],
      ['bob', 'dsc-1'],
      ['tim', 'ocard-1'],
    ])
      expect(await login(u, t)).toMatch(/^[0-9a-f]{32}$/);
    const l = await sls.login.start('ann', 'pw-ann-secret');
    const right = await answerOf('dscplus-1', l);
    const wrong = await sls.login.answer(
      l.id,
      right.replace(/\d$/, (d) => String((Number(d) + 1) % 10)),
    );
    expect(wrong).toMatchObject({ status: 'second-factor', wrongAnswers: 1 });
    expect(wrong.challenge).not.toBe(l.challenge);
    // the old challenge's right answer is a replay now: refused
    expect(await sls.login.answer(l.id, right)).toMatchObject({ status: 'second-factor', wrongAnswers: 2 });
    expect((await sls.service.user('ann')).failures).toBe(2);
    await expect(sls.login.start('ann', 'nope')).rejects.toThrow('field "password": wrong username or password');
  });

  it('a Temporary Code logs in for 2 days and blocks sharing', async () => {
    const { code } = await sls.service.addDevice('dan', { kind: 'temp-code' });
    expect(code).toMatch(/^\d{8}$/);
    expect(JSON.stringify(await sls.service.user('dan'))).not.toContain(code);
    // dan's DSC+ is stronger, so login uses it; the Temporary Code still blocks sharing
    const session = await login('ann', 'dscplus-1');
    const ch = await sls.service.shareChallenge('dan', (await sls.service.user('dan')).devices[0].id);
    const resp = await answerOf('dscplus-2', { device: { kind: 'dscplus' }, challenge: ch.challenge } as LoginState);
    await expect(
      sls.service.share(session, {
        owner: 'dan',
        ownerPassword: 'pw-dan-secret',
        deviceId: (await sls.service.user('dan')).devices[0].id,
        challenge: ch.challenge!,
        response: resp,
      }),
    ).rejects.toThrow(/temporary device/);
  });

  it('sharing: less secure, different identification, approved at once, pending compliance', async () => {
    const annDev = (await sls.service.user('ann')).devices[0];
    const amyDev = (await sls.service.user('amy')).devices[0];
    const shareWith = async (requester: string, owner: string, tokenId: string, deviceId: string) => {
      const session = await login(requester);
      const ch = await sls.service.shareChallenge(owner, deviceId);
      const answer = await answerOf(tokenId, {
        device: { kind: (await sls.service.user(owner)).devices[0].kind },
        challenge: ch.challenge,
        indexes: ch.indexes ?? null,
      } as LoginState);
      return sls.service.share(session, {
        owner,
        ownerPassword: `pw-${owner}-secret`,
        deviceId,
        challenge: ch.challenge ?? undefined,
        response: answer,
      });
    };
    // amy's card is less secure than ann's DSC+
    await expect(shareWith('ann', 'amy', 'card-1', amyDev.id)).rejects.toThrow('Less secure device');
    // bob's identification differs
    await expect(shareWith('bob', 'ann', 'dscplus-1', annDev.id)).rejects.toThrow('Different identification information');
    // amy shares ann's DSC+: same entity, active at once; amy's card is redundant, her best is the DSC+
    const s = await shareWith('amy', 'ann', 'dscplus-1', annDev.id);
    expect(s.status).toBe('active');
    const amy = await sls.service.user('amy');
    expect(amy.devices[0].status).toBe('redundant');
    expect(amy.best?.kind).toBe('dscplus');
    expect(amy.limits.device).toBe('dscplus');
    // anna: another entity with the same identification data: pending until the operator decides
    const p = await shareWith('anna', 'ann', 'dscplus-1', annDev.id);
    expect(p.status).toBe('pending');
    expect((await sls.service.sharings('pending')).map((x) => x.id)).toEqual([p.id]);
    expect((await sls.service.decide(p.id, true)).status).toBe('active');
    // cancelling amy's sharing reactivates her card
    const amySession = await login('amy', 'dscplus-1');
    await sls.service.cancelSharing(amySession, s.id);
    expect((await sls.service.user('amy')).devices[0].status).toBe('active');
  });

  it('opt-out needs the primary user and acknowledged risks; restricts trading; opt back in', async () => {
    const amy = await login('amy', 'card-1');
    await expect(sls.service.optOut(amy, true)).rejects.toThrow('only user ann may change the security settings of account A1');
    const ann = await login('ann', 'dscplus-1');
    await expect(sls.service.optOut(ann, false)).rejects.toThrow(/risks/);
    expect((await sls.service.optOut(ann, true)).optedOut).toBe(true);
    expect((await sls.service.trade('amy', 'otcbb')).allowed).toBe(false);
    const pw = await sls.login.start('amy', 'pw-amy-secret');
    expect(pw).toMatchObject({ status: 'done', device: null });
    expect((await sls.service.user('ann')).limits.device).toBe('none');
    await sls.service.optIn(ann);
    expect((await sls.login.start('amy', 'pw-amy-secret')).status).toBe('second-factor');
    expect((await sls.service.trade('amy', 'pink-sheets')).allowed).toBe(true);
  });

  it('withdrawals: limits of the best device, exceptional to a deposit bank, a retried request counts once', async () => {
    const bob = await login('bob', 'dsc-1');
    await sls.service.withdraw(bob, { amount: 999_999.99, bank: 'X1', requestId: 'r1' });
    const again = await sls.service.withdraw(bob, { amount: 999_999.99, bank: 'X1', requestId: 'r1' });
    expect(again.repeated).toBe(true);
    expect(again.user.limits.usage.day).toBe(999_999_99);
    await expect(sls.service.withdraw(bob, { amount: 0.02, bank: 'X1' })).rejects.toThrow(/daily limit of 1,000,000 USD/);
    await sls.service.deposit('B1', 'X1');
    expect(await sls.service.withdraw(bob, { amount: 10, bank: 'X1' })).toMatchObject({ accepted: true, exceptional: true });
    await expect(sls.service.withdraw(bob, { amount: 1.001, bank: 'X1' })).rejects.toThrow('field "amount"');
  });

  it('IB Key: activation by SMS, push approval, fallback, one active phone per user', async () => {
    const ib = sls.ibkey;
    await ib.createPhone({ id: 'ph1', profile: { os: 'ios', version: 17, biometrics: 'face-id', passcode: true, rooted: false } });
    await ib.createPhone({ id: 'old', profile: { os: 'ios', version: 10, biometrics: 'none', passcode: true, rooted: false } });
    await expect(ib.startActivation({ phoneId: 'old', username: 'bob', password: 'pw-bob-secret', number: '7700900123' })).rejects.toThrow(
      /iOS 11/,
    );
    await expect(
      ib.startActivation({ phoneId: 'ph1', username: 'bob', password: 'pw-bob-secret', number: '+447700900123' }),
    ).rejects.toThrow('field "number"');
    await ib.setNetwork('ph1', false);
    await expect(ib.startActivation({ phoneId: 'ph1', username: 'bob', password: 'pw-bob-secret', number: '7700900123' })).rejects.toThrow(
      /network/,
    );
    await ib.setNetwork('ph1', true);
    const req = await ib.startActivation({ phoneId: 'ph1', username: 'bob', password: 'pw-bob-secret', number: '7700900123' });
    const sms = (await sls.service.tx((tx) => tx.sms(1)))[0];
    const code = /code: (\d{6})/.exec(sms.text)![1];
    await expect(ib.finishActivation({ phoneId: 'ph1', request: req.request, code, pin: '0900' })).rejects.toThrow(/phone number/);
    const done = await ib.finishActivation({ phoneId: 'ph1', request: req.request, code, pin: 'Kq7!', biometrics: true });
    expect(JSON.stringify(done)).not.toMatch(/Kq7!|"key"/);
    // bob's DSC is stronger than IB Key: revoke it so IB Key is the login device
    await sls.service.revokeDevice((await sls.service.user('bob')).devices.find((d) => d.kind === 'dsc')!.id);
    let l = await sls.login.start('bob', 'pw-bob-secret');
    expect(l.device?.kind).toBe('ibkey');
    l = await sls.login.push(l.id);
    expect(l.push).toBe('sent');
    const n = (await ib.phone('ph1')).notifications[0];
    expect((await ib.approve({ phoneId: 'ph1', notificationId: n.id, biometric: 'fail' })).outcome).toBe('failed');
    expect((await ib.approve({ phoneId: 'ph1', notificationId: n.id, biometric: 'succeed' })).outcome).toBe('approved');
    expect((await sls.login.status(l.id)).status).toBe('done');
    // fallback, offline
    await ib.setNetwork('ph1', false);
    l = await sls.login.start('bob', 'pw-bob-secret');
    l = await sls.login.push(l.id);
    expect(l.push).toBe('not-delivered');
    const { response } = await ib.respond({ phoneId: 'ph1', username: 'bob', challenge: l.challenge!, pin: 'Kq7!' });
    expect((await sls.login.answer(l.id, response)).status).toBe('done');
    // a second phone takes over
    await ib.setNetwork('ph1', true);
    await ib.createPhone({ id: 'ph2', profile: { os: 'android', version: 14, biometrics: 'fingerprint', passcode: false, rooted: false } });
    const r2 = await ib.startActivation({ phoneId: 'ph2', username: 'bob', password: 'pw-bob-secret', number: '7700900124' });
    const code2 = /code: (\d{6})/.exec((await sls.service.tx((tx) => tx.sms(1)))[0].text)![1];
    await ib.finishActivation({ phoneId: 'ph2', request: r2.request, code: code2, pin: 'Zx8$' });
    expect((await ib.phone('ph1')).app.users).toMatchObject([{ username: 'bob', active: false }]);
    await expect(ib.respond({ phoneId: 'ph1', username: 'bob', challenge: '123456', pin: 'Kq7!' })).rejects.toThrow(/another phone/);
    const ibDevices = (await sls.service.user('bob')).devices.filter((d) => d.kind === 'ibkey');
    expect(ibDevices.map((d) => d.status)).toEqual(['revoked', 'active']);
  });
});
