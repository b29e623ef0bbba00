/** The IB Key app model: requirements, PIN, users, reinstall, responses (OCRA, checked against node:crypto). */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  addUser,
  approvePush,
  freshApp,
  IBKEY_SUITE,
  reinstall,
  requirementProblem,
  respond,
  verifyPin,
  type PhoneProfile,
} from '../../firmware/ibkey/app.ts';
import { seededRng } from '../../firmware/rng.ts';

const KEY = '3132333435363738393031323334353637383930313233343536373839303132';
const rng = seededRng('ibkey');
const ios: PhoneProfile = { os: 'ios', version: 17, biometrics: 'face-id', passcode: true, rooted: false };

/** RFC 6287 for OCRA-1:HOTP-SHA256-8:QN06, written out with node:crypto. */
function reference(keyHex: string, challenge: string): string {
  const suite = Buffer.from(IBKEY_SUITE, 'ascii');
  const q = Buffer.alloc(128);
  Buffer.from(
    BigInt(challenge)
      .toString(16)
      .toUpperCase()
      .padEnd(2 * Math.ceil(BigInt(challenge).toString(16).length / 2), '0'),
    'hex',
  ).copy(q);
  const h = createHmac('sha256', Buffer.from(keyHex, 'hex'))
    .update(Buffer.concat([suite, Buffer.from([0]), q]))
    .digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e8).padStart(8, '0');
}

describe('IB Key app', () => {
  it('checks the phone requirements', () => {
    expect(requirementProblem(ios)).toBeNull();
    expect(requirementProblem({ ...ios, version: 10 })).toMatch(/iOS 11/);
    expect(requirementProblem({ ...ios, biometrics: 'none', passcode: false })).toMatch(/Touch ID, Face ID or a device passcode/);
    expect(requirementProblem({ ...ios, biometrics: 'none', passcode: true })).toBeNull();
    const android: PhoneProfile = { os: 'android', version: 6, biometrics: 'fingerprint', passcode: false, rooted: false };
    expect(requirementProblem(android)).toBeNull();
    expect(requirementProblem({ ...android, version: 5 })).toMatch(/Android 6/);
    expect(requirementProblem({ ...android, rooted: true })).toMatch(/rooted/);
  });

  it('responds with OCRA over the activation key, and only with the right PIN', () => {
    let s = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY }, 'Pq7!', rng).state;
    for (const ch of ['000000', '123456', '999999', '40817']) {
      if (ch.length !== 6) {
        expect(() => respond(s, 'ann', ch, 'Pq7!')).toThrow(/6 digits/);
        continue;
      }
      const r = respond(s, 'ann', ch, 'Pq7!');
      expect(r.response).toBe(reference(KEY, ch));
      s = r.state;
    }
    const wrong = respond(s, 'ann', '123456', 'nope');
    expect(wrong.response).toBeUndefined();
    expect(wrong.message).toMatch(/4 tries left/);
  });

  it('blocks the PIN after 5 wrong tries, counted before the compare', () => {
    let s = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY }, '1a2b', rng).state;
    for (let i = 0; i < 5; i++) s = verifyPin(s, 'zzzz').state;
    expect(s.pinTriesLeft).toBe(0);
    const r = verifyPin(s, '1a2b');
    expect(r.ok).toBe(false);
    expect(r.ok || r.message).toMatch(/forgot PIN/);
  });

  it('Add user needs the same PIN; reinstall offers recovery', () => {
    let s = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY }, '1a2b', rng).state;
    const bad = addUser(s, { username: 'bob', activationId: 'a2', key: KEY }, '9z9z', rng);
    expect(bad.ok).toBe(false);
    s = addUser(s, { username: 'bob', activationId: 'a2', key: KEY }, '1a2b', rng).state;
    expect(s.users.map((u) => u.username)).toEqual(['ann', 'bob']);
    const r = reinstall(s);
    expect(r.users).toEqual([]);
    expect(r.pin).toBeNull();
    expect(r.recoverable).toEqual(['ann', 'bob']);
  });

  it('push approval: biometric succeed, fail, cancel; PIN', () => {
    const s = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY }, '1a2b', rng, true).state;
    expect(approvePush(s, 'ann', '654321', { biometric: 'succeed' })).toMatchObject({
      outcome: 'approved',
      response: reference(KEY, '654321'),
    });
    expect(approvePush(s, 'ann', '654321', { biometric: 'fail' })).toMatchObject({ outcome: 'failed' });
    expect(approvePush(s, 'ann', '654321', { biometric: 'cancel' })).toMatchObject({ outcome: 'cancelled' });
    expect(approvePush(s, 'ann', '654321', { pin: '1a2b' })).toMatchObject({ outcome: 'approved' });
    expect(approvePush(s, 'ann', '654321', { pin: '1a2c' })).toMatchObject({ outcome: 'failed' });
  });
});
