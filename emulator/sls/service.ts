/**
 * The Secure Login System service: the rules of firmware/sls/ over the data in an SlsStore, with
 * the hosted tokens reached through a TokenGate. This file holds the lab's set-up (entities,
 * users, devices, deposits), sessions, opt-out, trade permission, withdrawals and sharing; login
 * and IB Key are in login.ts and ibkey.ts. Every change is one store transaction.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../firmware/bytes.ts';
import { InputError } from '../../firmware/errors.ts';
import { checkOcraResponse, issueOcraChallenge, newOcraVerifier } from '../../firmware/verifier/ocra-verifier.ts';
import { IBKEY_SUITE } from '../../firmware/ibkey/app.ts';
import { DAY_MS, TEMPORARY_DAYS } from '../../firmware/sls/devices.ts';
import { checkIdentification } from '../../firmware/sls/identification.ts';
import { decideWithdrawal } from '../../firmware/sls/limits.ts';
import type { Account, Device, DeviceKind, Entity, Identification, Sharing } from '../../firmware/sls/model.ts';
import { decideOptIn, decideOptOut, tradePermission, type Market } from '../../firmware/sls/opt-out.ts';
import { decideSharing } from '../../firmware/sls/sharing.ts';
import { randomString, type Rng } from '../../firmware/rng.ts';
import { SlsError } from './errors.ts';
import { slsEvent, type SlsEvent, type SlsEventFields, type SlsEventName } from './events.ts';
import { killPoint } from './kill-points.ts';
import type { TokenGate } from './gate.ts';
import { DEFAULT_COST, hashPassword, verifyPassword, type ScryptCost } from './passwords.ts';
import type { SlsStore, SlsTx, StoredUser } from './store.ts';
import { deviceView, limitKind, userView, type UserView } from './views.ts';

export interface SlsOptions {
  store: SlsStore;
  gate: TokenGate;
  now: () => number;
  rng: Rng;
  scryptCost?: ScryptCost;
  /** Which sharings wait for compliance: default, those between different entities. */
  needsCompliance?: (s: { sameEntity: boolean }) => boolean;
  /** Where the service's events go (the host's event stream); called after each commit. */
  emit?: (e: SlsEvent) => void;
}

const SESSION_MS = 8 * 3600_000;
const NAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;

export class SlsService {
  readonly store: SlsStore;
  readonly gate: TokenGate;
  readonly now: () => number;
  readonly rng: Rng;
  readonly cost: ScryptCost;
  private readonly emitTo: (e: SlsEvent) => void;

  constructor(o: SlsOptions) {
    this.store = o.store;
    this.gate = o.gate;
    this.now = o.now;
    this.rng = o.rng;
    this.cost = o.scryptCost ?? DEFAULT_COST;
    this.emitTo = o.emit ?? (() => {});
  }

  /** Tells the event stream (only what slsEvent lets through: never a secret). */
  emit(event: SlsEventName, fields: SlsEventFields = {}): void {
    try {
      this.emitTo(slsEvent(event, this.now(), fields));
    } catch {
      // a subscriber's failure is not the service's
    }
  }

  newId(prefix: string): string {
    return `${prefix}-${toHex(this.rng(6))}`;
  }

  tx<T>(fn: (tx: SlsTx) => Promise<T>): Promise<T> {
    return this.store.transaction(fn);
  }

  // --- look-ups that refuse with a clear message ---

  async userOf(tx: SlsTx, username: string, field = 'username'): Promise<StoredUser> {
    const u = await tx.user(username);
    if (!u) throw new SlsError(404, 'no-user', `${field}: no user "${username}"`);
    return u;
  }

  async accountOf(tx: SlsTx, id: string): Promise<Account> {
    const a = await tx.account(id);
    if (!a) throw new SlsError(404, 'no-account', `no account "${id}"`);
    return a;
  }

  async entityOf(tx: SlsTx, id: string, field = 'entityId'): Promise<Entity> {
    const e = await tx.entity(id);
    if (!e) throw new SlsError(404, 'no-entity', `${field}: no entity "${id}"`);
    return e;
  }

  /**
   * The user of a session from a completed login. Sessions are kept in the database by the SHA-256
   * of their token, so a restart keeps them until they expire (8 hours of the lab clock); an
   * expired one is removed when it is next used.
   */
  async sessionUser(session: string): Promise<string> {
    const hash = sessionHash(session);
    const now = this.now();
    const s = await this.tx(async (tx) => {
      const found = await tx.session(hash);
      if (found && found.expiresAt <= now) await tx.deleteSession(hash);
      return found;
    });
    if (!s || s.expiresAt <= now) throw new SlsError(401, 'no-session', 'field "session": no such session (log in again)');
    return s.username;
  }

  /** A new session of `username` (expired ones of anyone are cleared on the way). */
  async openSession(username: string): Promise<string> {
    return this.tx((tx) => this.openSessionIn(tx, username));
  }

  /** openSession inside the caller's transaction (a login's end and its session land together). */
  async openSessionIn(tx: SlsTx, username: string): Promise<string> {
    const token = toHex(this.rng(16));
    const now = this.now();
    await tx.deleteExpiredSessions(now);
    await tx.putSession({ tokenHash: sessionHash(token), username, createdAt: now, expiresAt: now + SESSION_MS });
    return token;
  }

  /** Ends a session (logout); an unknown or expired one is refused like everywhere else. */
  async logout(session: string): Promise<{ username: string; loggedOut: true }> {
    const username = await this.sessionUser(session);
    await this.tx((tx) => tx.deleteSession(sessionHash(session)));
    this.emit('logout', { username });
    return { username, loggedOut: true };
  }

  /** Checks a password; a wrong one counts as a failed login of that user. */
  async checkPassword(username: string, password: string, field = 'password'): Promise<StoredUser> {
    const u = await this.tx((tx) => this.userOf(tx, username));
    const ok = await verifyPassword(password, u.passwordHash);
    if (!ok) {
      await this.countFailure(username);
      throw new SlsError(403, 'wrong-password', `field "${field}": wrong username or password`);
    }
    return u;
  }

  async countFailure(username: string, reset = false): Promise<void> {
    await this.tx(async (tx) => {
      const u = await tx.user(username);
      if (u) await tx.putUser({ ...u, failures: reset ? 0 : u.failures + 1 });
    });
  }

  // --- the lab's set-up ---

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

  // --- opt-out (KB2545) and trading ---

  async optOut(session: string, acknowledge: boolean): Promise<UserView> {
    const username = await this.sessionUser(session);
    const r = await this.tx(async (tx) => {
      const u = await this.userOf(tx, username);
      const a = await this.accountOf(tx, u.accountId);
      const d = decideOptOut(u, a, acknowledge);
      if (!d.ok) throw new SlsError(d.code === 'not-primary' ? 403 : 409, d.code, d.message);
      await tx.putAccount({ ...a, optedOut: true });
      return this.viewIn(tx, username);
    });
    this.emit('opt-out', { username, accountId: r.accountId });
    return r;
  }

  async optIn(session: string): Promise<UserView> {
    const username = await this.sessionUser(session);
    const r = await this.tx(async (tx) => {
      const u = await this.userOf(tx, username);
      const a = await this.accountOf(tx, u.accountId);
      const d = decideOptIn(u, a);
      if (!d.ok) throw new SlsError(d.code === 'not-primary' ? 403 : 409, d.code, d.message);
      await tx.putAccount({ ...a, optedOut: false });
      return this.viewIn(tx, username);
    });
    this.emit('opt-in', { username, accountId: r.accountId });
    return r;
  }

  async trade(username: string, market: Market): Promise<{ username: string; market: Market; allowed: boolean; reason: string }> {
    return this.tx(async (tx) => {
      const u = await this.userOf(tx, username);
      return { username, market, ...tradePermission(await this.accountOf(tx, u.accountId), market) };
    });
  }

  // --- withdrawals ---

  async withdraw(session: string, input: { amount: number; bank: string; requestId?: string }) {
    const username = await this.sessionUser(session);
    const cents = Math.round(input.amount * 100);
    if (!Number.isFinite(input.amount) || Math.abs(cents - input.amount * 100) > 1e-6 || cents <= 0)
      throw new SlsError(400, 'bad-amount', 'field "amount": a positive number of USD with at most 2 decimals');
    const r = await this.tx(async (tx) => {
      if (input.requestId) {
        const done = await tx.withdrawalByRequest(input.requestId);
        if (done) {
          if (done.username !== username || done.amount !== cents || done.bank !== input.bank)
            throw new SlsError(409, 'request-reused', 'field "requestId": used already for another withdrawal');
          return { accepted: true, exceptional: done.exceptional, withdrawal: done, repeated: true, user: await this.viewIn(tx, username) };
        }
      }
      const u = await this.userOf(tx, username);
      const a = await this.accountOf(tx, u.accountId);
      const now = this.now();
      const kind = limitKind(username, a, await tx.devices(), await tx.sharings(), now);
      const history = await tx.withdrawals(username, now - 14 * DAY_MS);
      const d = decideWithdrawal(kind, history, cents, input.bank, a.depositBanks, now);
      if (!d.ok) return { refused: new SlsError(d.code === 'bad-amount' ? 400 : 403, d.code, d.message) };
      killPoint('withdraw:checked');
      const w = {
        id: this.newId('wd'),
        requestId: input.requestId ?? null,
        username,
        accountId: a.id,
        amount: cents,
        bank: input.bank,
        at: now,
        exceptional: d.exceptional,
      };
      await tx.addWithdrawal(w);
      killPoint('withdraw:written');
      return { accepted: true, exceptional: d.exceptional, withdrawal: w, repeated: false, user: await this.viewIn(tx, username) };
    });
    if ('refused' in r && r.refused) {
      this.emit('withdrawal-refused', {
        username,
        amount: cents / 100,
        bank: input.bank,
        reason: r.refused.code,
        message: r.refused.message,
      });
      throw r.refused;
    }
    if (!r.repeated)
      this.emit(r.exceptional ? 'withdrawal-exceptional' : 'withdrawal-accepted', {
        username,
        accountId: r.withdrawal.accountId,
        amount: cents / 100,
        bank: input.bank,
      });
    return r;
  }

  // --- sharing (KB2481) ---

  /**
   * Shares `deviceId` of `owner` with the session's user. The owner's password and a response of
   * the device (to a challenge from shareChallenge, or a DSC passcode) are checked first.
   */
  async share(
    session: string,
    input: { owner: string; ownerPassword: string; deviceId: string; challenge?: string; response: string },
  ): Promise<Sharing> {
    const requester = await this.sessionUser(session);
    this.emit('sharing-requested', { requester, owner: input.owner, deviceId: input.deviceId });
    try {
      return await this.shareChecked(requester, input);
    } catch (err) {
      if (err instanceof SlsError)
        this.emit('sharing-refused', { requester, owner: input.owner, deviceId: input.deviceId, reason: err.code, message: err.message });
      throw err;
    }
  }

  private async shareChecked(
    requester: string,
    input: { owner: string; ownerPassword: string; deviceId: string; challenge?: string; response: string },
  ): Promise<Sharing> {
    await this.checkPassword(input.owner, input.ownerPassword, 'ownerPassword');
    const device = await this.tx(async (tx) => {
      const d = await tx.device(input.deviceId);
      if (!d || d.owner !== input.owner)
        throw new SlsError(404, 'no-device', `field "deviceId": ${input.owner} has no device "${input.deviceId}"`);
      return d;
    });
    await this.checkDeviceAnswer(device, { challenge: input.challenge, response: input.response }, 'response');
    const s = await this.tx(async (tx) => {
      const facts = await this.sharingFacts(tx, requester, input.owner, input.deviceId);
      const d = decideSharing(facts);
      if (!d.ok) throw new SlsError(d.code === 'already-shared' || d.code === 'requester-uses-shared' ? 409 : 403, d.code, d.message);
      killPoint('share:checked');
      const s: Sharing = {
        id: this.newId('shr'),
        deviceId: input.deviceId,
        owner: input.owner,
        requester,
        status: d.status,
        createdAt: this.now(),
        ...(d.status === 'active' ? { decidedAt: this.now() } : {}),
      };
      await tx.putSharing(s);
      killPoint('share:written');
      return s;
    });
    this.emit(s.status === 'active' ? 'sharing-granted' : 'sharing-pending', {
      sharingId: s.id,
      requester,
      owner: s.owner,
      deviceId: s.deviceId,
    });
    return s;
  }

  async sharingFacts(tx: SlsTx, requester: string, owner: string, deviceId: string) {
    const r = await this.userOf(tx, requester);
    const o = await this.userOf(tx, owner, 'owner');
    const device = await tx.device(deviceId);
    if (!device) throw new SlsError(404, 'no-device', `field "deviceId": no device "${deviceId}"`);
    return {
      requester: r,
      owner: o,
      requesterEntity: await this.entityOf(tx, r.entityId),
      ownerEntity: await this.entityOf(tx, o.entityId),
      device,
      devices: await tx.devices(),
      sharings: await tx.sharings(),
      now: this.now(),
    };
  }

  /** A challenge for the owner's device, to answer in share(). */
  async shareChallenge(owner: string, deviceId: string): Promise<{ challenge: string | null; indexes?: [number, number] }> {
    const d = await this.tx(async (tx) => tx.device(deviceId));
    if (!d || d.owner !== owner) throw new SlsError(404, 'no-device', `field "deviceId": ${owner} has no device "${deviceId}"`);
    return this.issueFor(d);
  }

  sharings(status?: Sharing['status']): Promise<Sharing[]> {
    return this.tx(async (tx) => (await tx.sharings()).filter((s) => !status || s.status === status));
  }

  /** The operator's compliance decision; an approval re-checks the rules as they are now. */
  async decide(id: string, approve: boolean): Promise<Sharing> {
    const r = await this.tx(async (tx) => {
      const s = await tx.sharing(id);
      if (!s) throw new SlsError(404, 'no-sharing', `no sharing "${id}"`);
      if (s.status !== 'pending') throw new SlsError(409, 'not-pending', `sharing ${id} is ${s.status}, not pending`);
      let status: Sharing['status'] = approve ? 'active' : 'rejected';
      let reason: string | undefined;
      if (approve) {
        const others = (await tx.sharings()).filter((x) => x.id !== id);
        const facts = { ...(await this.sharingFacts(tx, s.requester, s.owner, s.deviceId)), sharings: others };
        const d = decideSharing(facts);
        if (!d.ok) {
          status = 'rejected';
          reason = d.message;
        }
      }
      const next: Sharing = { ...s, status, decidedAt: this.now() };
      await tx.putSharing(next);
      killPoint('approve:written');
      return { next, reason };
    });
    const { next: s, reason } = r;
    this.emit(s.status === 'active' ? 'sharing-approved' : 'sharing-rejected', {
      sharingId: s.id,
      requester: s.requester,
      owner: s.owner,
      deviceId: s.deviceId,
      ...(reason ? { reason: 'rules-changed' } : {}),
    });
    // An approval the rules no longer allow is rejected (and stays so), and the operator is told why.
    if (reason) throw new SlsError(409, 'rules-changed', `sharing ${id} rejected: ${reason}`);
    return s;
  }

  /** Ends a sharing (requester or owner); the requester's own devices are active again. */
  async cancelSharing(session: string, id: string): Promise<Sharing> {
    const username = await this.sessionUser(session);
    const s = await this.tx(async (tx) => {
      const s = await tx.sharing(id);
      if (!s || (s.requester !== username && s.owner !== username))
        throw new SlsError(404, 'no-sharing', `field "id": no sharing "${id}" of ${username}`);
      if (s.status !== 'active' && s.status !== 'pending') throw new SlsError(409, 'not-open', `sharing ${id} is ${s.status} already`);
      const next: Sharing = { ...s, status: 'cancelled', decidedAt: this.now() };
      await tx.putSharing(next);
      killPoint('cancel-sharing:written');
      return next;
    });
    this.emit('sharing-cancelled', { sharingId: s.id, requester: s.requester, owner: s.owner, deviceId: s.deviceId, username });
    return s;
  }

  // --- second factors (used by login and sharing) ---

  /** The challenge a device's holder must answer (null for a DSC or a Temporary Code). */
  async issueFor(d: Device): Promise<{ challenge: string | null; indexes?: [number, number] }> {
    if (d.tokenId) return this.gate.issue(d.tokenId);
    if (d.kind === 'ibkey') return { challenge: await this.ibIssue(d.activationId!) };
    return { challenge: null };
  }

  /** Checks an answer of device `d`; throws a 403 naming `field` when it is wrong. */
  async checkDeviceAnswer(d: Device, answer: { challenge?: string; response: string }, field: string): Promise<void> {
    let ok: boolean;
    let outcome = 'wrong';
    if (d.tokenId) {
      const r = this.gate.check(d.tokenId, answer);
      ({ accepted: ok, outcome } = r);
    } else if (d.kind === 'temp-code') {
      ok = d.expiresAt! > this.now() && (await verifyPassword(answer.response.trim(), d.codeHash!));
      if (d.expiresAt! <= this.now()) outcome = 'expired';
    } else {
      const r = await this.ibCheck(d.activationId!, answer);
      ({ ok, outcome } = r);
    }
    if (!ok) throw new SlsError(403, `answer-${outcome}`, `field "${field}": the device's answer was not accepted (${outcome})`);
  }

  /**
   * A challenge from the login server's verifier of an IB Key activation. The verifier (challenges
   * issued and used, with their times on the lab clock) is in the store, so a challenge issued
   * before a restart can be answered after it, once.
   */
  async ibIssue(activationId: string): Promise<string> {
    return this.tx(async (tx) => {
      const r = issueOcraChallenge((await tx.ibVerifier(activationId)) ?? newOcraVerifier(IBKEY_SUITE), this.rng, this.now());
      await tx.putIbVerifier(activationId, r.state);
      return r.challenge;
    });
  }

  /** Checks an IB Key response (fallback, or the signed approval of a push); each challenge once, restarts or not. */
  async ibCheck(activationId: string, answer: { challenge?: string; response: string }): Promise<{ ok: boolean; outcome: string }> {
    if (answer.challenge === undefined)
      throw new SlsError(400, 'missing-challenge', 'field "challenge": an IB Key answer needs the challenge it answers');
    const challenge = answer.challenge;
    return this.tx(async (tx) => {
      const a = await tx.activation(activationId);
      if (!a?.active) return { ok: false, outcome: 'activation-inactive' };
      const r = checkOcraResponse(
        (await tx.ibVerifier(activationId)) ?? newOcraVerifier(IBKEY_SUITE),
        a.key,
        { challenge, response: answer.response },
        this.now(),
      );
      await tx.putIbVerifier(activationId, r.state);
      return { ok: r.outcome === 'accepted', outcome: r.outcome };
    });
  }
}

/** Sessions are stored by this hash: a copy of the database does not hand out live sessions. */
export function sessionHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
