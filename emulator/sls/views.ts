/**
 * What the SLS service answers about its data: never a password hash, PIN verifier, code hash or
 * activation key. Every answer of the API is built from these.
 */
import { bestDevice, isValid, LEVEL, redundantDevices, sharedWith } from '../../firmware/sls/devices.ts';
import { LIMITS, usage, type Limit, type Usage } from '../../firmware/sls/limits.ts';
import { DEVICE_NAMES, type Account, type Device, type DeviceKind, type Sharing } from '../../firmware/sls/model.ts';
import { LOCK_AFTER } from './errors.ts';
import type { Phone, StoredUser, StoredWithdrawal } from './store.ts';

export interface DeviceView {
  id: string;
  kind: DeviceKind;
  name: string;
  level: number;
  owner: string;
  /** active, redundant (a shared device is used instead), expired, revoked, or removed (its token was deleted) */
  status: 'active' | 'redundant' | 'expired' | 'revoked' | 'removed';
  tokenId: string | null;
  activationId: string | null;
  issuedAt: number;
  expiresAt: number | null;
}

export function deviceView(d: Device, now: number, redundant = false): DeviceView {
  const status = d.status !== 'active' ? d.status : !isValid(d, now) ? 'expired' : redundant ? 'redundant' : 'active';
  return {
    id: d.id,
    kind: d.kind,
    name: DEVICE_NAMES[d.kind],
    level: LEVEL[d.kind],
    owner: d.owner,
    status,
    tokenId: d.tokenId ?? null,
    activationId: d.activationId ?? null,
    issuedAt: d.issuedAt,
    expiresAt: d.expiresAt ?? null,
  };
}

export interface UserView {
  username: string;
  accountId: string;
  entityId: string;
  primary: boolean;
  /** Who may change the account's security settings. */
  primaryUser: string;
  optedOut: boolean;
  phones: string[];
  failures: number;
  locked: boolean;
  devices: DeviceView[];
  /** Devices shared with this user (they make the own ones redundant). */
  shared: DeviceView[];
  best: DeviceView | null;
  limits: { device: DeviceKind | 'none'; limit: Limit; usage: Usage };
}

/** The device kind whose limits apply: the best usable one, none when opted out or without. */
export function limitKind(
  username: string,
  account: Account,
  devices: readonly Device[],
  sharings: readonly Sharing[],
  now: number,
): DeviceKind | 'none' {
  if (account.optedOut) return 'none';
  return bestDevice(username, devices, sharings, now)?.kind ?? 'none';
}

export function userView(
  u: StoredUser,
  account: Account,
  devices: readonly Device[],
  sharings: readonly Sharing[],
  history: readonly StoredWithdrawal[],
  now: number,
): UserView {
  const redundant = new Set(redundantDevices(u.username, devices, sharings, now).map((d) => d.id));
  const best = bestDevice(u.username, devices, sharings, now);
  const kind = limitKind(u.username, account, devices, sharings, now);
  return {
    username: u.username,
    accountId: u.accountId,
    entityId: u.entityId,
    primary: account.primaryUser === u.username,
    primaryUser: account.primaryUser,
    optedOut: account.optedOut,
    phones: u.phones,
    failures: u.failures,
    locked: u.failures >= LOCK_AFTER,
    devices: devices.filter((d) => d.owner === u.username).map((d) => deviceView(d, now, redundant.has(d.id))),
    shared: sharedWith(u.username, devices, sharings, now).map((d) => deviceView(d, now)),
    best: best ? deviceView(best, now) : null,
    limits: { device: kind, limit: LIMITS[kind], usage: usage(history, now) },
  };
}

export function phoneView(p: Phone) {
  return {
    id: p.id,
    profile: p.profile,
    network: p.network,
    app: {
      installed: p.app.installed,
      pinSet: p.app.pin !== null,
      pinTriesLeft: p.app.pinTriesLeft,
      useBiometrics: p.app.useBiometrics,
      users: p.app.users.map((u) => ({ username: u.username, activationId: u.activationId, active: u.active })),
      recoverable: p.app.recoverable,
    },
  };
}
export type PhoneView = ReturnType<typeof phoneView>;
