/**
 * A power cut at every write of an activation, a sharing and a withdrawal: the store is cut at
 * write N (N = 1, 2, ... until the operation completes), reopened from its file, and must hold
 * either nothing of the operation or all of it. Complements crash.slow.test.ts, whose kill -9
 * lands at random moments.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TokenGate } from '../../emulator/sls/gate.ts';
import { openSls } from '../../emulator/sls/sls.ts';
import { SqliteStore } from '../../emulator/sls/sqlite-store.ts';
import type { SlsStore, SlsTx } from '../../emulator/sls/store.ts';
import { seededRng } from '../../firmware/rng.ts';
import { tempDir } from '../emulator/helpers.ts';

class Cut extends Error {}

/** A store whose `at`-th write (counted over all transactions) fails like a power cut. */
function cutting(inner: SlsStore, at: number): SlsStore {
  let writes = 0;
  return {
    close: () => inner.close(),
    transaction: (fn) =>
      inner.transaction((tx) => {
        const proxy = new Proxy(tx, {
          get(target, key: keyof SlsTx) {
            const f = target[key] as (...a: unknown[]) => Promise<unknown>;
            if (!/^(put|add|delete)/.test(String(key))) return f;
            return (...a: unknown[]) => {
              if (++writes === at) throw new Cut(`power cut at write ${at}`);
              return f(...a);
            };
          },
        });
        return fn(proxy);
      }),
  };
}

const gate: TokenGate = {
  kind: (id) => (id.startsWith('dsc') ? 'dsc' : null),
  expiresAt: () => null,
  issue: () => ({ challenge: null }),
  check: (_id, a) => ({ accepted: a.response === 'ok', outcome: 'x' }),
};
const cheap = { N: 16, r: 1, p: 1 };
const NOW = Date.UTC(2026, 4, 5, 10);

async function base(dir: string): Promise<{ file: string; code: string; request: string }> {
  const file = join(dir, 'base.db');
  const sls = openSls({ store: new SqliteStore(file), gate, now: () => NOW, rng: seededRng('base'), scryptCost: cheap });
  const s = sls.service;
  await s.createEntity({
    id: 'e',
    name: 'Pat Doe',
    identification: { dateOfBirth: '1970-07-07', citizenship: 'IE', residence: 'IE', idType: 'passport', idNumber: 'PD7777777' },
  });
  for (const u of ['pat', 'pat.two']) await s.createUser({ username: u, password: 'pat-password', entityId: 'e', accountId: 'p1' });
  await s.addDevice('pat', { kind: 'dsc', tokenId: 'dsc-a' });
  await s.addDevice('pat.two', { kind: 'dsc', tokenId: 'dsc-b' });
  for (const id of ['ph-a', 'ph-b'])
    await sls.ibkey.createPhone({ id, profile: { os: 'android', version: 13, biometrics: 'none', passcode: false, rooted: false } });
  // pat's IB Key is active on ph-a; an activation for ph-b waits for its code
  for (const phoneId of ['ph-a', 'ph-b']) {
    const r = await sls.ibkey.startActivation({ phoneId, username: 'pat', password: 'pat-password', number: '861234567' });
    const code = /code: (\d{6})/.exec((await s.tx((tx) => tx.sms(1)))[0].text)![1];
    if (phoneId === 'ph-a') await sls.ibkey.finishActivation({ phoneId, request: r.request, code, pin: 'Rr4@' });
    else {
      await sls.close();
      return { file, code, request: r.request };
    }
  }
  throw new Error('unreachable');
}

type Op = 'activate' | 'share' | 'withdraw';

async function run(op: Op, file: string, at: number, b: { code: string; request: string }): Promise<boolean> {
  const sls = openSls({ store: cutting(new SqliteStore(file), at), gate, now: () => NOW, rng: seededRng(`op-${at}`), scryptCost: cheap });
  try {
    if (op === 'activate') await sls.ibkey.finishActivation({ phoneId: 'ph-b', request: b.request, code: b.code, pin: 'Rr4@' });
    if (op === 'share') {
      const dev = (await sls.service.user('pat')).devices.find((d) => d.kind === 'dsc')!;
      await sls.service.share(await sls.service.openSession('pat.two'), {
        owner: 'pat',
        ownerPassword: 'pat-password',
        deviceId: dev.id,
        response: 'ok',
      });
    }
    if (op === 'withdraw')
      await sls.service.withdraw(await sls.service.openSession('pat'), { amount: 500, bank: 'B-1', requestId: 'req-1' });
    return true;
  } catch (err) {
    if (!(err instanceof Cut)) throw err;
    return false;
  } finally {
    await sls.close();
  }
}

/** All of the operation or none of it, read from the reopened file. */
async function state(file: string, op: Op): Promise<'none' | 'all'> {
  const store = new SqliteStore(file);
  try {
    return await store.transaction(async (tx) => {
      if (op === 'activate') {
        const active = (await tx.activations()).filter((a) => a.active);
        expect(active.length).toBe(1);
        const devices = (await tx.devices()).filter((d) => d.kind === 'ibkey');
        const a = (await tx.phone('ph-a'))!.app.users;
        const bApp = (await tx.phone('ph-b'))!.app.users;
        if (active[0].phoneId === 'ph-a') {
          expect(devices.map((d) => d.status)).toEqual(['active']);
          expect(a.map((u) => u.active)).toEqual([true]);
          expect(bApp).toEqual([]);
          return 'none';
        }
        expect(devices.map((d) => [d.activationId, d.status])).toEqual([
          [expect.any(String), 'revoked'],
          [active[0].id, 'active'],
        ]);
        expect(a.map((u) => u.active)).toEqual([false]);
        expect(bApp.map((u) => [u.activationId, u.active])).toEqual([[active[0].id, true]]);
        return 'all';
      }
      if (op === 'share') {
        const s = await tx.sharings();
        expect(s.length).toBeLessThanOrEqual(1);
        return s.length ? 'all' : 'none';
      }
      const w = await tx.withdrawals('pat', 0);
      expect(w.length).toBeLessThanOrEqual(1);
      return w.length ? 'all' : 'none';
    });
  } finally {
    await store.close();
  }
}

describe('SLS power cut at every write', () => {
  it('activation, sharing and withdrawal are all or nothing', async () => {
    const dir = tempDir('tb-sls-cut-');
    const b = await base(dir);
    for (const op of ['activate', 'share', 'withdraw'] as Op[]) {
      let at = 1;
      for (; at < 50; at++) {
        const file = join(dir, `${op}-${at}.db`);
        copyFileSync(b.file, file);
        const completed = await run(op, file, at, b);
        const s = await state(file, op);
        expect(s, `${op} cut at write ${at}`).toBe(completed ? 'all' : 'none');
        rmSync(file);
        rmSync(`${file}-wal`, { force: true });
        rmSync(`${file}-shm`, { force: true });
        if (completed) break;
      }
      expect(at, op).toBeGreaterThan(op === 'activate' ? 5 : 1); // the cut landed inside the operation's writes
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
