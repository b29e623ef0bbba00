/**
 * Security levels and the devices a user can use now: own devices, and devices shared with the
 * user, which make the user's own devices redundant (kept, but not used) until the sharing ends.
 */
import type { Device, DeviceKind, Sharing } from './model.ts';

export const DAY_MS = 86_400_000;

/** Higher is more secure. Temporary devices rank below every permanent one. */
export const LEVEL: Record<DeviceKind, number> = { dscplus: 4, dsc: 3, ibkey: 2, card: 1, 'online-card': 0, 'temp-code': 0 };

/** Validity of the temporary devices: Temporary Code 2 days, Online Security Code Card 21 days. */
export const TEMPORARY_DAYS: Partial<Record<DeviceKind, number>> = { 'temp-code': 2, 'online-card': 21 };

export function isTemporary(kind: DeviceKind): boolean {
  return TEMPORARY_DAYS[kind] !== undefined;
}

/** Active, and for a temporary device not yet expired at `now`. */
export function isValid(d: Device, now: number): boolean {
  return d.status === 'active' && (d.expiresAt === undefined || now < d.expiresAt);
}

/** The valid devices `username` owns. */
export function ownDevices(username: string, devices: readonly Device[], now: number): Device[] {
  return devices.filter((d) => d.owner === username && isValid(d, now));
}

/** The devices shared with `username` by an active sharing (still valid). */
export function sharedWith(username: string, devices: readonly Device[], sharings: readonly Sharing[], now: number): Device[] {
  const ids = new Set(sharings.filter((s) => s.requester === username && s.status === 'active').map((s) => s.deviceId));
  return devices.filter((d) => ids.has(d.id) && isValid(d, now));
}

/**
 * What `username` logs in with: a shared device when there is one (own devices are redundant
 * then), else the own devices. Strongest first; ties by earliest issue.
 */
export function usableDevices(username: string, devices: readonly Device[], sharings: readonly Sharing[], now: number): Device[] {
  const shared = sharedWith(username, devices, sharings, now);
  const list = shared.length > 0 ? shared : ownDevices(username, devices, now);
  return [...list].sort((a, b) => LEVEL[b.kind] - LEVEL[a.kind] || a.issuedAt - b.issuedAt || a.id.localeCompare(b.id));
}

/** The user's own devices made redundant by a device shared with them. */
export function redundantDevices(username: string, devices: readonly Device[], sharings: readonly Sharing[], now: number): Device[] {
  return sharedWith(username, devices, sharings, now).length > 0 ? ownDevices(username, devices, now) : [];
}

/** The strongest usable device, or null (none at all). */
export function bestDevice(username: string, devices: readonly Device[], sharings: readonly Sharing[], now: number): Device | null {
  return usableDevices(username, devices, sharings, now)[0] ?? null;
}
