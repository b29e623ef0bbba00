/**
 * A property test over random sequences of SLS calls (fast-check): whatever the order of adding
 * and revoking devices, sharing requests, compliance decisions, cancellations, opt-outs, deposits,
 * withdrawals and the clock moving on, no user ever gets a less secure device shared, shares
 * across different identification data or while holding a temporary device, or withdraws over
 * the limit of their best device (except as an exceptional withdrawal to a deposit bank).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TokenGate } from '../../emulator/sls/gate.ts';
import { SlsError } from '../../emulator/sls/errors.ts';
import { openSls, type Sls } from '../../emulator/sls/sls.ts';
import { SqliteStore } from '../../emulator/sls/sqlite-store.ts';
import { limitKind } from '../../emulator/sls/views.ts';
import { DAY_MS, isTemporary, LEVEL, ownDevices } from '../../firmware/sls/devices.ts';
import { sameIdentification } from '../../firmware/sls/identification.ts';
import { LIMITS, usage } from '../../firmware/sls/limits.ts';
import type { DeviceKind, Sharing } from '../../firmware/sls/model.ts';
import { seededRng } from '../../firmware/rng.ts';

const codes: Record<string, number> = {};
const USERS = ['u1', 'u2', 'u3', 'u4'] as const;
/** Temporary devices block sharing, so they come less often. */
const KINDS: DeviceKind[] = ['dscplus', 'dsc', 'dsc', 'card', 'card', 'card', 'dscplus', 'online-card', 'temp-code'];

type Op =
  | { op: 'add'; user: number; kind: DeviceKind }
  | { op: 'revoke'; nth: number }
  | { op: 'share'; requester: number; owner: number; nth: number }
  | { op: 'decide'; nth: number; approve: boolean }
  | { op: 'cancel'; nth: number }
  | { op: 'withdraw'; user: number; amount: number; bank: number }
  | { op: 'deposit'; user: number; bank: number }
  | { op: 'opt'; user: number; out: boolean }
  | { op: 'time'; ms: number };

const user = fc.integer({ min: 0, max: USERS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), user, kind: fc.constantFrom(...KINDS) }),
  fc.record({ op: fc.constant('add' as const), user, kind: fc.constantFrom(...KINDS) }),
  fc.record({ op: fc.constant('add' as const), user, kind: fc.constantFrom(...KINDS) }),
  fc.record({ op: fc.constant('revoke' as const), nth: fc.nat(20) }),
  fc.record({ op: fc.constant('share' as const), requester: user, owner: user, nth: fc.nat(20) }),
  fc.record({ op: fc.constant('share' as const), requester: fc.constantFrom(0, 1), owner: fc.constantFrom(0, 1), nth: fc.nat(20) }),
  fc.record({ op: fc.constant('share' as const), requester: fc.constantFrom(0, 1, 2), owner: fc.constantFrom(0, 1, 2), nth: fc.nat(20) }),
  fc.record({ op: fc.constant('decide' as const), nth: fc.nat(5), approve: fc.boolean() }),
  fc.record({ op: fc.constant('cancel' as const), nth: fc.nat(5) }),
  fc.record({
    op: fc.constant('withdraw' as const),
    user,
    amount: fc.oneof(fc.integer({ min: 1, max: 300_000 }), fc.integer({ min: 1, max: 2_000_000 })),
    bank: fc.nat(2),
  }),
  fc.record({ op: fc.constant('withdraw' as const), user, amount: fc.integer({ min: 1, max: 120_000 }), bank: fc.nat(2) }),
  fc.record({ op: fc.constant('deposit' as const), user, bank: fc.nat(2) }),
  fc.record({ op: fc.constant('opt' as const), user, out: fc.boolean() }),
  fc.record({
    op: fc.constant('time' as const),
    ms: fc.oneof(fc.integer({ min: 1, max: 6 * 3600_000 }), fc.integer({ min: 1, max: 3 * DAY_MS })),
  }),
);

async function world(seed: number): Promise<{ sls: Sls; clock: { t: number }; sessions: Record<string, string> }> {
  const tokens = new Map<string, string>();
  const gate: TokenGate = {
    kind: (id) => (tokens.get(id) as never) ?? null,
    expiresAt: () => null,
    issue: () => ({ challenge: '123456' }),
    check: (_id, a) => ({ accepted: a.response === 'ok', outcome: a.response === 'ok' ? 'accepted' : 'wrong' }),
  };
  const clock = { t: Date.UTC(2026, 0, 5, 9) + seed * 3600_000 };
  const sls = openSls({
    store: new SqliteStore(':memory:'),
    gate,
    now: () => clock.t,
    rng: seededRng(seed),
    scryptCost: { N: 16, r: 1, p: 1 },
  });
  const s = sls.service;
  const id = { dateOfBirth: '1970-01-01', citizenship: 'FR', residence: 'FR', idType: 'passport' as const, idNumber: 'X12345' };
  await s.createEntity({ id: 'e1', name: 'One', identification: id });
  await s.createEntity({ id: 'e1twin', name: 'One again', identification: { ...id, idNumber: 'x12-345' } });
  await s.createEntity({ id: 'e2', name: 'Two', identification: { ...id, residence: 'BE' } });
  const plan = [
    ['u1', 'e1', 'A'],
    ['u2', 'e1', 'A'],
    ['u3', 'e1twin', 'B'],
    ['u4', 'e2', 'C'],
  ] as const;
  for (const [u, e, a] of plan) await s.createUser({ username: u, password: `pw-${u}`, entityId: e, accountId: a });
  // token ids for the gate: one per kind and user, made on demand
  (s as unknown as { tokens: Map<string, string> }).tokens = tokens;
  const sessions: Record<string, string> = {};
  for (const u of USERS) sessions[u] = await s.openSession(u);
  return { sls, clock, sessions };
}

async function step(w: Awaited<ReturnType<typeof world>>, o: Op): Promise<void> {
  const s = w.sls.service;
  const tokens = (s as unknown as { tokens: Map<string, string> }).tokens;
  const devices = await s.tx((tx) => tx.devices());
  const now = w.clock.t;
  const pick = <T>(xs: T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
  for (const u of USERS) w.sessions[u] = await s.openSession(u); // sessions expire after 8 hours of the lab clock
  codes[o.op] = (codes[o.op] ?? 0) + 1;
  try {
    switch (o.op) {
      case 'add': {
        const u = USERS[o.user];
        if (o.kind === 'temp-code') await s.addDevice(u, { kind: 'temp-code' });
        else {
          const tokenId = `${o.kind}-${tokens.size}`;
          tokens.set(tokenId, o.kind);
          await s.addDevice(u, { kind: o.kind, tokenId });
        }
        return;
      }
      case 'revoke': {
        const d = pick(
          devices.filter((x) => x.status === 'active'),
          o.nth,
        );
        if (d) await s.revokeDevice(d.id);
        return;
      }
      case 'share': {
        const owner = USERS[o.owner];
        const d = pick(
          devices.filter((x) => x.owner === owner),
          o.nth,
        );
        if (!d) return;
        const sh = await s.share(w.sessions[USERS[o.requester]], {
          owner,
          ownerPassword: `pw-${owner}`,
          deviceId: d.id,
          challenge: '123456',
          response: d.kind === 'temp-code' ? 'ok' : 'ok',
        });
        await checkSharing(w, sh);
        codes[`share:${sh.status}`] = (codes[`share:${sh.status}`] ?? 0) + 1;
        return;
      }
      case 'decide': {
        const p = pick(await s.sharings('pending'), o.nth);
        if (!p) return;
        const sh = await s.decide(p.id, o.approve);
        if (sh.status === 'active') await checkSharing(w, sh);
        codes[`decide:${sh.status}`] = (codes[`decide:${sh.status}`] ?? 0) + 1;
        return;
      }
      case 'cancel': {
        const p = pick(
          (await s.sharings()).filter((x) => x.status === 'active' || x.status === 'pending'),
          o.nth,
        );
        if (p) await s.cancelSharing(w.sessions[p.requester], p.id);
        return;
      }
      case 'withdraw': {
        const u = USERS[o.user];
        const r = await s.withdraw(w.sessions[u], { amount: o.amount * 10, bank: `bank-${o.bank}` });
        await checkWithdrawal(w, u, r.withdrawal, now);
        codes[r.exceptional ? 'withdraw:exceptional' : 'withdraw:ok'] =
          (codes[r.exceptional ? 'withdraw:exceptional' : 'withdraw:ok'] ?? 0) + 1;
        return;
      }
      case 'deposit':
        await s.deposit((await s.user(USERS[o.user])).accountId, `bank-${o.bank}`);
        return;
      case 'opt':
        if (o.out) await s.optOut(w.sessions[USERS[o.user]], true);
        else await s.optIn(w.sessions[USERS[o.user]]);
        return;
      case 'time':
        w.clock.t += o.ms;
        return;
    }
  } catch (err) {
    if (!(err instanceof SlsError) || err.status >= 500) throw err; // refusals are fine; crashes are not
    codes[`${o.op}:${err.code}`] = (codes[`${o.op}:${err.code}`] ?? 0) + 1;
  }
}

/** At the moment a sharing is active: same identification, no temporary device, the strongest device. */
async function checkSharing(w: Awaited<ReturnType<typeof world>>, sh: Sharing): Promise<void> {
  if (sh.status !== 'active') return;
  const s = w.sls.service;
  const now = w.clock.t;
  await s.tx(async (tx) => {
    const devices = await tx.devices();
    const device = devices.find((d) => d.id === sh.deviceId)!;
    const r = (await tx.user(sh.requester))!;
    const o = (await tx.user(sh.owner))!;
    const re = (await tx.entity(r.entityId))!;
    const oe = (await tx.entity(o.entityId))!;
    expect(r.entityId === o.entityId || sameIdentification(re.identification, oe.identification)).toBe(true);
    const candidates = [...ownDevices(r.username, devices, now), ...ownDevices(o.username, devices, now)];
    expect(candidates.some((d) => isTemporary(d.kind))).toBe(false);
    expect(Math.max(...candidates.map((d) => LEVEL[d.kind]))).toBeLessThanOrEqual(LEVEL[device.kind]);
  });
}

/** After a withdrawal: within the limits of the user's best device, or exceptional to a deposit bank. */
async function checkWithdrawal(
  w: Awaited<ReturnType<typeof world>>,
  username: string,
  wd: { amount: number; bank: string; exceptional: boolean },
  now: number,
): Promise<void> {
  await w.sls.service.tx(async (tx) => {
    const u = (await tx.user(username))!;
    const a = (await tx.account(u.accountId))!;
    if (wd.exceptional) {
      expect(a.depositBanks).toContain(wd.bank);
      return;
    }
    const limit = LIMITS[limitKind(username, a, await tx.devices(), await tx.sharings(), now)];
    const used = usage(await tx.withdrawals(username, 0), now);
    if (limit.day !== null) expect(used.day).toBeLessThanOrEqual(limit.day);
    if (limit.fiveDays !== null) expect(used.fiveDays).toBeLessThanOrEqual(limit.fiveDays);
  });
}

describe('SLS property: random call sequences keep the rules', () => {
  it('never a less secure or cross-identity sharing, never a withdrawal over the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(opArb, { minLength: 10, maxLength: 80, size: 'large' }),
        async (seed, ops) => {
          const w = await world(seed);
          try {
            for (const o of ops) await step(w, o);
          } finally {
            await w.sls.close();
          }
        },
      ),
      { numRuns: 100, seed: 20261129 },
    );
    // the generators reach every interesting outcome
    for (const k of [
      'share:active',
      'share:pending',
      'decide:active',
      'decide:rejected',
      'share:less-secure-device',
      'share:different-identification',
      'share:temporary-device',
      'withdraw:ok',
      'withdraw:exceptional',
      'withdraw:over-limit',
    ])
      expect(codes[k] ?? 0, `${k} in ${JSON.stringify(codes)}`).toBeGreaterThan(3);
  }, 120_000);
});
