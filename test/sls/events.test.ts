/**
 * SLS events on the host's event stream (`/api/events`, type `sls`): a client subscribes and sees
 * logins, sharing, opt-out and in, withdrawals, IB Key activation, SMS and pushes; no event carries
 * a password, PIN, code, challenge or response; a stream for one token does not get them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvent } from '../../emulator/api/client.ts';
import { closeSls } from '../../emulator/api/sls-routes.ts';
import { lab, type Lab } from '../emulator/helpers.ts';

const PASSWORD = 'lab-Passw0rd!';
const PIN = 'Qz8#';
let L: Lab;

beforeAll(async () => {
  L = await lab({ listen: false });
});

afterAll(async () => {
  await closeSls(L.host);
  await L.close();
});

describe('SLS events', () => {
  it('a subscriber sees each flow, and no secret in any event', async () => {
    const c = L.client;
    const events: HostEvent[] = [];
    const oneToken: HostEvent[] = [];
    const stop = await c.events((e) => events.push(e));
    const stopOne = await c.events((e) => oneToken.push(e), 'dscplus-1');
    const secrets: string[] = [PASSWORD, PIN];
    const { tempCode } = await c.sls.demo(PASSWORD);
    secrets.push(tempCode);
    await c.hostClock({ pause: true });

    // login: a wrong password, a wrong answer, then a DSC+ login
    await c.sls.login('ann', 'Wrong-pass-1').catch(() => null);
    const dscplus = async (challenge: string) => {
      const on = (await c.get('dscplus-1')).state !== 'off';
      const text = (await c.keys('dscplus-1', `${on ? 'PRESS ' : ''}PRESS 1234 OK ${challenge} OK`)).display.text;
      secrets.push(text);
      return text;
    };
    let l = await c.sls.login('ann', PASSWORD);
    l = await c.sls.answer(l.id, '00000000');
    expect(l.status).toBe('second-factor');
    l = await c.sls.answer(l.id, await dscplus(l.challenge!));
    expect(l.status).toBe('done');
    secrets.push(l.session!);
    const ann = l.session!;

    // sharing: refused (less secure), then trust asks for ann's DSC+ (other entity: pending), approved, cancelled
    const cardDevice = (await c.sls.user('ann.card')).devices[0].id;
    const cardCh = await c.sls.shareChallenge('ann.card', cardDevice);
    const card1 = (await c.card('card-1')).values;
    const cardTyped = cardCh.indexes!.map((i) => card1[i - 1]).join('');
    secrets.push(cardTyped);
    await c.sls
      .share({
        session: ann,
        owner: 'ann.card',
        ownerPassword: PASSWORD,
        deviceId: cardDevice,
        challenge: cardCh.challenge!,
        response: cardTyped,
      })
      .catch(() => null);
    const t = await c.sls.login('trust', PASSWORD);
    const grid = (await c.card(t.device!.tokenId!)).values;
    const typed = t.indexes!.map((i) => grid[i - 1]).join('');
    secrets.push(typed);
    const trust = (await c.sls.answer(t.id, typed)).session!;
    const annDevice = (await c.sls.user('ann')).devices[0].id;
    const ch = await c.sls.shareChallenge('ann', annDevice);
    const shared = await c.sls.share({
      session: trust,
      owner: 'ann',
      ownerPassword: PASSWORD,
      deviceId: annDevice,
      challenge: ch.challenge!,
      response: await dscplus(ch.challenge!),
    });
    expect(shared.status).toBe('pending');
    await c.sls.approve(shared.id);
    await c.sls.cancelSharing(trust, shared.id);

    // opt-out and back in; withdrawals accepted, exceptional, refused
    await c.sls.optOut(ann, true);
    await c.sls.optIn(ann);
    await c.sls.withdraw({ session: trust, amount: 100, bank: 'B-9' });
    await c.sls.deposit((await c.sls.user('trust')).accountId, 'B-DEP');
    await c.sls.withdraw({ session: trust, amount: 300_000, bank: 'B-DEP' });
    await c.sls.withdraw({ session: trust, amount: 300_000, bank: 'B-9' }).catch(() => null);

    // IB Key: activation by SMS, push approved with the PIN, push denied by the biometric
    const req = await c.sls.activate('iphone-1', { username: 'ivy', password: PASSWORD, number: '4165550199' });
    const code = /code: (\d{6})/.exec((await c.sls.sms())[0].text)![1];
    secrets.push(code);
    await c.sls.confirm('iphone-1', { request: req.request, code, pin: PIN, biometrics: true });
    const push = async (how: { pin: string } | { biometric: 'fail' }) => {
      const li = await c.sls.login('ivy', PASSWORD);
      await c.sls.push(li.id);
      const n = (await c.sls.phone('iphone-1')).notifications[0];
      secrets.push(n.challenge);
      await c.sls.approvePush('iphone-1', { notificationId: n.id, ...how });
      return c.sls.loginStatus(li.id);
    };
    expect((await push({ pin: PIN })).status).toBe('done');
    expect((await push({ biometric: 'fail' })).status).toBe('second-factor');
    const li = await c.sls.login('ivy', PASSWORD);
    const r = await c.sls.respond('iphone-1', { username: 'ivy', challenge: li.challenge!, pin: PIN });
    secrets.push(r.response);
    expect((await c.sls.answer(li.id, r.response)).status).toBe('done');

    await c.sls.logout(ann);
    await new Promise((res) => setTimeout(res, 300)); // the stream writes after the call returns
    stop();
    stopOne();
    const sls = events.filter((e): e is Extract<HostEvent, { type: 'sls' }> => e.type === 'sls');
    const names = new Set(sls.map((e) => e.event));
    for (const n of [
      'login-success',
      'login-failure',
      'sharing-requested',
      'sharing-refused',
      'sharing-pending',
      'sharing-approved',
      'sharing-cancelled',
      'opt-out',
      'opt-in',
      'withdrawal-accepted',
      'withdrawal-exceptional',
      'withdrawal-refused',
      'sms-sent',
      'ibkey-activated',
      'push-sent',
      'push-approved',
      'push-denied',
      'logout',
    ] as const)
      expect(names, n).toContain(n);
    expect(sls.find((e) => e.event === 'login-failure' && e.reason === 'wrong-password')).toMatchObject({ username: 'ann' });
    expect(sls.find((e) => e.event === 'sharing-refused')).toMatchObject({
      requester: 'ann',
      owner: 'ann.card',
      reason: 'less-secure-device',
      message: 'Less secure device',
    });
    expect(sls.find((e) => e.event === 'withdrawal-exceptional')).toMatchObject({ username: 'trust', amount: 300_000, bank: 'B-DEP' });
    expect(sls.find((e) => e.event === 'ibkey-activated')).toMatchObject({ username: 'ivy', phoneId: 'iphone-1' });
    expect(sls.find((e) => e.event === 'sms-sent')).toMatchObject({ number: '4165550199' });
    for (const e of sls) expect(typeof e.at).toBe('number');
    const text = JSON.stringify(sls);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(oneToken.filter((e) => e.type === 'sls')).toEqual([]);
  }, 90_000);

  it('sharing rejected by the operator is an event too', async () => {
    const c = L.client;
    const events: HostEvent[] = [];
    const stop = await c.events((e) => events.push(e));
    const t = await c.sls.login('trust', PASSWORD);
    const grid = (await c.card(t.device!.tokenId!)).values;
    const trust = (await c.sls.answer(t.id, t.indexes!.map((i) => grid[i - 1]).join(''))).session!;
    const annDevice = (await c.sls.user('ann')).devices[0].id;
    const ch = await c.sls.shareChallenge('ann', annDevice);
    const on = (await c.get('dscplus-1')).state !== 'off';
    const text = (await c.keys('dscplus-1', `${on ? 'PRESS ' : ''}PRESS 1234 OK ${ch.challenge} OK`)).display.text;
    const s = await c.sls.share({
      session: trust,
      owner: 'ann',
      ownerPassword: PASSWORD,
      deviceId: annDevice,
      challenge: ch.challenge!,
      response: text,
    });
    await c.sls.reject(s.id);
    await new Promise((res) => setTimeout(res, 200));
    stop();
    expect(events.filter((e) => e.type === 'sls' && e.event === 'sharing-rejected')).toMatchObject([
      { sharingId: s.id, requester: 'trust', owner: 'ann' },
    ]);
  }, 60_000);
});
