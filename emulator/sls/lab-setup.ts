/**
 * The lab's set-up in the Secure Login System service: entities, users and their views, the
 * operator's unlock, devices (hosted tokens linked to users, Temporary Codes, revoking, and the
 * end of devices whose token was deleted) and deposits. Every change is one store transaction.
 */
import { InputError } from '../../firmware/errors.ts';
import { DAY_MS, TEMPORARY_DAYS } from '../../firmware/sls/devices.ts';
import { checkIdentification } from '../../firmware/sls/identification.ts';
import type { Account, Device, DeviceKind, Entity, Identification } from '../../firmware/sls/model.ts';
import { randomString } from '../../firmware/rng.ts';
import { SlsError } from './errors.ts';
import { killPoint } from './kill-points.ts';
import { hashPassword } from './passwords.ts';
import { SlsServiceBase } from './service-base.ts';
import type { SlsTx, StoredUser } from './store.ts';
import { deviceView, userView, type UserView } from './views.ts';

const NAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;

export class SlsLabSetup extends SlsServiceBase {
  async createEntity(input: { id?: string; name: string; identification: Identification; address?: Entity['address'] }): Promise<Entity> {
    try {
      checkIdentification(input.identification);
    } catch (err) {
      if (err instanceof InputError) throw new SlsError(400, 'bad-identification', `field "${err.part}": ${err.message}`);
      throw err;
    }
    const e: Entity = {
      id: input.id ?? this.newId('ent'),
      name: input.name,
      identification: input.identification,
      ...(input.address ? { address: input.address } : {}),
    };
    return this.tx(async (tx) => {
      if (await tx.entity(e.id)) throw new SlsError(409, 'exists', `field "id": an entity "${e.id}" exists already`);
      await tx.putEntity(e);
      return e;
    });
  }

  async createUser(input: {
    username: string;
    password: string;
    entityId: string;
    accountId?: string;
    phones?: string[];
  }): Promise<UserView> {
    if (!NAME.test(input.username))
      throw new SlsError(400, 'bad-username', 'field "username": 2 to 32 lowercase letters, digits, dots, dashes or underscores');
    const passwordHash = await hashPassword(input.password, this.cost);
    return this.tx(async (tx) => {
      if (await tx.user(input.username)) throw new SlsError(409, 'exists', `field "username": a user "${input.username}" exists already`);
      await this.entityOf(tx, input.entityId);
      let account = input.accountId ? await tx.account(input.accountId) : null;
      if (!account) {
        account = { id: input.accountId ?? this.newId('acct'), primaryUser: input.username, optedOut: false, depositBanks: [] };
      }
      await tx.putAccount(account);
      const u: StoredUser = {
        username: input.username,
        accountId: account.id,
        entityId: input.entityId,
        phones: input.phones ?? [],
        failures: 0,
        passwordHash,
        createdAt: this.now(),
      };
      await tx.putUser(u);
      return this.viewIn(tx, u.username);
    });
  }

  async viewIn(tx: SlsTx, username: string): Promise<UserView> {
    const u = await this.userOf(tx, username);
    const now = this.now();
    return userView(
      u,
      await this.accountOf(tx, u.accountId),
      await tx.devices(),
      await tx.sharings(),
      await tx.withdrawals(username, now - 14 * DAY_MS),
      now,
    );
  }

  user(username: string): Promise<UserView> {
    return this.tx((tx) => this.viewIn(tx, username));
  }

  users(): Promise<UserView[]> {
    return this.tx(async (tx) => Promise.all((await tx.users()).map((u) => this.viewIn(tx, u.username))));
  }

  entities(): Promise<Entity[]> {
    return this.tx((tx) => tx.entities());
  }

  /** The operator gives a locked user their logins back. */
  async unlock(username: string): Promise<UserView> {
    return this.tx(async (tx) => {
      const u = await this.userOf(tx, username);
      await tx.putUser({ ...u, failures: 0 });
      return this.viewIn(tx, username);
    });
  }

  /**
   * Links a device to a user: a hosted token (dscplus, dsc, card, online-card) by its id, or a
   * Temporary Code (its code is in the answer, once). IB Key devices come from activation.
   */
  async addDevice(
    username: string,
    input: { kind: DeviceKind; tokenId?: string },
  ): Promise<{ device: ReturnType<typeof deviceView>; code?: string }> {
    const now = this.now();
    if (input.kind === 'ibkey')
      throw new SlsError(400, 'bad-kind', 'field "kind": an IB Key device is added by activating IB Key on a phone');
    let device: Device;
    let code: string | undefined;
    if (input.kind === 'temp-code') {
      if (input.tokenId !== undefined) throw new SlsError(400, 'bad-token', 'field "tokenId": a Temporary Code has no token');
      code = randomString(this.rng, '0123456789', 8);
      device = {
        id: this.newId('dev'),
        kind: 'temp-code',
        owner: username,
        status: 'active',
        issuedAt: now,
        expiresAt: now + TEMPORARY_DAYS['temp-code']! * DAY_MS,
        codeHash: await hashPassword(code, this.cost),
      };
    } else {
      if (!input.tokenId)
        throw new SlsError(400, 'missing-token', `field "tokenId": a ${input.kind} device is a hosted token; give its id`);
      const kind = this.gate.kind(input.tokenId);
      if (kind === null) throw new SlsError(404, 'no-token', `field "tokenId": no hosted token "${input.tokenId}"`);
      if (kind !== input.kind)
        throw new SlsError(400, 'wrong-kind', `field "tokenId": token "${input.tokenId}" is a ${kind}, not a ${input.kind}`);
      const expires = input.kind === 'online-card' ? this.gate.expiresAt(input.tokenId) : null;
      device = {
        id: this.newId('dev'),
        kind: input.kind,
        owner: username,
        status: 'active',
        tokenId: input.tokenId,
        issuedAt: now,
        ...(expires !== null ? { expiresAt: expires } : {}),
      };
    }
    return this.tx(async (tx) => {
      await this.userOf(tx, username);
      if (device.tokenId) {
        const taken = (await tx.devices()).find((d) => d.tokenId === device.tokenId && d.status === 'active');
        if (taken)
          throw new SlsError(
            409,
            'token-taken',
            `field "tokenId": token "${device.tokenId}" is already device ${taken.id} of ${taken.owner} (share it instead)`,
          );
      }
      await tx.putDevice(device);
      return { device: deviceView(device, now), ...(code ? { code } : {}) };
    });
  }

  async revokeDevice(id: string): Promise<ReturnType<typeof deviceView>> {
    return this.tx(async (tx) => {
      const d = await tx.device(id);
      if (!d) throw new SlsError(404, 'no-device', `no device "${id}"`);
      const next: Device = { ...d, status: 'revoked' };
      await tx.putDevice(next);
      for (const s of await tx.sharings())
        if (s.deviceId === id && (s.status === 'active' || s.status === 'pending'))
          await tx.putSharing({ ...s, status: 'cancelled', decidedAt: this.now() });
      return deviceView(next, this.now());
    });
  }

  /**
   * A hosted token was deleted (the host's 'removed' event): each device linked to it ends as
   * `removed`, and its open sharings are cancelled, in one transaction. The users' best device and
   * limits follow at once (they are worked out from the active devices at every look). The rows
   * stay, so the history of withdrawals and sharings keeps its links. docs/sls.md, "Devices".
   */
  async tokenRemoved(tokenId: string): Promise<Device[]> {
    const now = this.now();
    const ended = await this.tx(async (tx) => {
      const out: Device[] = [];
      for (const d of await tx.devices()) {
        if (d.tokenId !== tokenId || d.status !== 'active') continue;
        const next: Device = { ...d, status: 'removed' };
        await tx.putDevice(next);
        killPoint('token-removed:device-written');
        for (const s of await tx.sharings())
          if (s.deviceId === d.id && (s.status === 'active' || s.status === 'pending'))
            await tx.putSharing({ ...s, status: 'cancelled', decidedAt: now });
        out.push(next);
      }
      return out;
    });
    for (const d of ended)
      this.emit('device-removed', {
        username: d.owner,
        deviceId: d.id,
        deviceKind: d.kind,
        tokenId,
        message: `token ${tokenId} was deleted`,
      });
    return ended;
  }

  /** Ends the devices of every hosted token that no longer exists (see tokenRemoved). */
  async forgetMissingTokens(exists: (tokenId: string) => boolean): Promise<string[]> {
    const devices = await this.tx((tx) => tx.devices());
    const gone = [...new Set(devices.filter((d) => d.status === 'active' && d.tokenId && !exists(d.tokenId)).map((d) => d.tokenId!))];
    for (const id of gone) await this.tokenRemoved(id);
    return gone;
  }

  /** Records that a deposit came from `bank` (it may then receive exceptional withdrawals). */
  async deposit(accountId: string, bank: string): Promise<Account> {
    return this.tx(async (tx) => {
      const a = await this.accountOf(tx, accountId);
      const next = a.depositBanks.includes(bank) ? a : { ...a, depositBanks: [...a.depositBanks, bank] };
      await tx.putAccount(next);
      return next;
    });
  }
}
