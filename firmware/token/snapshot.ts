/**
 * A DSC+ or DSC token's whole state as plain JSON (DeviceToken.snapshot / restore), and the checks
 * a snapshot passes before anything of it is stored: every field's type and range, the record by
 * the provisioning rules, and the device's own invariants.
 */
import { KEY_CODE } from '../../protocol/codes.ts';
import { type DeviceState, MODES } from '../device/engine.ts';
import { decodeNv, encodeNv, unlockBlocked } from '../device/nv.ts';
import { InputError, withinDepth } from '../errors.ts';
import type { ClockState } from './clock.ts';

/** A token's whole state, plain JSON: restore it to get the same token, display and all. */
export interface DeviceSnapshot {
  v: 1;
  state: DeviceState;
  clock: ClockState;
  battery: number;
  batteryIn: boolean;
  pendingUps: { key: string; at: number }[];
  firmwareVersion: string;
}

const KNOWN_MODES = new Set<string>(MODES);
/** Modes a device reaches only while its PIN is locked (0 tries): the unlock flow. */
const LOCKED_MODES = new Set(['locked', 'unlockShow', 'unlockEntry', 'unlockBad', 'newPin', 'confirmPin', 'mismatch']);
/** Modes a device reaches only with PIN tries left. */
const UNLOCKED_MODES = new Set(['pin', 'failed', 'challenge', 'response', 'pinSet']);
/** The latest Unix ms a clock may show (the range of a JavaScript Date). */
const MAX_CLOCK_MS = 8_640_000_000_000_000;

/**
 * Checks every part of a snapshot before anything of it is stored: each field's type and range, the
 * record by the provisioning rules, and the device's own invariants (its mode agrees with its tries,
 * lock, secret and power). Throws InputError naming the field.
 */
export function checkSnapshot(snap: DeviceSnapshot): void {
  const bad = (what: string): never => {
    throw new InputError('snapshot', `snapshot has a bad ${what}`);
  };
  if (!withinDepth(snap, 6)) bad('shape (nested more than 6 levels)');
  if (typeof snap !== 'object' || snap === null || snap.v !== 1) bad('version');
  const st = snap.state;
  if (typeof st !== 'object' || st === null) bad('state');
  if (typeof st.nv !== 'object' || st.nv === null) bad('record');
  decodeNv(encodeNv(st.nv)); // the record, field by field (throws InputError naming the field)
  if (!KNOWN_MODES.has(st.mode)) bad('mode');
  for (const k of ['entry', 'pin', 'newPin', 'challenge'] as const)
    if (typeof st[k] !== 'string' || !/^[0-9]{0,16}$/.test(st[k])) bad(`${k} (digits only, at most 16)`);
  if (typeof st.display !== 'string' || !/^[\x20-\x7e]{0,16}$/.test(st.display)) bad('display (printable text, at most 16 characters)');
  for (const k of ['deadline', 'holdSince'] as const) if (!Number.isSafeInteger(st[k]) || st[k] < -1 || st[k] > MAX_CLOCK_MS) bad(k);
  // The device's own invariants: what it shows must be a state it could be in.
  const nv = st.nv;
  if (!nv.secret && !['dead', 'off', 'unset'].includes(st.mode)) bad('mode (a token without a secret is off or shows NO KEY)');
  if (nv.secret && st.mode === 'unset') bad('mode (NO KEY on a token that has a secret)');
  if (nv.tries === 0 && UNLOCKED_MODES.has(st.mode)) bad(`mode (${st.mode} on a locked token)`);
  if (nv.tries > 0 && LOCKED_MODES.has(st.mode)) bad(`mode (${st.mode} on a token that is not locked)`);
  if (unlockBlocked(nv) && LOCKED_MODES.has(st.mode) && st.mode !== 'locked')
    bad(`mode (${st.mode} on a token blocked by wrong unlock codes)`);
  const c = snap.clock;
  const ms = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= MAX_CLOCK_MS;
  if (
    typeof c !== 'object' ||
    c === null ||
    !ms(c.deviceAt) ||
    !ms(c.hostAt) ||
    !(c.rate > 0 && c.rate <= 10_000) ||
    typeof c.paused !== 'boolean'
  )
    bad('clock');
  if (!Number.isInteger(snap.battery) || snap.battery < 0 || snap.battery > 100) bad('battery');
  if (typeof snap.batteryIn !== 'boolean') bad('batteryIn');
  // Power (P-1.15, P-1.16): a device is dead exactly when its battery is out or flat.
  const powered = snap.batteryIn && snap.battery > 0;
  if (!powered && st.mode !== 'dead') bad(`mode (${st.mode} without power: the battery is out or flat)`);
  if (powered && st.mode === 'dead') bad('mode (dead with the battery in and charged)');
  const isKey = (k: unknown) => typeof k === 'string' && Object.hasOwn(KEY_CODE, k);
  if (
    !Array.isArray(snap.pendingUps) ||
    snap.pendingUps.length > 16 ||
    snap.pendingUps.some((p) => typeof p !== 'object' || p === null || !isKey(p.key) || !ms(p.at))
  )
    bad('pendingUps');
  if (typeof snap.firmwareVersion !== 'string' || !/^[\x20-\x7e]{1,64}$/.test(snap.firmwareVersion)) bad('firmwareVersion');
}
