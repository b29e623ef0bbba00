/**
 * The state machine shared by the DSC+ and the DSC: power, PIN entry and checking, the lock and the
 * unlock flow, and every timeout. A model (dscplus.ts, dsc.ts) supplies its keys, how PIN entry is
 * drawn, how PRESS turns it on, and what it does once the PIN is right.
 *
 * `step(spec, state, input, env)` is pure: it returns the next state and the effects (display frames
 * and storage writes) in the order a real device would perform them. Time and randomness arrive in
 * `env`. State is plain JSON.
 */
import { constantTimeEqualText } from '../bytes.ts';
import { ocra } from '../crypto/ocra.ts';
import { randomString, type Rng } from '../rng.ts';
import { hashPin, UNLOCK_LIMIT, UNLOCK_SUITE, unlockBlocked, unlockKeyOf, type Nv } from './nv.ts';

export type Input =
  | { type: 'down'; key: string }
  | { type: 'up'; key: string }
  /** Only lets time pass (timeouts, a held key). */
  | { type: 'tick' }
  /** The battery: `on: false` removes all power (RAM is lost, the record stays). */
  | { type: 'power'; on: boolean };

export type Effect = { type: 'display'; text: string } | { type: 'store'; nv: Nv };

export interface Env {
  /** Unix time in milliseconds: the device's clock. */
  now: number;
  rng: Rng;
}

/** Every mode a device can be in (a snapshot's mode is checked against this list). */
export const MODES = [
  'dead', // no battery
  'off',
  'pin', // typing the PIN
  'failed', // "FAIL n" after a wrong PIN
  'challenge', // DSC+: typing the challenge
  'response', // showing the response or passcode
  'locked', // "LOCKED"
  'unlockShow', // showing the unlock challenge
  'unlockEntry', // typing the unlock code
  'unlockBad', // "BAD CODE"
  'newPin', // typing a new PIN after unlock
  'confirmPin', // typing it again
  'pinSet', // "PIN SET"
  'mismatch', // "MISMATCH"
  'unset', // "NO KEY": no secret provisioned
] as const;
export type Mode = (typeof MODES)[number];

export interface DeviceState {
  nv: Nv;
  mode: Mode;
  /** Digits typed in the current entry. */
  entry: string;
  /** The PIN accepted at this power-on (OCRA suites with P hash it); cleared at power off. */
  pin: string;
  /** First entry of a new PIN while it is being confirmed. */
  newPin: string;
  /** Unlock challenge shown while locked. */
  challenge: string;
  display: string;
  /** When the current mode's timer fires (ms), or -1. */
  deadline: number;
  /** When PRESS went down (models that turn on by holding it), or -1. */
  holdSince: number;
}

export interface StepResult {
  state: DeviceState;
  effects: Effect[];
}

export type PinKind = 'pin' | 'new' | 'confirm';

export interface ModelSpec {
  readonly id: Nv['model'];
  readonly keys: readonly string[];
  /** 0: PRESS toggles power when it goes down; otherwise it must be held this long. */
  readonly holdMs: number;
  /** How long a response or passcode stays shown. */
  readonly responseMs: number;
  /** The display while a PIN is typed. */
  renderPin(kind: PinKind, entry: string, length: number): string;
  /** Called with the right PIN accepted; sets the next mode. */
  pinAccepted(s: DeviceState, env: Env, fx: Effect[]): void;
  /** Keys in modes only this model has (the DSC+ challenge). */
  modeKey?(s: DeviceState, key: string, env: Env, fx: Effect[]): void;
  /**
   * The code the device shows for `challenge` after the right `pin` at device time `now`: the same
   * computation as the keypad path. `nv` is the record to write first when a counter moves on.
   * Throws InputError for a challenge the keypad could not type.
   */
  compute(nv: Nv, challenge: string, pin: string, now: number): { nv: Nv | null; code: string };
}

/** 60 s without a key in an entry state turns the device off. */
export const IDLE_MS = 60_000;
/** "FAIL n", "PIN SET", "MISMATCH", "BAD CODE" stay this long. */
export const MESSAGE_MS = 2_000;
export const UNLOCK_CHALLENGE_DIGITS = 6;
export const UNLOCK_CODE_DIGITS = 8;

const IDLE_MODES: ReadonlySet<Mode> = new Set(['pin', 'challenge', 'locked', 'unlockShow', 'unlockEntry', 'newPin', 'confirmPin', 'unset']);
const MESSAGE_MODES: ReadonlySet<Mode> = new Set(['failed', 'unlockBad', 'pinSet', 'mismatch']);

export function initialState(nv: Nv): DeviceState {
  return { nv, mode: 'off', entry: '', pin: '', newPin: '', challenge: '', display: '', deadline: -1, holdSince: -1 };
}

export function show(s: DeviceState, text: string, fx: Effect[]): void {
  if (s.display !== text) {
    s.display = text;
    fx.push({ type: 'display', text });
  }
}

export function store(s: DeviceState, nv: Nv, fx: Effect[]): void {
  s.nv = nv;
  fx.push({ type: 'store', nv });
}

/** Enters `mode` at time `at`, showing `text` and arming the mode's timer. */
export function enter(spec: ModelSpec, s: DeviceState, mode: Mode, text: string, at: number, fx: Effect[]): void {
  s.mode = mode;
  s.deadline = IDLE_MODES.has(mode)
    ? at + IDLE_MS
    : MESSAGE_MODES.has(mode)
      ? at + MESSAGE_MS
      : mode === 'response'
        ? at + spec.responseMs
        : -1;
  show(s, text, fx);
}

function pinPrompt(spec: ModelSpec, s: DeviceState, at: number, fx: Effect[]): void {
  s.entry = '';
  enter(spec, s, 'pin', spec.renderPin('pin', '', s.nv.pinLength), at, fx);
}

function turnOn(spec: ModelSpec, s: DeviceState, at: number, fx: Effect[]): void {
  if (s.nv.secret === '') enter(spec, s, 'unset', 'NO KEY', at, fx);
  else if (s.nv.tries === 0) enter(spec, s, 'locked', lockedText(s.nv), at, fx);
  else pinPrompt(spec, s, at, fx);
}

function turnOff(s: DeviceState, mode: 'off' | 'dead', fx: Effect[]): void {
  s.mode = mode;
  s.entry = s.pin = s.newPin = s.challenge = '';
  s.deadline = -1;
  if (mode === 'dead') s.holdSince = -1;
  show(s, '', fx);
}

function togglePower(spec: ModelSpec, s: DeviceState, at: number, fx: Effect[]): void {
  if (s.mode === 'off') turnOn(spec, s, at, fx);
  else if (s.mode !== 'dead') turnOff(s, 'off', fx);
}

/** Fires every timer due at or before `now`, each at its own time, in order. */
function advance(spec: ModelSpec, s: DeviceState, now: number, fx: Effect[]): void {
  for (let guard = 0; guard < 32; guard++) {
    const hold = s.holdSince >= 0 && spec.holdMs > 0 ? s.holdSince + spec.holdMs : -1;
    const due = hold >= 0 && (s.deadline < 0 || hold <= s.deadline) ? hold : s.deadline;
    if (due < 0 || due > now) return;
    if (due === hold) {
      s.holdSince = -1;
      togglePower(spec, s, due, fx);
      continue;
    }
    switch (s.mode) {
      case 'failed':
      case 'pinSet':
        pinPrompt(spec, s, due, fx);
        break;
      case 'unlockBad':
        s.entry = '';
        enter(spec, s, 'unlockShow', unlockText(s.challenge), due, fx);
        break;
      case 'mismatch':
        s.entry = '';
        enter(spec, s, 'newPin', spec.renderPin('new', '', s.nv.pinLength), due, fx);
        break;
      default:
        turnOff(s, 'off', fx); // response shown long enough, or idle
    }
  }
}

/** LOCKED, or BLOCKED once wrong unlock codes have used up the unlock flow. */
function lockedText(nv: Nv): string {
  return unlockBlocked(nv) ? 'BLOCKED' : 'LOCKED';
}

function unlockText(challenge: string): string {
  return 'U-' + challenge;
}

/** Appends a digit (up to `max`) or removes one (C). Returns true if the entry changed. */
export function edit(s: DeviceState, key: string, max: number): boolean {
  if (key === 'C') {
    if (s.entry.length === 0) return false;
    s.entry = s.entry.slice(0, -1);
    return true;
  }
  if (key.length === 1 && key >= '0' && key <= '9' && s.entry.length < max) {
    s.entry += key;
    return true;
  }
  return false;
}

/** The record with one PIN try spent: written before the PIN is compared. */
export function spendTry(nv: Nv): Nv {
  return { ...nv, tries: nv.tries - 1 };
}

/** Compares a PIN with the stored hash in constant time. */
export function pinMatches(nv: Nv, pin: string): boolean {
  return constantTimeEqualText(hashPin(nv.pinSalt, pin), nv.pinHash);
}

function checkPin(spec: ModelSpec, s: DeviceState, env: Env, fx: Effect[]): void {
  const nv = s.nv;
  // Locked meanwhile (TEST_COMPUTE spent the last try while this prompt was showing): no try is left to spend.
  if (nv.tries === 0) {
    s.entry = '';
    enter(spec, s, 'locked', lockedText(nv), env.now, fx);
    return;
  }
  // The try is spent (and written) before the PIN is compared: cutting the power now costs a try.
  const spent = spendTry(nv);
  store(s, spent, fx);
  if (pinMatches(nv, s.entry)) {
    store(s, { ...spent, tries: nv.maxTries }, fx);
    s.pin = s.entry;
    s.entry = '';
    spec.pinAccepted(s, env, fx);
  } else if (spent.tries === 0) {
    s.entry = '';
    enter(spec, s, 'locked', 'LOCKED', env.now, fx);
  } else {
    s.entry = '';
    enter(spec, s, 'failed', `FAIL ${spent.tries}`, env.now, fx);
  }
}

function keyDown(spec: ModelSpec, s: DeviceState, key: string, env: Env, fx: Effect[]): void {
  const now = env.now;
  if (key === 'PRESS') {
    if (spec.holdMs === 0) togglePower(spec, s, now, fx);
    else if (s.holdSince < 0) s.holdSince = now;
    return;
  }
  if (s.mode === 'off' || MESSAGE_MODES.has(s.mode) || s.mode === 'response') return;
  if (IDLE_MODES.has(s.mode)) s.deadline = now + IDLE_MS;
  const nv = s.nv;
  switch (s.mode) {
    case 'pin':
    case 'newPin':
    case 'confirmPin': {
      const kind: PinKind = s.mode === 'pin' ? 'pin' : s.mode === 'newPin' ? 'new' : 'confirm';
      if (key === 'OK') {
        if (s.entry.length !== nv.pinLength) return;
        if (s.mode === 'pin') checkPin(spec, s, env, fx);
        else if (s.mode === 'newPin') {
          s.newPin = s.entry;
          s.entry = '';
          enter(spec, s, 'confirmPin', spec.renderPin('confirm', '', nv.pinLength), now, fx);
        } else {
          const same = constantTimeEqualText(s.entry, s.newPin);
          s.entry = '';
          if (same) {
            store(s, { ...nv, pinHash: hashPin(nv.pinSalt, s.newPin), tries: nv.maxTries }, fx);
            s.newPin = '';
            enter(spec, s, 'pinSet', 'PIN SET', now, fx);
          } else {
            s.newPin = '';
            enter(spec, s, 'mismatch', 'MISMATCH', now, fx);
          }
        }
      } else if (edit(s, key, nv.pinLength)) {
        show(s, spec.renderPin(kind, s.entry, nv.pinLength), fx);
      }
      return;
    }
    case 'locked':
      if (key === 'OK' && !unlockBlocked(nv)) {
        s.challenge = randomString(env.rng, '0123456789', UNLOCK_CHALLENGE_DIGITS);
        enter(spec, s, 'unlockShow', unlockText(s.challenge), now, fx);
      }
      return;
    case 'unlockShow':
      if (key === 'OK') {
        s.entry = '';
        enter(spec, s, 'unlockEntry', 'UNLOCK>', now, fx);
      }
      return;
    case 'unlockEntry':
      if (key === 'OK') {
        if (s.entry.length !== UNLOCK_CODE_DIGITS) return;
        // The failure is counted (and written) before the code is compared, like a PIN try.
        const fails = (nv.unlockFails ?? 0) + 1;
        store(s, { ...nv, unlockFails: fails }, fx);
        const expected = unlockCode(unlockKeyOf(nv), s.challenge);
        const right = constantTimeEqualText(s.entry, expected);
        s.entry = '';
        if (right) {
          store(s, { ...nv, unlockFails: 0 }, fx);
          enter(spec, s, 'newPin', spec.renderPin('new', '', nv.pinLength), now, fx);
        } else if (fails >= UNLOCK_LIMIT) {
          s.challenge = '';
          enter(spec, s, 'locked', 'BLOCKED', now, fx);
        } else enter(spec, s, 'unlockBad', 'BAD CODE', now, fx);
      } else if (edit(s, key, UNLOCK_CODE_DIGITS)) {
        show(s, s.entry || 'UNLOCK>', fx);
      }
      return;
    case 'unset':
      return;
    default:
      spec.modeKey?.(s, key, env, fx);
  }
}

/** The unlock code for an unlock challenge: OCRA with UNLOCK_SUITE under the token's unlock key. */
export function unlockCode(unlockKey: Uint8Array, challenge: string): string {
  return ocra(UNLOCK_SUITE, unlockKey, { question: challenge });
}

/** One input to a device: the pure transition. Keys the model does not have are ignored. */
export function step(spec: ModelSpec, state: DeviceState, input: Input, env: Env): StepResult {
  const s: DeviceState = { ...state };
  const fx: Effect[] = [];
  if (input.type === 'power') {
    if (!input.on) {
      if (s.mode !== 'dead') turnOff(s, 'dead', fx);
    } else if (s.mode === 'dead') {
      s.mode = 'off';
    }
    return { state: s, effects: fx };
  }
  if (s.mode === 'dead') return { state: s, effects: fx };
  advance(spec, s, env.now, fx);
  if (input.type === 'down') {
    if (spec.keys.includes(input.key)) keyDown(spec, s, input.key, env, fx);
  } else if (input.type === 'up') {
    if (input.key === 'PRESS') s.holdSince = -1;
  }
  return { state: s, effects: fx };
}
