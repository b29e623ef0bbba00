/** Temporary Codes (2 days), failure counting and the lock, on the lab's clock at each threshold. */
import { describe, expect, it } from 'vitest';
import type { TokenGate } from '../../emulator/sls/gate.ts';
import { openSls } from '../../emulator/sls/sls.ts';
import { SqliteStore } from '../../emulator/sls/sqlite-store.ts';
import { DAY_MS } from '../../firmware/sls/devices.ts';
import { seededRng } from '../../firmware/rng.ts';

const gate: TokenGate = {
  kind: () => null,
  expiresAt: () => null,
  issue: () => ({ challenge: null }),
  check: () => ({ accepted: false, outcome: 'wrong' }),
};

async function world() {
  const clock = { t: Date.UTC(2026, 2, 2, 8) };
  const sls = openSls({
    store: new SqliteStore(':memory:'),
    gate,
    now: () => clock.t,
    rng: seededRng('temp'),
    scryptCost: { N: 16, r: 1, p: 1 },
  });
  await sls.service.createEntity({
    id: 'e',
    name: 'Eve Example',
    identification: { dateOfBirth: '1985-05-05', citizenship: 'DE', residence: 'DE', idType: 'national-id', idNumber: 'T22000129' },
  });
  await sls.service.createUser({ username: 'eve', password: 'eve-password', entityId: 'e' });
  return { sls, clock };
}

describe('Temporary Code', () => {
  it('logs in until 2 days after issue, not at 2 days', async () => {
    const { sls, clock } = await world();
    const { code } = await sls.service.addDevice('eve', { kind: 'temp-code' });
    const issued = clock.t;
    for (const at of [0, 2 * DAY_MS - 1]) {
      clock.t = issued + at;
      const l = await sls.login.start('eve', 'eve-password');
      expect(l.device?.kind).toBe('temp-code');
      expect((await sls.login.answer(l.id, code!)).status).toBe('done');
    }
    clock.t = issued + 2 * DAY_MS;
    await expect(sls.login.start('eve', 'eve-password')).rejects.toThrow(
      'user eve has no active security device; ask client services for a Temporary Code',
    );
    expect((await sls.service.user('eve')).devices[0].status).toBe('expired');
    await sls.close();
  });

  it('3 wrong answers end a login; 10 failures lock the user until the operator unlocks', async () => {
    const { sls } = await world();
    await sls.service.addDevice('eve', { kind: 'temp-code' });
    const l = await sls.login.start('eve', 'eve-password');
    expect((await sls.login.answer(l.id, '00000000')).status).toBe('second-factor');
    expect((await sls.login.answer(l.id, '00000000')).status).toBe('second-factor');
    expect((await sls.login.answer(l.id, '00000000')).status).toBe('failed');
    for (let i = 3; i < 9; i++) await expect(sls.login.start('eve', 'wrong-password')).rejects.toThrow('field "password"');
    expect((await sls.service.user('eve')).locked).toBe(false); // 9 failures
    await expect(sls.login.start('eve', 'wrong-password')).rejects.toThrow('field "password"');
    expect((await sls.service.user('eve')).locked).toBe(true); // 10
    await expect(sls.login.start('eve', 'eve-password')).rejects.toThrow(/locked after 10 failed logins/);
    await sls.service.unlock('eve');
    expect((await sls.login.start('eve', 'eve-password')).status).toBe('second-factor');
    await sls.close();
  });
});
