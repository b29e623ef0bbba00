/** Restoring a snapshot: anything a device could not be in is refused, naming the field, and nothing is written. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../emulator/api/client.ts';
import type { Snapshot } from '../../emulator/host/host.ts';
import { lab, type Lab } from './helpers.ts';

let l: Lab;
beforeAll(async () => {
  l = await lab();
});
afterAll(async () => l.close());

type Mutation = [what: string, change: (s: Snapshot & { device: Record<string, any> }) => void, message: RegExp];

const hex = (n: number) => '11'.repeat(n);

const MUTATIONS: Mutation[] = [
  ['a 5-byte secret', (s) => (s.device.state.nv.secret = hex(5)), /secret/],
  ['a 4,096-byte secret', (s) => (s.device.state.nv.secret = hex(4096)), /secret/],
  ['a 3-byte unlock key', (s) => (s.device.state.nv.unlockKey = hex(3)), /unlockKey/],
  ['a clock at 1e300', (s) => (s.device.clock.deviceAt = 1e300), /clock/],
  ['a clock at -1e15', (s) => (s.device.clock.deviceAt = -1e15), /clock/],
  ['a pending key named __proto__', (s) => (s.device.pendingUps = [{ key: '__proto__', at: 1 }]), /pendingUps/],
  ['display text with control characters', (s) => (s.device.state.display = 'PIN>\u0007\u001b[2J'), /display/],
  ['letters in the PIN entry', (s) => (s.device.state.entry = '12ab'), /entry/],
  [
    'a locked token in challenge mode',
    (s) => ((s.device.state.nv.tries = 0), (s.device.state.mode = 'challenge')),
    /mode \(challenge on a locked token\)/,
  ],
  ['a locked token showing a response', (s) => ((s.device.state.nv.tries = 0), (s.device.state.mode = 'response')), /mode/],
  [
    'an unlock prompt on a token with tries',
    (s) => (s.device.state.mode = 'unlockEntry'),
    /mode \(unlockEntry on a token that is not locked\)/,
  ],
  ['wrong unlock codes on a token with tries', (s) => (s.device.state.nv.unlockFails = 3), /unlockFails/],
  ['a board key of 3 bytes', (s) => (s.device.state.nv.authKey = hex(3)), /authKey/],
  ['a record that is a string', (s) => (s.device.state.nv = 'x' as never), /not usable/],
];

describe('restore refuses impossible state', () => {
  for (const [what, change, message] of MUTATIONS) {
    it(`refuses ${what}, writing nothing`, async () => {
      const before = await l.client.snapshot('dscplus-1');
      const bad = structuredClone(before) as Snapshot & { device: Record<string, any> };
      change(bad);
      const e = await l.client.restore('dscplus-1', bad).catch((x) => x);
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).status).toBe(400);
      expect((e as ApiError).message).toMatch(message);
      expect(await l.client.snapshot('dscplus-1')).toEqual(before);
    });
  }

  it('refuses an object 100,000 levels deep with a 400, not a crash', async () => {
    let deep = '1';
    for (let i = 0; i < 100_000; i++) deep = `{"a":${deep}}`;
    const res = await fetch(`${l.api.url.replace(/\?.*$/, '')}api/tokens/dscplus-1/snapshot`.replace('//api', '/api'), {
      method: 'PUT',
      headers: { authorization: `Bearer ${l.api.accessToken}`, 'content-type': 'application/json' },
      body: `{"v":1,"kind":"dscplus","device":${deep}}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/nested/);
  });

  it('still restores a real snapshot, locked ones included', async () => {
    await l.client.keys('dscplus-1', 'PRESS 0000 OK WAIT:2000 0000 OK WAIT:2000 0000 OK OK');
    const locked = await l.client.snapshot('dscplus-1');
    expect(locked.device!.state.mode).toBe('unlockShow');
    await l.client.unlock('dscplus-1');
    await l.client.restore('dscplus-1', locked);
    expect((await l.client.get('dscplus-1')).locked).toBe(true);
  });
});
