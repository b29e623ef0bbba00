/**
 * The Secure Login System service: the rules of firmware/sls/ over the data in an SlsStore, with
 * the hosted tokens reached through a TokenGate. Its ground (store, sessions, passwords, second
 * factors) is in service-base.ts and the lab's set-up (entities, users, devices, deposits) in
 * lab-setup.ts; this file holds what a logged-in user does: opt-out, trade permission, withdrawals
 * and sharing. Login and IB Key are in login.ts and ibkey.ts. Every change is one store transaction.
 */
import { DAY_MS } from '../../firmware/sls/devices.ts';
import { decideWithdrawal } from '../../firmware/sls/limits.ts';
import type { Sharing } from '../../firmware/sls/model.ts';
import { decideOptIn, decideOptOut, tradePermission, type Market } from '../../firmware/sls/opt-out.ts';
import { decideSharing } from '../../firmware/sls/sharing.ts';
import { SlsError } from './errors.ts';
import { killPoint } from './kill-points.ts';
import { SlsLabSetup } from './lab-setup.ts';
import type { SlsTx } from './store.ts';
import { limitKind, type UserView } from './views.ts';

export class SlsService extends SlsLabSetup {
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
}
