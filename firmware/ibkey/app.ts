/**
 * The IB Key phone app (IBKR Mobile authentication), as a pure model over JSON state: the phone
 * profile's requirements, the app PIN (4 to 6 letters, digits or specials, kept as a PBKDF2
 * verifier with a retry counter decremented before the compare), the users activated on it, and
 * the responses it computes. Responses are OCRA (RFC 6287) in the suite IBKEY_SUITE over the
 * per-activation key; computing one needs no network. docs/sls.md section "IB Key".
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { constantTimeEqual, fromHex, toHex, utf8 } from '../bytes.ts';
import { ocra } from '../crypto/ocra.ts';
import { check, InputError } from '../errors.ts';
import type { Rng } from '../rng.ts';

/** The lab's response algorithm: a 6-digit numeric challenge, an 8-digit response, HMAC-SHA256. */
export const IBKEY_SUITE = 'OCRA-1:HOTP-SHA256-8:QN06';
export const PIN_TRIES = 5;
const PBKDF2_ROUNDS = 2000;

export interface PhoneProfile {
  os: 'ios' | 'android';
  /** Major OS version. */
  version: number;
  biometrics: 'face-id' | 'touch-id' | 'fingerprint' | 'none';
  /** iOS: a device passcode is set. */
  passcode: boolean;
  rooted: boolean;
}

export interface AppUser {
  username: string;
  activationId: string;
  /** The per-activation OCRA key, hex. */
  key: string;
  /** False once the user activated IB Key on another phone. */
  active: boolean;
}

export interface AppState {
  installed: boolean;
  pin: { salt: string; hash: string } | null;
  pinTriesLeft: number;
  useBiometrics: boolean;
  users: AppUser[];
  /** After a reinstall: the users that could be recovered (usernames only). */
  recoverable: string[];
}

export const freshApp = (): AppState => ({
  installed: true,
  pin: null,
  pinTriesLeft: PIN_TRIES,
  useBiometrics: false,
  users: [],
  recoverable: [],
});

/** Why this phone cannot run IB Key, or null. iOS 11+ with Touch ID, Face ID or a passcode; Android 6+, not rooted. */
export function requirementProblem(p: PhoneProfile): string | null {
  if (p.os === 'ios') {
    if (p.version < 11) return `IB Key needs iOS 11 or later; this phone has iOS ${p.version}`;
    if (p.biometrics === 'none' && !p.passcode) return 'IB Key on iOS needs Touch ID, Face ID or a device passcode';
    if (p.biometrics === 'fingerprint') return 'an iPhone has Touch ID or Face ID, not "fingerprint"';
    return null;
  }
  if (p.version < 6) return `IB Key needs Android 6 or later; this phone has Android ${p.version}`;
  if (p.rooted) return 'IB Key does not run on a rooted Android phone';
  if (p.biometrics === 'face-id' || p.biometrics === 'touch-id') return 'an Android phone has "fingerprint" biometrics or none';
  return null;
}

/** 4 to 6 characters: letters, digits and printable specials (no spaces). */
export function checkAppPin(pin: unknown): asserts pin is string {
  check(
    typeof pin === 'string' && /^[\x21-\x7e]{4,6}$/.test(pin),
    'pin',
    'the IB Key PIN must be 4 to 6 characters: letters, digits or special characters, no spaces',
  );
}

function pinHash(pin: string, salt: Uint8Array): Uint8Array {
  return pbkdf2(sha256, utf8(pin), salt, { c: PBKDF2_ROUNDS, dkLen: 32 });
}

/** Sets the app PIN (first activation, or after a reinstall). */
export function setPin(s: AppState, pin: string, rng: Rng): AppState {
  checkAppPin(pin);
  const salt = rng(16);
  return { ...s, pin: { salt: toHex(salt), hash: toHex(pinHash(pin, salt)) }, pinTriesLeft: PIN_TRIES };
}

export type PinResult = { state: AppState; ok: true } | { state: AppState; ok: false; message: string };

/** Checks the PIN: the try is counted first, given back on success. */
export function verifyPin(s: AppState, pin: string): PinResult {
  if (!s.pin) return { state: s, ok: false, message: 'no PIN is set in the app: activate IB Key first' };
  if (s.pinTriesLeft <= 0)
    return {
      state: s,
      ok: false,
      message: 'the IB Key PIN is blocked after too many wrong tries: reinstall the app and register again (forgot PIN)',
    };
  const counted = { ...s, pinTriesLeft: s.pinTriesLeft - 1 };
  const right = typeof pin === 'string' && constantTimeEqual(pinHash(pin, fromHex(s.pin.salt)), fromHex(s.pin.hash));
  if (!right) {
    const left = counted.pinTriesLeft;
    return {
      state: counted,
      ok: false,
      message:
        left > 0
          ? `wrong PIN, ${left} ${left === 1 ? 'try' : 'tries'} left`
          : 'wrong PIN; the PIN is now blocked: reinstall the app and register again (forgot PIN)',
    };
  }
  return { state: { ...counted, pinTriesLeft: PIN_TRIES }, ok: true };
}

/**
 * Adds an activated user to the app. The first user sets the PIN; later users ("Add user") must
 * give the same PIN. A user already on the app is replaced (reactivation).
 */
export function addUser(s: AppState, user: Omit<AppUser, 'active'>, pin: string, rng: Rng, useBiometrics = false): PinResult {
  checkAppPin(pin);
  let next: AppState;
  if (s.pin) {
    const r = verifyPin(s, pin);
    if (!r.ok) return { ...r, message: `Add user needs the app's PIN: ${r.message}` };
    next = r.state;
  } else next = setPin(s, pin, rng);
  next = { ...next, useBiometrics: next.useBiometrics || useBiometrics, recoverable: next.recoverable.filter((u) => u !== user.username) };
  next.users = [...next.users.filter((u) => u.username !== user.username), { ...user, active: true }];
  return { state: next, ok: true };
}

/** Marks a user inactive here (activated on another phone). */
export function deactivateUser(s: AppState, username: string): AppState {
  return { ...s, users: s.users.map((u) => (u.username === username ? { ...u, active: false } : u)) };
}

/** A reinstall wipes the app; the users it had can be recovered (or declined: forgot-PIN path). */
export function reinstall(s: AppState): AppState {
  return { ...freshApp(), recoverable: [...new Set([...s.recoverable, ...s.users.filter((u) => u.active).map((u) => u.username)])] };
}

export function declineRecovery(s: AppState): AppState {
  return { ...s, recoverable: [] };
}

function activeUser(s: AppState, username: string): AppUser {
  const u = s.users.find((x) => x.username === username);
  if (!u) throw new InputError('username', `${username} is not activated in this IB Key app`);
  if (!u.active) throw new InputError('username', `${username} activated IB Key on another phone; this one is no longer active`);
  return u;
}

/** The response to a login challenge (challenge/response fallback); works offline. */
export function respond(
  s: AppState,
  username: string,
  challenge: string,
  pin: string,
): { state: AppState; response?: string; message?: string } {
  const u = activeUser(s, username);
  check(typeof challenge === 'string' && /^\d{6}$/.test(challenge), 'challenge', 'the challenge is the 6 digits the login page shows');
  const r = verifyPin(s, pin);
  if (!r.ok) return { state: r.state, message: r.message };
  return { state: r.state, response: ocra(IBKEY_SUITE, fromHex(u.key), { question: challenge }) };
}

export type Biometric = 'succeed' | 'fail' | 'cancel';

/**
 * Approving a push notification: with biometrics (the lab picks the outcome) where the app uses
 * them, else (or after a failed scan) the PIN. Returns the signed approval: the OCRA response to
 * the notification's challenge.
 */
export function approvePush(
  s: AppState,
  username: string,
  challenge: string,
  how: { biometric: Biometric } | { pin: string },
): { state: AppState; response?: string; outcome: 'approved' | 'failed' | 'cancelled'; message: string } {
  const u = activeUser(s, username);
  let state = s;
  if ('biometric' in how) {
    if (!s.useBiometrics) throw new InputError('biometric', 'this app does not use biometrics: approve with the PIN');
    if (how.biometric === 'cancel')
      return { state, outcome: 'cancelled', message: 'biometric prompt cancelled; the login is not approved' };
    if (how.biometric === 'fail') return { state, outcome: 'failed', message: 'biometric not recognised; approve with the PIN instead' };
  } else {
    const r = verifyPin(s, how.pin);
    state = r.state;
    if (!r.ok) return { state, outcome: 'failed', message: r.message };
  }
  return { state, outcome: 'approved', response: ocra(IBKEY_SUITE, fromHex(u.key), { question: challenge }), message: 'approved' };
}
