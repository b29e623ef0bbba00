/**
 * Device sharing (help page KB2481; firmware/sls/sharing.ts, docs/sls.md "Sharing") in the cases
 * around the three rules: a temporary device that is still valid is refused for being temporary,
 * other users' sharings of the same device do not block a request, a requester already using a
 * shared device is refused whatever its state, and the refusals before the rules say what to do.
 */
import { describe, expect, it } from 'vitest';
import type { Device, Entity, Sharing, User } from '../../firmware/sls/model.ts';
import { decideSharing, SHARING_ERRORS } from '../../firmware/sls/sharing.ts';
import { dev, ID, NOW, sharing } from './fixtures.ts';

const ENTITY: Entity = { id: 'e1', name: 'e1', identification: ID };
const user = (username: string): User => ({ username, accountId: `a-${username}`, entityId: 'e1', phones: [], failures: 0 });
/** `req` asks to share `device` of `own`, both of entity e1. */
const decide = (device: Device, devices: Device[], sharings: Sharing[] = [], requester = 'req', owner = 'own') =>
  decideSharing({
    requester: user(requester),
    owner: user(owner),
    requesterEntity: ENTITY,
    ownerEntity: ENTITY,
    device,
    devices,
    sharings,
    now: NOW,
  });

describe('sharing: temporary devices still valid', () => {
  it('asking to share a valid temporary device is refused because it is temporary, not as invalid', () => {
    for (const kind of ['temp-code', 'online-card'] as const) {
      const t = dev('t', 'own', kind, { expiresAt: NOW + 1 });
      expect(decide(t, [t]), kind).toEqual({ ok: false, code: 'temporary-device', message: SHARING_ERRORS['temporary-device'] });
    }
  });
});

describe("sharing: other users' sharings", () => {
  const d = dev('d', 'own', 'dsc');

  it("another user's open sharing of the same device does not block this request", () => {
    for (const status of ['active', 'pending'] as const)
      expect(decide(d, [d], [sharing('d', 'own', 'third', status)]), status).toEqual({ ok: true, status: 'active' });
  });

  it('a requester who already uses a shared device, or waits for one, is told to cancel it first', () => {
    const other = dev('o', 'third', 'dscplus');
    for (const status of ['active', 'pending'] as const)
      expect(decide(d, [d, other], [sharing('o', 'third', 'req', status)]), status).toEqual({
        ok: false,
        code: 'requester-uses-shared',
        message: 'req already uses (or waits for) a shared device; cancel that sharing first',
      });
  });

  it('the same request again names the state it is in; a rejected one may be asked again', () => {
    expect(decide(d, [d], [sharing('d', 'own', 'req', 'active')])).toEqual({
      ok: false,
      code: 'already-shared',
      message: 'device d is already shared with req (active)',
    });
    expect(decide(d, [d], [sharing('d', 'own', 'req', 'rejected')])).toEqual({ ok: true, status: 'active' });
  });

  it('an owner who uses a device shared by someone else is told to share that one', () => {
    const other = dev('o', 'third', 'dscplus');
    expect(decide(d, [d, other], [sharing('o', 'third', 'own', 'active')])).toEqual({
      ok: false,
      code: 'owner-uses-shared',
      message: 'own uses a device shared by someone else; share that one instead',
    });
    // A pending sharing of the owner's is not in use yet.
    expect(decide(d, [d, other], [sharing('o', 'third', 'own', 'pending')])).toEqual({ ok: true, status: 'active' });
  });

  it('a user cannot share with themselves', () => {
    expect(decide(d, [d], [], 'own', 'own')).toEqual({
      ok: false,
      code: 'same-user',
      message: 'a user cannot share a device with themselves',
    });
  });
});

describe('sharing: the level rule over the devices both users have', () => {
  it('a requester without devices can share the only device of the owner', () => {
    const card = dev('c', 'own', 'card');
    expect(decide(card, [card])).toEqual({ ok: true, status: 'active' });
  });

  it("the owner's own stronger device makes a weaker one not shareable", () => {
    const card = dev('c', 'own', 'card');
    expect(decide(card, [card, dev('k', 'own', 'ibkey')])).toMatchObject({ ok: false, code: 'less-secure-device' });
    expect(decide(card, [card, dev('k', 'own', 'ibkey', { status: 'revoked' })])).toEqual({ ok: true, status: 'active' });
  });
});
