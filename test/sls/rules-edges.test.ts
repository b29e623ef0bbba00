/**
 * The SLS rules (firmware/sls/) at their bounds: a temporary device's last valid moment, the
 * order of usable devices, dates that exist, country codes and ID numbers, the 5-business-day
 * limit and its message, who may opt out or in, and each sharing refusal. Written for the mutants
 * test/sls/rules.test.ts left alive (docs/conformance.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import { bestDevice, isTemporary, isValid, ownDevices, redundantDevices, sharedWith, usableDevices } from '../../firmware/sls/devices.ts';
import { checkDate, checkIdentification, normalId, sameIdentification } from '../../firmware/sls/identification.ts';
import { decideWithdrawal, fiveBusinessDays, isBusinessDay, usage, weekday } from '../../firmware/sls/limits.ts';
import type { Account, Device, Entity, Identification, Sharing, User } from '../../firmware/sls/model.ts';
import { decideOptIn, decideOptOut, needsSecondFactor, OPT_OUT_RISKS, tradePermission } from '../../firmware/sls/opt-out.ts';
import { checkPin } from '../../firmware/sls/pin-guidance.ts';
import { decideSharing, SHARING_ERRORS } from '../../firmware/sls/sharing.ts';
import { inputErrorOf } from '../input-error.ts';
import { dev, ID, NOW, sharing } from './fixtures.ts';

describe('devices: validity and order', () => {
  it('a temporary device is valid up to the millisecond before it expires; revoked or removed never', () => {
    const t = dev('t', 'ann', 'temp-code', { expiresAt: NOW });
    expect(isValid(t, NOW - 1)).toBe(true);
    expect(isValid(t, NOW)).toBe(false);
    expect(isValid(dev('c', 'ann', 'card'), 10 ** 15)).toBe(true);
    for (const status of ['revoked', 'removed'] as const) expect(isValid(dev('c', 'ann', 'card', { status }), 0)).toBe(false);
    expect([isTemporary('temp-code'), isTemporary('online-card'), isTemporary('card'), isTemporary('dscplus')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it("usable devices: strongest first, then earliest issued, then by id; only the user's own valid ones", () => {
    const devices = [
      dev('d3', 'ann', 'card', { issuedAt: 5 }),
      dev('d2', 'ann', 'dsc', { issuedAt: 9 }),
      dev('d1', 'ann', 'card', { issuedAt: 5 }),
      dev('d0', 'ann', 'card', { issuedAt: 2 }),
      dev('x', 'bob', 'dscplus'),
      dev('r', 'ann', 'dscplus', { status: 'revoked' }),
    ];
    expect(usableDevices('ann', devices, [], NOW).map((d) => d.id)).toEqual(['d2', 'd0', 'd1', 'd3']);
    expect(bestDevice('ann', devices, [], NOW)?.id).toBe('d2');
    expect(bestDevice('eve', devices, [], NOW)).toBeNull();
  });

  it('only an active sharing of a still valid device counts; then the own devices are redundant', () => {
    const devices = [dev('own', 'ann', 'card'), dev('b1', 'bob', 'dscplus'), dev('b2', 'bob', 'dsc', { status: 'revoked' })];
    for (const status of ['pending', 'rejected', 'cancelled'] as const) {
      expect(sharedWith('ann', devices, [sharing('b1', 'bob', 'ann', status)], NOW)).toEqual([]);
      expect(redundantDevices('ann', devices, [sharing('b1', 'bob', 'ann', status)], NOW)).toEqual([]);
    }
    expect(sharedWith('ann', devices, [sharing('b2', 'bob', 'ann')], NOW)).toEqual([]);
    expect(sharedWith('cat', devices, [sharing('b1', 'bob', 'ann')], NOW)).toEqual([]);
    const active = [sharing('b1', 'bob', 'ann')];
    expect(usableDevices('ann', devices, active, NOW).map((d) => d.id)).toEqual(['b1']);
    expect(redundantDevices('ann', devices, active, NOW).map((d) => d.id)).toEqual(['own']);
    expect(ownDevices('ann', devices, NOW).map((d) => d.id)).toEqual(['own']);
  });
});

describe('identification data: bounds', () => {
  it('dates exist: leap years by the Gregorian rule, 30-day months, from 1900 on', () => {
    for (const ok of ['2000-02-29', '2024-02-29', '1900-01-01', '1980-04-30', '1980-12-31', '1980-01-31'])
      expect(() => checkDate(ok, 'd'), ok).not.toThrow();
    for (const bad of [
      '1900-02-29',
      '2023-02-29',
      '1899-12-31',
      '1980-04-31',
      '1980-06-31',
      '1980-09-31',
      '1980-11-31',
      '1980-00-10',
      '1980-13-01',
      '1980-05-00',
      '1980-01-32',
    ]) {
      const e = inputErrorOf(() => checkDate(bad, 'd'));
      expect([e.part, e.message], bad).toEqual(['d', `d "${bad}" is not a date`]);
    }
    for (const bad of ['80-04-17', '1980-4-17', ' 1980-04-17', '1980-04-17x', 19800417])
      expect(inputErrorOf(() => checkDate(bad, 'd')).message).toBe('d must be a date written YYYY-MM-DD');
  });

  it('country codes, ID types and ID numbers are checked, each naming the field', () => {
    const part = (i: Partial<Identification> | null) =>
      inputErrorOf(() => checkIdentification(i === null ? (null as unknown as Identification) : { ...ID, ...i })).part;
    expect(part(null)).toBe('identification');
    expect(part({ citizenship: 'GBR' })).toBe('identification.citizenship');
    expect(part({ residence: 'g' })).toBe('identification.residence');
    expect(part({ residence: 'xGB' })).toBe('identification.residence');
    expect(part({ idType: 'visa' as Identification['idType'] })).toBe('identification.idType');
    expect(part({ idNumber: 12345678 as unknown as string })).toBe('identification.idNumber');
    expect(part({ idNumber: 'AB1' })).toBe('identification.idNumber');
    expect(part({ idNumber: 'A'.repeat(21) })).toBe('identification.idNumber');
    expect(part({ idNumber: 'AB12_456' })).toBe('identification.idNumber');
    expect(() => checkIdentification({ ...ID, idNumber: 'ab 12-34' })).not.toThrow();
    expect(() => checkIdentification({ ...ID, idNumber: 'A'.repeat(20) })).not.toThrow();
    const us = { ...ID, citizenship: 'US', idType: 'ssn' as const };
    expect(() => checkIdentification({ ...us, idNumber: '123 45 6789' })).not.toThrow();
    expect(inputErrorOf(() => checkIdentification({ ...us, idNumber: '12345678' })).message).toMatch(/SSN has 9 digits/);
    expect(inputErrorOf(() => checkIdentification({ ...us, idNumber: '12345678A' })).message).toMatch(/SSN has 9 digits/);
    expect(normalId(' a-b\tc ')).toBe('ABC');
  });

  it('sharing identity needs every field the same', () => {
    expect(sameIdentification(ID, { ...ID })).toBe(true);
    for (const diff of [{ citizenship: 'FR' }, { residence: 'FR' }, { idType: 'national-id' as const }, { idNumber: 'AB123457' }])
      expect(sameIdentification(ID, { ...ID, ...diff })).toBe(false);
  });
});

describe('withdrawal limits: the 5-business-day window', () => {
  it('weekdays and business days, before 1970 too', () => {
    expect(weekday(0)).toBe(4); // 1970-01-01, a Thursday
    expect(weekday(-1)).toBe(3);
    expect(weekday(-4)).toBe(0);
    expect([isBusinessDay(2), isBusinessDay(3), isBusinessDay(4)]).toEqual([false, false, true]);
    const wed = Math.floor(NOW / 86_400_000);
    expect(fiveBusinessDays(NOW)).toEqual([wed - 6, wed - 5, wed - 2, wed - 1, wed]);
  });

  it('usage sums today and the five business days separately', () => {
    const hist = [
      { amount: 1, at: NOW - 3_600_000, bank: 'b', exceptional: false },
      { amount: 10, at: NOW - 86_400_000, bank: 'b', exceptional: false },
      { amount: 100, at: NOW - 7 * 86_400_000, bank: 'b', exceptional: false },
    ];
    expect(usage(hist, NOW)).toEqual({ day: 1, fiveDays: 11 });
  });

  it('at the 5-day limit is accepted, one cent over is refused naming that limit and the device', () => {
    // 125,000 USD on each of the four business days before Wednesday (Thu, Fri, Mon, Tue); the
    // Wednesday a week ago is out of the window.
    const hist = [1, 2, 5, 6, 7].map((d) => ({ amount: 125_000_00, at: NOW - d * 86_400_000, bank: 'b', exceptional: false }));
    expect(usage(hist, NOW)).toEqual({ day: 0, fiveDays: 500_000_00 });
    expect(decideWithdrawal('card', hist, 100_000_00, 'x', [], NOW)).toMatchObject({ ok: true, exceptional: false });
    const r = decideWithdrawal('card', hist, 100_000_01, 'x', [], NOW);
    expect(r.ok || r.message).toBe(
      'refused: 100,000.01 USD is over the limit of 600,000 USD in 5 business days (500,000 USD withdrawn) for the card device, and bank account x was never used for a deposit, so it cannot be an exceptional withdrawal',
    );
    expect(decideWithdrawal('card', hist, 100_000_01, 'x', ['x'], NOW)).toMatchObject({ ok: true, exceptional: true });
  });

  it('a user without a device is told so; cents are shown', () => {
    const r = decideWithdrawal('none', [], 50_000_01, 'x', ['y'], NOW);
    expect(r.ok || r.message).toMatch(
      /^refused: 50,000\.01 USD is over the daily limit of 50,000 USD \(0 USD withdrawn today\) for a user without a security device, and bank account x/,
    );
    expect(r.ok || r.code).toBe('over-limit');
    expect(decideWithdrawal('none', [], Number.MAX_SAFE_INTEGER + 1, 'x', [], NOW)).toMatchObject({
      ok: false,
      code: 'bad-amount',
      message: 'amount must be more than 0',
    });
    expect(decideWithdrawal('dsc', [], 1, 'x', [], NOW)).toMatchObject({
      ok: true,
      usage: { day: 0, fiveDays: 0 },
      limit: { day: 1_000_000_00 },
    });
  });
});

describe('withdrawal limits: temporary devices', () => {
  it('a Temporary Code or an Online Security Code Card has the limits of a user without a device (docs/sls.md)', () => {
    // 25,000 USD on each of the four business days before Wednesday: 100,000 USD in the window.
    const week = [1, 2, 5, 6].map((d) => ({ amount: 25_000_00, at: NOW - d * 86_400_000, bank: 'b', exceptional: false }));
    const today = [{ amount: 49_000_00, at: NOW - 3_600_000, bank: 'b', exceptional: false }];
    for (const kind of ['temp-code', 'online-card'] as const) {
      expect(decideWithdrawal(kind, today, 1_000_00, 'x', [], NOW), kind).toMatchObject({ ok: true, exceptional: false });
      const day = decideWithdrawal(kind, today, 1_000_01, 'x', [], NOW);
      expect(day.ok || day.message, kind).toMatch(
        /^refused: 1,000\.01 USD is over the daily limit of 50,000 USD \(49,000 USD withdrawn today\)/,
      );
      expect(decideWithdrawal(kind, week, 1, 'x', [], NOW), kind).toMatchObject({ ok: false, code: 'over-limit' });
      const five = decideWithdrawal(kind, week.slice(1), 25_000_01, 'x', [], NOW);
      expect(five.ok || five.message, kind).toMatch(/over the limit of 100,000 USD in 5 business days \(75,000 USD withdrawn\)/);
      expect(decideWithdrawal(kind, week.slice(1), 25_000_00, 'x', [], NOW), kind).toMatchObject({ ok: true });
    }
  });
});

describe('opt-out and opt-in: who and when', () => {
  const acct: Account = { id: 'A1', primaryUser: 'ann', optedOut: false, depositBanks: [] };
  const u = (username: string): User => ({ username, accountId: 'A1', entityId: 'e', phones: [], failures: 0 });
  it('a second opt-out or opt-in is refused as already done; non-primary users are refused first', () => {
    const out = { ...acct, optedOut: true };
    expect(decideOptOut(u('ann'), out, true)).toEqual({ ok: false, code: 'already', message: 'account A1 is already opted out' });
    expect(decideOptIn(u('ann'), acct)).toEqual({
      ok: false,
      code: 'already',
      message: 'account A1 is already in the Secure Login System',
    });
    expect(decideOptIn(u('bob'), out)).toEqual({
      ok: false,
      code: 'not-primary',
      message: 'only user ann may change the security settings of account A1',
    });
    expect(decideOptOut(u('bob'), out, true)).toMatchObject({ code: 'not-primary' });
    const r = decideOptOut(u('ann'), acct, false);
    expect(r.ok || r.message).toBe(`opting out needs the risks acknowledged: ${OPT_OUT_RISKS.join(' ')}`);
  });
  it('an opted-out account logs in without a second factor and trades no Pink Sheets', () => {
    expect(needsSecondFactor(acct)).toBe(true);
    expect(needsSecondFactor({ ...acct, optedOut: true })).toBe(false);
    expect(tradePermission({ ...acct, optedOut: true }, 'pink-sheets')).toEqual({
      allowed: false,
      reason: 'account A1 opted out of the Secure Login System: no Pink Sheet trading until it opts back in',
    });
    expect(tradePermission(acct, 'pink-sheets')).toEqual({ allowed: true, reason: 'allowed' });
  });
});

describe('sharing: each refusal', () => {
  const ent = (id: string, over: Partial<Identification> = {}): Entity => ({ id, name: id, identification: { ...ID, ...over } });
  const user = (username: string, entityId: string): User => ({ username, accountId: `a-${username}`, entityId, phones: [], failures: 0 });
  const decide = (
    device: Device,
    devices: Device[],
    sharings: Sharing[] = [],
    reqEnt = ent('e1'),
    ownEnt = ent('e1'),
    requester = 'req',
    owner = 'own',
  ) =>
    decideSharing({
      requester: user(requester, reqEnt.id),
      owner: user(owner, ownEnt.id),
      requesterEntity: reqEnt,
      ownerEntity: ownEnt,
      device,
      devices,
      sharings,
      now: NOW,
    });
  const d = dev('d', 'own', 'dsc');

  it('refuses oneself, a device of someone else, and an expired or revoked device', () => {
    expect(decide(d, [d], [], ent('e1'), ent('e1'), 'own', 'own')).toMatchObject({ ok: false, code: 'same-user' });
    expect(decide(dev('z', 'zed', 'dsc'), [d])).toEqual({ ok: false, code: 'not-owner', message: 'device z does not belong to own' });
    const t = dev('t', 'own', 'online-card', { expiresAt: NOW });
    expect(decide(t, [t])).toMatchObject({ ok: false, code: 'device-not-valid' });
    expect(decide(dev('r', 'own', 'dsc', { status: 'revoked' }), [d])).toMatchObject({
      ok: false,
      code: 'device-not-valid',
      message: 'device r is not active',
    });
  });

  it('refuses a second request for the same device, a requester with another sharing, an owner using a shared device', () => {
    const other = dev('o', 'third', 'dscplus');
    expect(decide(d, [d], [sharing('d', 'own', 'req', 'pending')])).toEqual({
      ok: false,
      code: 'already-shared',
      message: 'device d is already shared with req (pending)',
    });
    expect(decide(d, [d], [sharing('d', 'own', 'req', 'cancelled')])).toEqual({ ok: true, status: 'active' });
    expect(decide(d, [d, other], [sharing('o', 'third', 'req', 'pending')])).toMatchObject({ ok: false, code: 'requester-uses-shared' });
    expect(decide(d, [d, other], [sharing('o', 'third', 'req', 'rejected')])).toEqual({ ok: true, status: 'active' });
    expect(decide(d, [d, other], [sharing('o', 'third', 'own')])).toMatchObject({ ok: false, code: 'owner-uses-shared' });
  });

  it('a temporary device that has expired no longer blocks sharing; the level compares the valid devices only', () => {
    const gone = dev('g', 'req', 'temp-code', { expiresAt: NOW });
    expect(decide(d, [d, gone])).toEqual({ ok: true, status: 'active' });
    const strongRevoked = dev('s', 'req', 'dscplus', { status: 'revoked' });
    expect(decide(d, [d, strongRevoked])).toEqual({ ok: true, status: 'active' });
    expect(decide(d, [d, dev('s2', 'req', 'dscplus')])).toEqual({
      ok: false,
      code: 'less-secure-device',
      message: SHARING_ERRORS['less-secure-device'],
    });
    expect(decide(d, [d], [], ent('e1'), ent('e2', { idNumber: 'ZZ999999' }))).toEqual({
      ok: false,
      code: 'different-identification',
      message: SHARING_ERRORS['different-identification'],
    });
    expect(decide(d, [d], [], ent('e1'), ent('e2'))).toEqual({ ok: true, status: 'pending' });
  });
});

describe('PIN guidance (KB2269): what counts as personal data', () => {
  const ctx = {
    dateOfBirth: '1980-04-17',
    address: { street: '42 Elm Road', city: 'Leeds', postalCode: 'LS1 4AB' },
    idNumber: '123-45-6789',
    phones: ['7700900123'],
    names: ['Ann Marie Smith', 'Al Jones'],
  };
  const why = (pin: string, c: Parameters<typeof checkPin>[1] = ctx) => checkPin(pin, c).refusals;

  it('every written form of the date of birth, inside the PIN or around it', () => {
    for (const pin of ['041780', '800417', '17041980', '04171980', '19800417', 'x1980y', '5198077'])
      expect(why(pin), pin).toEqual(['the PIN contains your date of birth']);
    expect(why('198', { dateOfBirth: '1980-04-17' })).toEqual([]);
    expect(why('1980', { dateOfBirth: '17/04/1980' })).toEqual([]);
  });

  it('the street number exactly, the postal code as text or digits, ID and phone digits', () => {
    expect(why('42')).toEqual(['the PIN is your street number']);
    expect(why('421')).toEqual([]);
    expect(why('7', { address: { street: '7 Elm Road' } })).toEqual([]);
    expect(why('ab', { address: { postalCode: 'AB' } })).toEqual([]);
    expect(why('xLS14ABx')).toEqual(['the PIN contains your postal code']);
    expect(why('10115', { address: { postalCode: 'D-10115' } })).toEqual(['the PIN contains your postal code']);
    expect(why('2345')).toEqual(['the PIN contains digits of your ID or SSN']);
    expect(why('9001')).toEqual(['the PIN contains a phone number of yours']);
    expect(why('5931')).toEqual([]);
  });

  it('names of 3 letters or more, the city; initials of 2 or more are a warning', () => {
    expect(why('xJONESx')).toEqual(['the PIN contains your name or a family name']);
    expect(why('marie9')).toEqual(['the PIN contains your name or a family name']);
    expect(why('al12')).toEqual([]);
    expect(why('LEEDS1')).toEqual(['the PIN contains part of your address']);
    expect(why('ab1', { address: { city: 'Ab' } })).toEqual([]);
    expect(checkPin('Xaj7', ctx)).toEqual({ ok: true, refusals: [], warnings: ['the PIN contains your initials'] });
    expect(checkPin('Xa7q', { names: ['Ann'] }).warnings).toEqual([]);
  });

  it('an alphanumeric PIN should mix upper case, lower case and digits; an all-digit PIN is not warned', () => {
    const warned = (pin: string) => checkPin(pin, {}).warnings.includes('mix upper case, lower case letters and digits');
    expect([warned('5931'), warned('Xy7q'), warned('xy7q'), warned('XY7Q'), warned('Xyzq')]).toEqual([false, false, true, true, true]);
    expect(checkPin('xy7q', {})).toMatchObject({ ok: true, refusals: [] });
  });
});
