/** IB Key around the app: Add user with the same PIN, recovery after a reinstall, the forgot-PIN path, code tries. */
import { describe, expect, it } from 'vitest';
import type { TokenGate } from '../../emulator/sls/gate.ts';
import { openSls, type Sls } from '../../emulator/sls/sls.ts';
import { SqliteStore } from '../../emulator/sls/sqlite-store.ts';
import { seededRng } from '../../firmware/rng.ts';

const gate: TokenGate = {
  kind: () => null,
  expiresAt: () => null,
  issue: () => ({ challenge: null }),
  check: () => ({ accepted: false, outcome: 'wrong' }),
};
const PHONE = { os: 'android' as const, version: 12, biometrics: 'fingerprint' as const, passcode: false, rooted: false };

async function world(): Promise<Sls> {
  const sls = openSls({
    store: new SqliteStore(':memory:'),
    gate,
    now: () => Date.UTC(2026, 3, 1),
    rng: seededRng('ibk'),
    scryptCost: { N: 16, r: 1, p: 1 },
  });
  await sls.service.createEntity({
    id: 'e',
    name: 'Kim Lee',
    identification: { dateOfBirth: '1992-02-02', citizenship: 'KR', residence: 'KR', idType: 'passport', idNumber: 'M12345678' },
  });
  for (const u of ['kim', 'kim.joint'])
    await sls.service.createUser({ username: u, password: 'kim-password', entityId: 'e', accountId: 'k1' });
  await sls.ibkey.createPhone({ id: 'p', profile: PHONE });
  return sls;
}

async function activate(sls: Sls, username: string, pin: string, mode?: 'recover') {
  const r = await sls.ibkey.startActivation({ phoneId: 'p', username, password: 'kim-password', number: '1055501234', mode });
  const code = /code: (\d{6})/.exec((await sls.service.tx((tx) => tx.sms(1)))[0].text)![1];
  return sls.ibkey.finishActivation({ phoneId: 'p', request: r.request, code, pin });
}

const ibDevices = async (sls: Sls, u: string) =>
  (await sls.service.user(u)).devices.filter((d) => d.kind === 'ibkey').map((d) => [d.activationId, d.status]);

describe('IB Key service', () => {
  it('Add user: a second user on the same app needs the same PIN', async () => {
    const sls = await world();
    await activate(sls, 'kim', 'Hn3*');
    await expect(activate(sls, 'kim.joint', 'Xx9!')).rejects.toThrow(/Add user needs the app's PIN: wrong PIN, 4 tries left/);
    await activate(sls, 'kim.joint', 'Hn3*');
    expect((await sls.ibkey.phone('p')).app.users.map((u) => [u.username, u.active])).toEqual([
      ['kim', true],
      ['kim.joint', true],
    ]);
    await sls.close();
  });

  it('recovery after a reinstall keeps the activation; forgot PIN registers anew', async () => {
    const sls = await world();
    const first = await activate(sls, 'kim', 'Hn3*');
    await sls.ibkey.reinstall('p');
    expect((await sls.ibkey.phone('p')).app).toMatchObject({ users: [], pinSet: false, recoverable: ['kim'] });
    const rec = await activate(sls, 'kim', 'Qm7$', 'recover');
    expect(rec.activationId).toBe(first.activationId);
    expect(await ibDevices(sls, 'kim')).toEqual([[first.activationId, 'active']]);
    // forgot PIN: reinstall, decline recovery, register again
    await sls.ibkey.reinstall('p');
    await sls.ibkey.declineRecovery('p');
    await expect(activate(sls, 'kim', 'Tt5#', 'recover')).rejects.toThrow(/nothing to recover/);
    const again = await activate(sls, 'kim', 'Tt5#');
    expect(again.activationId).not.toBe(first.activationId);
    expect(await ibDevices(sls, 'kim')).toEqual([
      [first.activationId, 'revoked'],
      [again.activationId, 'active'],
    ]);
    await sls.close();
  });

  it('a wrong SMS code is counted: 3 tries, then start again', async () => {
    const sls = await world();
    const r = await sls.ibkey.startActivation({ phoneId: 'p', username: 'kim', password: 'kim-password', number: '1055501234' });
    const code = /code: (\d{6})/.exec((await sls.service.tx((tx) => tx.sms(1)))[0].text)![1];
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(sls.ibkey.finishActivation({ phoneId: 'p', request: r.request, code: wrong, pin: 'Hn3*' })).rejects.toThrow(
      'wrong activation code, 2 tries left',
    );
    await expect(sls.ibkey.finishActivation({ phoneId: 'p', request: r.request, code: wrong, pin: 'Hn3*' })).rejects.toThrow('1 try left');
    await expect(sls.ibkey.finishActivation({ phoneId: 'p', request: r.request, code: wrong, pin: 'Hn3*' })).rejects.toThrow('start again');
    await expect(sls.ibkey.finishActivation({ phoneId: 'p', request: r.request, code, pin: 'Hn3*' })).rejects.toThrow(
      /no activation request/,
    );
    await expect(
      sls.ibkey.startActivation({ phoneId: 'p', username: 'kim', password: 'kim-password', number: '01055501234' }),
    ).rejects.toThrow('leading 0');
    await sls.close();
  });
  it('removing a phone ends the IB Key devices on it, its activations and pending requests; the id is free again', async () => {
    const sls = await world();
    const a = await activate(sls, 'kim', 'Hn3*');
    await sls.ibkey.startActivation({ phoneId: 'p', username: 'kim.joint', password: 'kim-password', number: '1055501234' });
    await expect(sls.ibkey.removePhone('nope')).rejects.toThrow('no phone "nope"');
    const r = await sls.ibkey.removePhone('p');
    expect(r.devicesEnded).toHaveLength(1);
    expect(await ibDevices(sls, 'kim')).toEqual([[a.activationId, 'removed']]);
    expect(await sls.ibkey.phones()).toEqual([]);
    expect(await sls.service.tx((tx) => tx.activations())).toEqual([]);
    await sls.ibkey.createPhone({ id: 'p', profile: PHONE });
    expect((await sls.ibkey.phone('p')).app.users).toEqual([]);
    await sls.close();
  });
});
