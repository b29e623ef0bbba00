/**
 * Login to the Secure Login System: username and password, then the second factor of the user's
 * best usable device (DESIGN.md section 1): DSC+ challenge/response, DSC passcode, card index
 * pair, Temporary Code, IB Key push or its challenge/response fallback. Opted-out accounts log in
 * with the password alone. Failures count toward the user's lock; each login allows a few wrong
 * answers, and each challenge is answered once (the verifiers refuse a replay).
 */
import { bestDevice } from '../../firmware/sls/devices.ts';
import { DEVICE_NAMES, type DeviceKind } from '../../firmware/sls/model.ts';
import { needsSecondFactor } from '../../firmware/sls/opt-out.ts';
import { ANSWERS_PER_LOGIN, LOCK_AFTER, SlsError } from './errors.ts';
import type { IbKeyService } from './ibkey.ts';
import { sessionHash } from './service-base.ts';
import type { SlsService } from './service.ts';
import type { StoredLogin } from './store.ts';

const LOGIN_MS = 5 * 60_000;

export interface LoginState {
  id: string;
  username: string;
  status: 'second-factor' | 'done' | 'failed';
  device: { id: string; kind: DeviceKind; name: string; tokenId: string | null } | null;
  /** What the login page shows: a challenge (DSC+, IB Key), an index pair (card), or nothing. */
  challenge: string | null;
  indexes: [number, number] | null;
  push: 'none' | 'sent' | 'approved' | 'failed' | 'cancelled' | 'not-delivered';
  wrongAnswers: number;
  session: string | null;
  message: string;
  expiresAt: number;
}

/**
 * Logins in progress are in the store (StoredLogin, by the SHA-256 of their id), so a restart
 * between the password and the second factor loses none: the challenge, index pair or push issued
 * before it is answered after it, once. They end on the lab clock (5 minutes). docs/sls.md, "Login".
 */
export class LoginService {
  /**
   * Session tokens this process handed out, by login, until the login expires: a second look at a
   * done login shows it again. Only here, in memory: after a restart a done login shows none.
   */
  private readonly handed = new Map<string, { token: string; until: number }>();

  private hand(l: StoredLogin, token: string): void {
    const now = this.svc.now();
    for (const [k, v] of this.handed) if (v.until <= now) this.handed.delete(k);
    this.handed.set(l.idHash, { token, until: l.expiresAt });
  }

  constructor(
    private readonly svc: SlsService,
    private readonly ib: IbKeyService,
  ) {
    ib.onApproved = async (n, response) => {
      const l = await svc.tx((tx) => tx.login(n.loginHash));
      if (l?.status !== 'second-factor' || l.expiresAt <= svc.now() || l.pushChallenge !== n.challenge) return;
      const r = await svc.ibCheck(l.deviceRec!.activationId!, { challenge: n.challenge, response });
      const done = await this.update(n.loginHash, (x) => {
        if (x.status !== 'second-factor') return false;
        x.push = r.ok ? 'approved' : 'failed';
        if (!r.ok) return false;
        // the session opens when the login page next looks (status): its token is never stored
        Object.assign(x, { status: 'done', sessionDue: true, message: 'logged in', challenge: null, indexes: null });
        return true;
      });
      if (done) await this.succeeded(l);
      else if (!r.ok)
        svc.emit('login-failure', { username: l.username, deviceId: l.deviceRec!.id, deviceKind: 'ibkey', reason: `push-${r.outcome}` });
    };
  }

  private view(id: string, l: StoredLogin): LoginState {
    const { username, status, device, challenge, indexes, push, wrongAnswers, expiresAt } = l;
    const session = this.handed.get(l.idHash)?.token ?? null;
    const message = status === 'done' && !session ? `${l.message}; the session was handed out before the service restarted` : l.message;
    return { id, username, status, device, challenge, indexes, push, wrongAnswers, session, message, expiresAt };
  }

  /** The login `id`, if it is in the store and has not expired on the lab clock. */
  private async live(id: string): Promise<StoredLogin> {
    const l = typeof id === 'string' ? await this.svc.tx((tx) => tx.login(sessionHash(id))) : null;
    if (!l || l.expiresAt <= this.svc.now())
      throw new SlsError(404, 'no-login', `field "login": no login "${id}" in progress (it may have expired; start again)`);
    return l;
  }

  /** Reads the login again in a transaction, lets `f` change it, writes it; answers what `f` did. */
  private update<T>(idHash: string, f: (l: StoredLogin) => T): Promise<T | null> {
    return this.svc.tx(async (tx) => {
      const l = await tx.login(idHash);
      if (!l) return null;
      const r = f(l);
      await tx.putLogin(l);
      return r;
    });
  }

  /** Step 1: username and password. */
  async start(username: string, password: string): Promise<LoginState> {
    const u = await this.svc.tx((tx) => this.svc.userOf(tx, username));
    if (u.failures >= LOCK_AFTER) {
      this.svc.emit('login-failure', { username, reason: 'locked' });
      throw new SlsError(423, 'locked', `user ${username} is locked after ${LOCK_AFTER} failed logins; the lab operator can unlock it`);
    }
    try {
      await this.svc.checkPassword(username, password);
    } catch (err) {
      if (err instanceof SlsError) this.svc.emit('login-failure', { username, reason: err.code });
      throw err;
    }
    const now = this.svc.now();
    const { account, device } = await this.svc.tx(async (tx) => {
      await tx.deleteExpiredLogins(now);
      const account = await this.svc.accountOf(tx, u.accountId);
      return { account, device: bestDevice(username, await tx.devices(), await tx.sharings(), now) };
    });
    const id = this.svc.newId('login');
    const l: StoredLogin = {
      idHash: sessionHash(id),
      username,
      status: 'second-factor',
      device: null,
      deviceRec: device,
      phoneId: null,
      challenge: null,
      indexes: null,
      cardChallenge: null,
      pushChallenge: null,
      push: 'none',
      wrongAnswers: 0,
      sessionDue: false,
      message: '',
      createdAt: now,
      expiresAt: now + LOGIN_MS,
    };
    if (!needsSecondFactor(account)) {
      const message = 'logged in with the password alone: the account opted out of the Secure Login System';
      const token = await this.svc.tx(async (tx) => {
        const t = await this.svc.openSessionIn(tx, username);
        await tx.putLogin({ ...l, status: 'done', message });
        return t;
      });
      this.hand(l, token);
      await this.succeeded(l, id);
      return this.view(id, { ...l, status: 'done', message });
    }
    if (!device)
      throw new SlsError(409, 'no-device', `user ${username} has no active security device; ask client services for a Temporary Code`);
    l.device = { id: device.id, kind: device.kind, name: DEVICE_NAMES[device.kind], tokenId: device.tokenId ?? null };
    if (device.kind === 'ibkey') l.phoneId = (await this.svc.tx((tx) => tx.activation(device.activationId!)))?.phoneId ?? null;
    await this.challenge(l);
    await this.svc.tx((tx) => tx.putLogin(l));
    return this.view(id, l);
  }

  private async challenge(l: StoredLogin): Promise<void> {
    const c = await this.svc.issueFor(l.deviceRec!);
    l.challenge = c.indexes ? null : c.challenge;
    l.indexes = c.indexes ?? null;
    l.cardChallenge = c.indexes ? c.challenge : null;
    l.message = promptFor(l.deviceRec!.kind, l.indexes);
  }

  /** After a login ended well: the user's failures are cleared and the event goes out. */
  private async succeeded(l: StoredLogin, loginId?: string): Promise<void> {
    await this.svc.countFailure(l.username, true);
    this.svc.emit('login-success', {
      username: l.username,
      loginId,
      ...(l.device ? { deviceId: l.device.id, deviceKind: l.device.kind } : { message: 'password alone (opted out)' }),
    });
  }

  /** Step 2: the device's answer (passcode, response, card values, temporary code). */
  async answer(id: string, response: string): Promise<LoginState> {
    const l = await this.live(id);
    if (l.status !== 'second-factor') throw new SlsError(409, 'not-waiting', `login ${id} is ${l.status}`);
    try {
      await this.svc.checkDeviceAnswer(l.deviceRec!, { challenge: l.cardChallenge ?? l.challenge ?? undefined, response }, 'response');
    } catch (err) {
      if (!(err instanceof SlsError) || err.status !== 403) throw err;
      await this.svc.countFailure(l.username);
      this.svc.emit('login-failure', {
        username: l.username,
        loginId: id,
        deviceId: l.deviceRec!.id,
        deviceKind: l.deviceRec!.kind,
        reason: err.code,
      });
      const next = { ...l, wrongAnswers: l.wrongAnswers + 1 };
      if (next.wrongAnswers >= ANSWERS_PER_LOGIN)
        Object.assign(next, { status: 'failed', message: `${ANSWERS_PER_LOGIN} wrong answers: start the login again` });
      else {
        await this.challenge(next);
        next.message = `${err.message}; try again. ${next.message}`;
      }
      const saved = await this.update(l.idHash, (x) => {
        if (x.status !== 'second-factor') return x;
        Object.assign(x, {
          status: next.status,
          wrongAnswers: next.wrongAnswers,
          challenge: next.challenge,
          indexes: next.indexes,
          cardChallenge: next.cardChallenge,
          message: next.message,
        });
        return x;
      });
      return this.view(id, saved ?? next);
    }
    // the verifier accepted this challenge once; the login ends and its session opens together
    const token = await this.svc.tx(async (tx) => {
      const x = await tx.login(l.idHash);
      if (x?.status !== 'second-factor') return null;
      const t = await this.svc.openSessionIn(tx, l.username);
      await tx.putLogin({ ...x, status: 'done', message: 'logged in', challenge: null, indexes: null });
      return t;
    });
    if (!token) throw new SlsError(409, 'not-waiting', `login ${id} ended meanwhile`);
    this.hand(l, token);
    await this.succeeded(l, id);
    return this.view(id, { ...l, status: 'done', message: 'logged in', challenge: null, indexes: null });
  }

  /** IB Key: send the push notification to the user's phone (if it has network). */
  async push(id: string): Promise<LoginState> {
    const l = await this.live(id);
    if (l.status !== 'second-factor' || l.deviceRec?.kind !== 'ibkey')
      throw new SlsError(409, 'no-push', `login ${id} is not waiting for an IB Key`);
    const challenge = await this.svc.ibIssue(l.deviceRec.activationId!);
    const n = l.phoneId ? await this.ib.push(l.phoneId, l.username, l.idHash, challenge, l.expiresAt) : null;
    const message = n
      ? 'a notification was sent to your phone: open it and approve'
      : 'no notification reached the phone: use the challenge below with the IB Key app instead';
    const saved = await this.update(l.idHash, (x) => {
      if (x.status === 'second-factor') Object.assign(x, { pushChallenge: challenge, push: n ? 'sent' : 'not-delivered', message });
      return x;
    });
    this.svc.emit('push-sent', {
      username: l.username,
      loginId: id,
      phoneId: l.phoneId ?? undefined,
      ...(n ? { notificationId: n.id } : { reason: 'not-delivered' }),
    });
    return this.view(id, saved ?? l);
  }

  /** The login as the page shows it; a login whose push was approved opens its session here, once. */
  async status(id: string): Promise<LoginState> {
    const l = await this.live(id);
    if (!l.sessionDue) return this.view(id, l);
    const token = await this.svc.tx(async (tx) => {
      const x = await tx.login(l.idHash);
      if (!x?.sessionDue) return null;
      const t = await this.svc.openSessionIn(tx, x.username);
      await tx.putLogin({ ...x, sessionDue: false });
      return t;
    });
    if (token) this.hand(l, token);
    return this.view(id, { ...l, sessionDue: false });
  }
}

function promptFor(kind: DeviceKind, indexes: [number, number] | null): string {
  switch (kind) {
    case 'dscplus':
      return 'enter the challenge on your Digital Security Card+ and type its 8-digit response';
    case 'dsc':
      return 'type the passcode your Digital Security Card shows';
    case 'card':
    case 'online-card':
      return `type the values of index numbers ${indexes![0]} and ${indexes![1]} one after the other, no space`;
    case 'temp-code':
      return 'type your Temporary Code';
    case 'ibkey':
      return 'approve the notification on your phone, or enter the challenge in the IB Key app and type its response';
  }
}
