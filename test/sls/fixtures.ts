/**
 * Records the SLS rule tests build their cases from (firmware/sls/model.ts): one identification, a
 * Wednesday noon, and devices and sharings with only the fields a case cares about spelled out.
 */
import type { Device, DeviceKind, Identification, Sharing } from '../../firmware/sls/model.ts';

export const ID: Identification = {
  dateOfBirth: '1980-04-17',
  citizenship: 'GB',
  residence: 'GB',
  idType: 'passport',
  idNumber: 'AB123456',
};
/** Wednesday 10 June 2026, 12:00 UTC: business days on both sides. */
export const NOW = Date.UTC(2026, 5, 10, 12);

/** An active device of `owner`, issued at time 1. */
export const dev = (id: string, owner: string, kind: DeviceKind, extra: Partial<Device> = {}): Device => ({
  id,
  kind,
  owner,
  status: 'active',
  issuedAt: 1,
  ...extra,
});

/** A sharing of `deviceId` from `owner` to `requester`, made at time 0. */
export const sharing = (deviceId: string, owner: string, requester: string, status: Sharing['status'] = 'active'): Sharing => ({
  id: `s-${deviceId}-${requester}`,
  deviceId,
  owner,
  requester,
  status,
  createdAt: 0,
});
