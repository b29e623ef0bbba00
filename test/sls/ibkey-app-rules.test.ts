/**
 * The IB Key app model's rules at their edges (docs/sls.md section "IB Key"): the phone
 * requirements at the version bounds, the PIN format, the try counter and its messages, users
 * replaced on reactivation, recovery after a reinstall, and which user's key answers. Written for
 * the mutants that test/sls/ibkey-app.test.ts left alive (docs/conformance.md "Mutation testing").
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  addUser,
  approvePush,
  checkAppPin,
  declineRecovery,
  deactivateUser,
  freshApp,
  IBKEY_SUITE,
  PIN_TRIES,
  reinstall,
  requirementProblem,
  respond,
  verifyPin,
  type AppState,
  type PhoneProfile,
} from '../../firmware/ibkey/app.ts';
import { seededRng } from '../../firmware/rng.ts';
import { inputErrorOf } from '../input-error.ts';

const KEY_A = '3132333435363738393031323334353637383930313233343536373839303132';
const KEY_B = 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0';
const rng = seededRng('ibkey-rules');
const ios: PhoneProfile = { os: 'ios', version: 11, biometrics: 'touch-id', passcode: false, rooted: false };
const android: PhoneProfile = { os: 'android', version: 6, biometrics: 'none', passcode: false, rooted: false };

/** RFC 6287 for OCRA-1:HOTP-SHA256-8:QN06 with node:crypto (a 6-digit challenge fits one byte run). */
function reference(keyHex: string, challenge: string): string {
  const hex = BigInt(challenge).toString(16).toUpperCase();
  const q = Buffer.alloc(128);
  Buffer.from(hex.length % 2 ? hex + '0' : hex, 'hex').copy(q);
  const h = createHmac('sha256', Buffer.from(keyHex, 'hex'))
    .update(Buffer.concat([Buffer.from(IBKEY_SUITE, 'ascii'), Buffer.from([0]), q]))
    .digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e8).padStart(8, '0');
}

function withUsers(pin = '1a2b'): AppState {
  let s = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY_A }, pin, rng).state;
  s = addUser(s, { username: 'bob', activationId: 'a2', key: KEY_B }, pin, rng).state;
  return s;
}

describe('IB Key app rules at their edges', () => {
  it('phone requirements: iOS 11 is the first version; an iPhone needs Touch ID, Face ID or a passcode, never "fingerprint"', () => {
    expect(requirementProblem(ios)).toBeNull();
    expect(requirementProblem({ ...ios, biometrics: 'face-id' })).toBeNull();
    expect(requirementProblem({ ...ios, version: 10 })).toBe('IB Key needs iOS 11 or later; this phone has iOS 10');
    expect(requirementProblem({ ...ios, biometrics: 'fingerprint', passcode: true })).toMatch(
      /iPhone has Touch ID or Face ID, not "fingerprint"/,
    );
    expect(requirementProblem({ ...ios, biometrics: 'none', passcode: false })).toMatch(/needs Touch ID, Face ID or a device passcode/);
  });

  it('phone requirements: Android 6 is the first version; an Android phone has fingerprint biometrics or none', () => {
    expect(requirementProblem(android)).toBeNull();
    expect(requirementProblem({ ...android, biometrics: 'fingerprint' })).toBeNull();
    for (const b of ['face-id', 'touch-id'] as const)
      expect(requirementProblem({ ...android, biometrics: b })).toMatch(/Android phone has "fingerprint" biometrics or none/);
    expect(requirementProblem({ ...android, version: 5 })).toMatch(/Android 6 or later; this phone has Android 5/);
  });

  it('the PIN is 4 to 6 printable characters without spaces; anything else is refused naming the PIN', () => {
    for (const ok of ['1a2b', 'Pq7!#~', '!!!!']) expect(() => checkAppPin(ok)).not.toThrow();
    for (const bad of ['abc', 'abcdefg', ' abcd', 'abcd ', 'ab cd', 'abcé', 1234, null]) {
      const e = inputErrorOf(() => checkAppPin(bad));
      expect(e.part).toBe('pin');
      expect(e.message).toMatch(/4 to 6 characters/);
    }
    // A PIN refused at activation leaves the app without a PIN or a user.
    const e = inputErrorOf(() => addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY_A }, '1234567', rng));
    expect(e.part).toBe('pin');
  });

  it('a PIN check before activation and a PIN that is not text are refused without a response', () => {
    const none = verifyPin(freshApp(), '1a2b');
    expect(none.ok).toBe(false);
    expect(none.ok || none.message).toMatch(/no PIN is set.*activate IB Key first/);
    const s = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY_A }, '1234', rng).state;
    // A JSON number with the PIN's digits is not the PIN.
    const num = verifyPin(s, 1234 as unknown as string);
    expect(num.ok).toBe(false);
    expect(num.state.pinTriesLeft).toBe(PIN_TRIES - 1);
  });

  it('each wrong PIN says how many tries are left, the last one that the PIN is now blocked', () => {
    let s = withUsers();
    const said: string[] = [];
    for (let i = 0; i < PIN_TRIES; i++) {
      const r = verifyPin(s, 'zzzz');
      s = r.state;
      said.push(r.ok ? 'ok' : r.message);
    }
    expect(said).toEqual([
      'wrong PIN, 4 tries left',
      'wrong PIN, 3 tries left',
      'wrong PIN, 2 tries left',
      'wrong PIN, 1 try left',
      'wrong PIN; the PIN is now blocked: reinstall the app and register again (forgot PIN)',
    ]);
    // Blocked: even the right PIN no longer computes a response.
    const r = respond(s, 'ann', '123456', '1a2b');
    expect(r.response).toBeUndefined();
    expect(r.message).toMatch(/blocked after too many wrong tries/);
  });

  it('the right PIN gives the tries back', () => {
    let s = withUsers();
    s = verifyPin(s, 'zzzz').state;
    s = verifyPin(s, 'zzzz').state;
    const r = verifyPin(s, '1a2b');
    expect(r.ok).toBe(true);
    expect(r.state.pinTriesLeft).toBe(PIN_TRIES);
  });

  it('Add user reports success, and a wrong PIN says it was Add user that needed it', () => {
    const first = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY_A }, '1a2b', rng);
    expect(first.ok).toBe(true);
    const bad = addUser(first.state, { username: 'bob', activationId: 'a2', key: KEY_B }, '9z9z', rng);
    expect(bad.ok).toBe(false);
    expect(bad.ok || bad.message).toBe("Add user needs the app's PIN: wrong PIN, 4 tries left");
    expect(bad.state.users.map((u) => u.username)).toEqual(['ann']);
  });

  it('an app uses biometrics only when an activation asked for them', () => {
    const s = withUsers();
    expect(freshApp().useBiometrics).toBe(false);
    expect(s.useBiometrics).toBe(false);
    const e = inputErrorOf(() => approvePush(s, 'ann', '654321', { biometric: 'succeed' }));
    expect(e.part).toBe('biometric');
    expect(e.message).toMatch(/does not use biometrics: approve with the PIN/);
    // Once asked for, a later activation without them does not turn them off.
    const on = addUser(s, { username: 'cat', activationId: 'a3', key: KEY_A }, '1a2b', rng, true).state;
    expect(addUser(on, { username: 'dan', activationId: 'a4', key: KEY_B }, '1a2b', rng).state.useBiometrics).toBe(true);
  });

  it('reactivating a user replaces the old activation: one entry, the new key answers', () => {
    let s = withUsers();
    s = addUser(s, { username: 'ann', activationId: 'a9', key: KEY_B }, '1a2b', rng).state;
    expect(s.users.map((u) => [u.username, u.activationId])).toEqual([
      ['bob', 'a2'],
      ['ann', 'a9'],
    ]);
    expect(respond(s, 'ann', '135790', '1a2b').response).toBe(reference(KEY_B, '135790'));
  });

  it("each user's response is computed with that user's own key", () => {
    const s = withUsers();
    expect(respond(s, 'bob', '246802', '1a2b').response).toBe(reference(KEY_B, '246802'));
    expect(approvePush(s, 'bob', '246802', { pin: '1a2b' }).response).toBe(reference(KEY_B, '246802'));
    expect(respond(s, 'ann', '246802', '1a2b').response).toBe(reference(KEY_A, '246802'));
  });

  it('a user not on the app, or activated on another phone since, gets no response', () => {
    const s = deactivateUser(withUsers(), 'bob');
    expect(s.users.map((u) => [u.username, u.active])).toEqual([
      ['ann', true],
      ['bob', false],
    ]);
    const gone = inputErrorOf(() => respond(s, 'eve', '123456', '1a2b'));
    expect([gone.part, gone.message]).toEqual(['username', 'eve is not activated in this IB Key app']);
    const moved = inputErrorOf(() => approvePush(s, 'bob', '123456', { pin: '1a2b' }));
    expect([moved.part, moved.message]).toEqual(['username', 'bob activated IB Key on another phone; this one is no longer active']);
    expect(respond(s, 'ann', '123456', '1a2b').response).toBe(reference(KEY_A, '123456'));
  });

  it('the challenge is exactly 6 digits as text', () => {
    const s = withUsers();
    for (const bad of ['1234567', 'x123456', '123456x', '12345', 123456]) {
      const e = inputErrorOf(() => respond(s, 'ann', bad as string, '1a2b'));
      expect(e.part).toBe('challenge');
      expect(e.message).toMatch(/6 digits/);
    }
  });

  it('a reinstall offers the active users for recovery; re-adding or declining takes them off the offer', () => {
    const s = deactivateUser(withUsers(), 'bob');
    const r = reinstall(s);
    expect(r.installed).toBe(true);
    expect(r.recoverable).toEqual(['ann']);
    const both = reinstall(withUsers());
    expect(both.recoverable).toEqual(['ann', 'bob']);
    const back = addUser(both, { username: 'bob', activationId: 'a5', key: KEY_B }, '5t6y', rng).state;
    expect(back.recoverable).toEqual(['ann']);
    expect(back.users.map((u) => u.username)).toEqual(['bob']);
    expect(declineRecovery(back).recoverable).toEqual([]);
    expect(declineRecovery(back).users).toEqual(back.users);
  });

  it('push approval messages: cancelled and failed scans are not approvals and cost no PIN try', () => {
    const s = addUser(freshApp(), { username: 'ann', activationId: 'a1', key: KEY_A }, '1a2b', rng, true).state;
    const cancel = approvePush(s, 'ann', '654321', { biometric: 'cancel' });
    expect([cancel.outcome, cancel.message, cancel.response]).toEqual([
      'cancelled',
      'biometric prompt cancelled; the login is not approved',
      undefined,
    ]);
    const fail = approvePush(s, 'ann', '654321', { biometric: 'fail' });
    expect([fail.outcome, fail.message, fail.response]).toEqual([
      'failed',
      'biometric not recognised; approve with the PIN instead',
      undefined,
    ]);
    expect(fail.state.pinTriesLeft).toBe(PIN_TRIES);
    const ok = approvePush(s, 'ann', '654321', { biometric: 'succeed' });
    expect([ok.outcome, ok.message]).toEqual(['approved', 'approved']);
  });
});
