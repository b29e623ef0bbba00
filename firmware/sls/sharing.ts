/**
 * Device sharing (help page KB2481). A user asks to use another user's device; it is granted only
 * if (a) both users belong to the same entity or to entities with the same identification data,
 * (b) neither holds a temporary device, and (c) the device is the most secure of all the devices
 * of both users (any of equal level will do). Same entity: approved at once; different entities
 * with the same data: the request waits for a compliance decision (our choice, docs/sls.md).
 */
import { isTemporary, LEVEL, ownDevices, sharedWith } from './devices.ts';
import { sameIdentification } from './identification.ts';
import type { Device, Entity, Sharing, User } from './model.ts';

export const SHARING_ERRORS = {
  'different-identification': 'Different identification information',
  'temporary-device':
    'Device sharing is not possible while either user holds a temporary device (Temporary Code or Online Security Code Card)',
  'less-secure-device': 'Less secure device',
} as const;

export type SharingRefusal =
  | keyof typeof SHARING_ERRORS
  | 'same-user'
  | 'not-owner'
  | 'device-not-valid'
  | 'already-shared'
  | 'requester-uses-shared'
  | 'owner-uses-shared';

export type SharingDecision = { ok: true; status: 'active' | 'pending' } | { ok: false; code: SharingRefusal; message: string };

export interface SharingFacts {
  requester: User;
  owner: User;
  requesterEntity: Entity;
  ownerEntity: Entity;
  device: Device;
  devices: readonly Device[];
  sharings: readonly Sharing[];
  now: number;
}

const refuse = (code: SharingRefusal, message: string): SharingDecision => ({ ok: false, code, message });

/** Decides a sharing request; the owner's credentials and device response are checked before. */
export function decideSharing(f: SharingFacts): SharingDecision {
  const { requester, owner, device, devices, sharings, now } = f;
  if (requester.username === owner.username) return refuse('same-user', 'a user cannot share a device with themselves');
  if (device.owner !== owner.username) return refuse('not-owner', `device ${device.id} does not belong to ${owner.username}`);
  if (device.status !== 'active' || (device.expiresAt !== undefined && now >= device.expiresAt))
    return refuse('device-not-valid', `device ${device.id} is not active`);
  const open = sharings.find(
    (s) => s.deviceId === device.id && s.requester === requester.username && (s.status === 'active' || s.status === 'pending'),
  );
  if (open) return refuse('already-shared', `device ${device.id} is already shared with ${requester.username} (${open.status})`);
  if (sharings.some((s) => s.requester === requester.username && (s.status === 'active' || s.status === 'pending')))
    return refuse('requester-uses-shared', `${requester.username} already uses (or waits for) a shared device; cancel that sharing first`);
  if (sharedWith(owner.username, devices, sharings, now).length > 0)
    return refuse('owner-uses-shared', `${owner.username} uses a device shared by someone else; share that one instead`);
  // (a) identification
  const sameEntity = requester.entityId === owner.entityId;
  if (!sameEntity && !sameIdentification(f.requesterEntity.identification, f.ownerEntity.identification))
    return refuse('different-identification', SHARING_ERRORS['different-identification']);
  // (b) temporary devices
  const mine = ownDevices(requester.username, devices, now);
  const theirs = ownDevices(owner.username, devices, now);
  if ([...mine, ...theirs].some((d) => isTemporary(d.kind))) return refuse('temporary-device', SHARING_ERRORS['temporary-device']);
  // (c) the most secure of the candidates
  const best = Math.max(...[...mine, ...theirs].map((d) => LEVEL[d.kind]));
  if (LEVEL[device.kind] < best) return refuse('less-secure-device', SHARING_ERRORS['less-secure-device']);
  return { ok: true, status: sameEntity ? 'active' : 'pending' };
}
