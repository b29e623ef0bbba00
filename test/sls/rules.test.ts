/** The SLS rules on their own: levels, sharing (KB2481), limits, opt-out (KB2545), PIN guidance (KB2269). */
import { describe, expect, it } from 'vitest';
import { bestDevice, DAY_MS, redundantDevices, usableDevices } from '../../firmware/sls/devices.ts';
import { checkIdentification, sameIdentification } from '../../firmware/sls/identification.ts';
import { businessDayOf, decideWithdrawal, fiveBusinessDays, LIMITS, usage, weekday } from '../../firmware/sls/limits.ts';
import type { Account, Device, DeviceKind, Entity, Identification, Sharing, User } from '../../firmware/sls/model.ts';
import { decideOptIn, decideOptOut, tradePermission } from '../../firmware/sls/opt-out.ts';
import { checkPin } from '../../firmware/sls/pin-guidance.ts';
import { decideSharing, SHARING_ERRORS } from '../../firmware/sls/sharing.ts';

const ID: Identification = { dateOfBirth: '1980-04-17', citizenship: 'GB', residence: 'GB', idType: 'passport', idNumber: '123456789' };
const entity = (id: string, over: Partial<Identification> = {}): Entity => ({ id, name: id, identification: { ...ID, ...over } });
const user = (username: string, entityId: string): User => ({ username, accountId: `acct-${username}`, entityId, phones: [], failures: 0 });
let seq = 0;
const dev = (owner: string, kind: DeviceKind, extra: Partial<Device> = {}): Device => ({
  id: `d${++seq}`,
  kind,
  owner,
  status: 'active',
  issuedAt: seq,
  ...extra,
});
const NOW = Date.UTC(2026, 5, 10, 12); // a Wednesday

function share(reqEnt: Entity, ownEnt: Entity, device: Device, devices: Device[], sharings: Sharing[] = []) {
  return decideSharing({
    requester: user('req', reqEnt.id),
    owner: user('own', ownEnt.id),
    requesterEntity: reqEnt,
    ownerEntity: ownEnt,
    device,
    devices,
    sharings,
    now: NOW,
  });
}

describe('sharing (KB2481)', () => {
  it('same entity, strongest device: active at once', () => {
    const e = entity('e1');
    const d = dev('own', 'dscplus');
    expect(share(e, e, d, [d, dev('req', 'card')])).toEqual({ ok: true, status: 'active' });
  });
  it('other entity with the same identification data: waits for compliance', () => {
    const d = dev('own', 'dsc');
    expect(share(entity('e1'), entity('e2', { idNumber: '1234-56789' }), d, [d])).toEqual({ ok: true, status: 'pending' });
  });
  it('different identification data: the exact refusal', () => {
    const d = dev('own', 'dsc');
    for (const over of [
      { dateOfBirth: '1980-04-18' },
      { citizenship: 'FR' },
      { residence: 'DE' },
      { idType: 'national-id' as const },
      { idNumber: '123456780' },
    ]) {
      const r = share(entity('e1'), entity('e2', over), d, [d]);
      expect(r).toMatchObject({ ok: false, code: 'different-identification', message: 'Different identification information' });
    }
  });
  it('a temporary device on either side refuses', () => {
    const e = entity('e1');
    const d = dev('own', 'dscplus');
    for (const [who, kind] of [
      ['req', 'temp-code'],
      ['own', 'temp-code'],
      ['req', 'online-card'],
      ['own', 'online-card'],
    ] as const) {
      const r = share(e, e, d, [d, dev(who, kind, { expiresAt: NOW + DAY_MS })]);
      expect(r).toMatchObject({ ok: false, code: 'temporary-device', message: SHARING_ERRORS['temporary-device'] });
    }
    // an expired temporary device no longer counts
    expect(share(e, e, d, [d, dev('req', 'temp-code', { expiresAt: NOW })])).toEqual({ ok: true, status: 'active' });
  });
  it('a less secure device than a candidate refuses, an equal one does not', () => {
    const e = entity('e1');
    const card = dev('own', 'card');
    expect(share(e, e, card, [card, dev('req', 'ibkey')])).toMatchObject({
      ok: false,
      code: 'less-secure-device',
      message: 'Less secure device',
    });
    expect(share(e, e, card, [card, dev('own', 'dsc')])).toMatchObject({ ok: false, code: 'less-secure-device' });
    const dsc = dev('own', 'dsc');
    expect(share(e, e, dsc, [dsc, dev('req', 'dsc')])).toEqual({ ok: true, status: 'active' });
  });
  it('identification is checked before temporary devices, and those before levels', () => {
    const card = dev('own', 'card');
    const r = share(entity('e1'), entity('e2', { citizenship: 'FR' }), card, [card, dev('req', 'temp-code'), dev('req', 'dscplus')]);
    expect(r).toMatchObject({ code: 'different-identification' });
    const e = entity('e1');
    expect(share(e, e, card, [card, dev('req', 'temp-code'), dev('req', 'dscplus')])).toMatchObject({ code: 'temporary-device' });
  });
  it('refuses a second sharing, a revoked device, and sharing with oneself', () => {
    const e = entity('e1');
    const d = dev('own', 'dsc');
    const s: Sharing = { id: 's1', deviceId: d.id, owner: 'own', requester: 'req', status: 'active', createdAt: 0 };
    expect(share(e, e, d, [d], [s])).toMatchObject({ ok: false, code: 'already-shared' });
    const r = dev('own', 'dsc', { status: 'revoked' });
    expect(share(e, e, r, [r])).toMatchObject({ ok: false, code: 'device-not-valid' });
    expect(
      decideSharing({
        requester: user('own', 'e1'),
        owner: user('own', 'e1'),
        requesterEntity: e,
        ownerEntity: e,
        device: d,
        devices: [d],
        sharings: [],
        now: NOW,
      }),
    ).toMatchObject({ code: 'same-user' });
  });
  it('a shared device makes the own devices redundant; cancelling brings them back', () => {
    const mine = dev('req', 'card');
    const theirs = dev('own', 'dscplus');
    const s: Sharing = { id: 's1', deviceId: theirs.id, owner: 'own', requester: 'req', status: 'active', createdAt: 0 };
    expect(usableDevices('req', [mine, theirs], [s], NOW).map((d) => d.id)).toEqual([theirs.id]);
    expect(redundantDevices('req', [mine, theirs], [s], NOW).map((d) => d.id)).toEqual([mine.id]);
    expect(bestDevice('req', [mine, theirs], [{ ...s, status: 'cancelled' }], NOW)?.id).toBe(mine.id);
    expect(bestDevice('req', [mine, theirs], [{ ...s, status: 'pending' }], NOW)?.id).toBe(mine.id);
  });
});

describe('identification data', () => {
  it('US citizens and residents use an SSN, others may not', () => {
    expect(() => checkIdentification({ ...ID, citizenship: 'US', idType: 'passport' })).toThrow(/SSN/);
    expect(() => checkIdentification({ ...ID, residence: 'US', idType: 'ssn', idNumber: '123-45-6789' })).not.toThrow();
    expect(() => checkIdentification({ ...ID, idType: 'ssn', idNumber: '123456789' })).toThrow(/US citizens and residents only/);
    expect(() => checkIdentification({ ...ID, dateOfBirth: '1980-02-30' })).toThrow(/dateOfBirth/);
    expect(() => checkIdentification({ ...ID, citizenship: 'gb' })).toThrow(/citizenship/);
  });
  it('compares ID numbers without dashes, spaces or case', () => {
    expect(sameIdentification({ ...ID, idNumber: 'ab 12-34' }, { ...ID, idNumber: 'AB1234' })).toBe(true);
    expect(sameIdentification(ID, { ...ID, dateOfBirth: '1980-04-16' })).toBe(false);
  });
});

describe('withdrawal limits', () => {
  const K = 100_000; // 1,000 USD in cents
  it('limits by device, from the help page', () => {
    expect(LIMITS.none).toEqual({ day: 50_000_00, fiveDays: 100_000_00 });
    expect(LIMITS.card).toEqual(LIMITS.ibkey);
    expect(LIMITS.card).toEqual({ day: 200_000_00, fiveDays: 600_000_00 });
    expect(LIMITS.dsc).toEqual({ day: 1_000_000_00, fiveDays: 1_500_000_00 });
    expect(LIMITS.dscplus).toEqual({ day: null, fiveDays: null });
  });
  it('at the daily limit is accepted, one cent over is refused with the reason', () => {
    const hist = [{ amount: 49_999_00, at: NOW - 1000, bank: 'b', exceptional: false }];
    expect(decideWithdrawal('none', hist, 1_00, 'x', [], NOW)).toMatchObject({ ok: true, exceptional: false });
    const r = decideWithdrawal('none', hist, 1_01, 'x', [], NOW);
    expect(r).toMatchObject({ ok: false, code: 'over-limit' });
    expect(r.ok || r.message).toMatch(/daily limit of 50,000 USD/);
  });
  it('over the limit to a bank used for a deposit: exceptional', () => {
    expect(decideWithdrawal('card', [], 200_000_01, 'dep', ['dep'], NOW)).toMatchObject({ ok: true, exceptional: true });
    expect(decideWithdrawal('card', [], 200_000_01, 'other', ['dep'], NOW)).toMatchObject({ ok: false });
    expect(decideWithdrawal('dscplus', [], 10 ** 12, 'x', [], NOW)).toMatchObject({ ok: true, exceptional: false });
  });
  it('business days skip weekends; a weekend counts for the next Monday', () => {
    const sat = Date.UTC(2026, 5, 13, 10);
    expect(weekday(Math.floor(sat / DAY_MS))).toBe(6);
    expect(businessDayOf(sat)).toBe(Math.floor(Date.UTC(2026, 5, 15) / DAY_MS));
    const mon = Date.UTC(2026, 5, 15, 9);
    const days = fiveBusinessDays(mon).map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10));
    expect(days).toEqual(['2026-06-09', '2026-06-10', '2026-06-11', '2026-06-12', '2026-06-15']);
    // Monday 8 June is out of the window of Monday 15 June; Tuesday 9 June is in
    const hist = [
      { amount: 40 * K, at: Date.UTC(2026, 5, 8, 12), bank: 'b', exceptional: false },
      { amount: 30 * K, at: Date.UTC(2026, 5, 9, 12), bank: 'b', exceptional: false },
      { amount: 20 * K, at: sat, bank: 'b', exceptional: false },
    ];
    expect(usage(hist, mon)).toEqual({ day: 0, fiveDays: 50 * K });
    expect(decideWithdrawal('none', hist, 50 * K, 'x', [], mon)).toMatchObject({ ok: true });
    expect(decideWithdrawal('none', hist, 50 * K + 1, 'x', [], mon)).toMatchObject({ ok: false });
  });
  it('refuses amounts that are not positive whole cents', () => {
    for (const a of [0, -1, 1.5, Number.NaN])
      expect(decideWithdrawal('none', [], a, 'x', [], NOW)).toMatchObject({ ok: false, code: 'bad-amount' });
  });
});

describe('opt-out and opt back in (KB2545)', () => {
  const acct: Account = { id: 'a1', primaryUser: 'ann', optedOut: false, depositBanks: [] };
  it('only the primary user may change it; the others are told who can', () => {
    expect(decideOptOut(user('bob', 'e'), acct, true)).toMatchObject({
      ok: false,
      code: 'not-primary',
      message: expect.stringContaining('only user ann'),
    });
    expect(decideOptOut(user('ann', 'e'), acct, false)).toMatchObject({ ok: false, code: 'risks-not-acknowledged' });
    expect(decideOptOut(user('ann', 'e'), acct, true)).toEqual({ ok: true });
    expect(decideOptIn(user('ann', 'e'), acct)).toMatchObject({ ok: false, code: 'already' });
    expect(decideOptIn(user('ann', 'e'), { ...acct, optedOut: true })).toEqual({ ok: true });
  });
  it('an opted-out account may not trade Pink Sheets or OTCBB', () => {
    const out = { ...acct, optedOut: true };
    expect(tradePermission(out, 'pink-sheets').allowed).toBe(false);
    expect(tradePermission(out, 'otcbb').reason).toMatch(/OTCBB/);
    expect(tradePermission(out, 'stocks').allowed).toBe(true);
    expect(tradePermission(acct, 'otcbb').allowed).toBe(true);
  });
});

describe('PIN guidance (KB2269)', () => {
  const ctx = {
    dateOfBirth: '1980-04-17',
    address: { street: '42 Elm Road', city: 'Leeds', postalCode: 'LS1 4AB' },
    idNumber: '123-45-6789',
    phones: ['7700900123'],
    names: ['Ann Marie Smith', 'Jones'],
  };
  it('refuses personal data and says which, without the PIN', () => {
    const cases: [string, RegExp][] = [
      ['1980', /date of birth/],
      ['1704', /date of birth/],
      ['0417', /date of birth/],
      ['170480', /date of birth/],
      ['42', /street/],
      ['ls14ab', /postal code/],
      ['6789', /ID or SSN/],
      ['0900', /phone/],
      ['smith1', /name/],
      ['Jones!', /name/],
      ['leeds', /address/],
    ];
    for (const [pin, why] of cases) {
      const r = checkPin(pin, ctx);
      expect(r.ok, pin).toBe(false);
      expect(r.refusals.join(' '), pin).toMatch(why);
      expect(r.refusals.join(' ') + r.warnings.join(' ')).not.toContain(pin);
    }
  });
  it('accepts unrelated PINs; warns on initials and on unmixed alphanumerics', () => {
    expect(checkPin('5931', ctx)).toEqual({ ok: true, refusals: [], warnings: [] });
    expect(checkPin('Xy7q2', ctx)).toEqual({ ok: true, refusals: [], warnings: [] });
    expect(checkPin('ams7Q', ctx).warnings).toContain('the PIN contains your initials');
    expect(checkPin('qwerty', ctx).warnings).toContain('mix upper case, lower case letters and digits');
  });
});
