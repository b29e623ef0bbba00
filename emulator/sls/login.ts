/**
 * Login to the Secure Login System: username and password, then the second factor of the user's
 * best usable device (DESIGN.md section 1): DSC+ challenge/response, DSC passcode, card index
 * pair, Temporary Code, IB Key push or its challenge/response fallback. Opted-out accounts log in
 * with the password alone. Failures count toward the user's lock; each login allows a few wrong
 * answers, and each challenge is answered once (the verifiers refuse a replay).
 */
import { bestDevice } from '../../firmware/sls/devices.ts';
import { DEVICE_NAMES, type Device, type DeviceKind } from '../../firmware/sls/model.ts';
import { needsSecondFactor } from '../../firmware/sls/opt-out.ts';
import { ANSWERS_PER_LOGIN, LOCK_AFTER, SlsError } from './errors.ts';
import type { IbKeyService } from './ibkey.ts';
import type { SlsService } from './service.ts';

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

type Rec = LoginState & { deviceRec: Device | null; phoneId: string | null; pushChallenge: string | null; cardChallenge: string | null };

export class LoginService {
  private readonly logins = new Map<string, Rec>();

  constructor(
    private readonly svc: SlsService,
    private readonly ib: IbKeyService,
  ) {
    ib.onApproved = async (n, response) => {
      const l = this.logins.get(n.loginId);
      if (!l || l.status !== 'second-factor' || l.pushChallenge !== n.challenge) return;
      const r = await svc.ibCheck(l.deviceRec!.activationId!, { challenge: n.challenge, response });
      l.push = r.ok ? 'approved' : 'failed';
      if (r.ok) await this.succeed(l);
      else svc.emit('login-failure', { username: l.username, loginId: l.id, deviceId: l.deviceRec!.id, deviceKind: 'ibkey', reason: `push-${r.outcome}` });
    };
  }

  private view(l: LoginState): LoginState {
    const { id, username, status, device, challenge, indexes, push, wrongAnswers, session, message, expiresAt } = l;
    return { id, username, status, device, challenge, indexes, push, wrongAnswers, session, message, expiresAt };
  }

  private live(id: string) {
    const l = this.logins.get(id);
    if (!l || l.expiresAt <= this.svc.now()) throw new SlsError(404, 'no-login', `field "login": no login "${id}" in progress (it may have expired; start again)`);
    return l;
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
    for (const [k, v] of this.logins) if (v.expiresAt <= this.svc.now()) this.logins.delete(k);
    const now = this.svc.now();
    const { account, device } = await this.svc.tx(async (tx) => {
      const account = await this.svc.accountOf(tx, u.accountId);
      return { account, device: bestDevice(username, await tx.devices(), await tx.sharings(), now) };
    });
    const id = this.svc.newId('login');
    const base: Omit<Rec, 'status' | 'device' | 'message'> = { id, username, wrongAnswers: 0, session: null, expiresAt: now + LOGIN_MS, challenge: null, indexes: null, push: 'none', deviceRec: device, phoneId: null, pushChallenge: null, cardChallenge: null };
    if (!needsSecondFactor(account)) {
      const l: Rec = { ...base, status: 'second-factor', device: null, message: '' };
      this.logins.set(id, l);
      await this.succeed(l, 'logged in with the password alone: the account opted out of the Secure Login System');
      return this.view(l);
    }
    if (!device) throw new SlsError(409, 'no-device', `user ${username} has no active security device; ask client services for a Temporary Code`);
    const l: Rec = { ...base, status: 'second-factor', device: { id: device.id, kind: device.kind, name: DEVICE_NAMES[device.kind], tokenId: device.tokenId ?? null }, message: '' };
    if (device.kind === 'ibkey') l.phoneId = (await this.svc.tx((tx) => tx.activation(device.activationId!)))?.phoneId ?? null;
    this.logins.set(id, l);
    this.challenge(l);
    return this.view(l);
  }

  private challenge(l: Rec): void {
    const c = this.svc.issueFor(l.deviceRec!);
    l.challenge = c.indexes ? null : c.challenge;
    l.indexes = c.indexes ?? null;
    l.cardChallenge = c.indexes ? c.challenge : null;
    l.message = promptFor(l.deviceRec!.kind, l.indexes);
  }

  private async succeed(l: Rec, message = 'logged in'): Promise<void> {
    l.session = await this.svc.openSession(l.username);
    l.status = 'done';
    l.message = message;
    l.challenge = null;
    l.indexes = null;
    await this.svc.countFailure(l.username, true);
    this.svc.emit('login-success', { username: l.username, loginId: l.id, ...(l.device ? { deviceId: l.device.id, deviceKind: l.device.kind } : { message: 'password alone (opted out)' }) });
  }

  /** Step 2: the device's answer (passcode, response, card values, temporary code). */
  async answer(id: string, response: string): Promise<LoginState> {
    const l = this.live(id);
    if (l.status !== 'second-factor') throw new SlsError(409, 'not-waiting', `login ${id} is ${l.status}`);
        try {
      await this.svc.checkDeviceAnswer(l.deviceRec!, { challenge: l.cardChallenge ?? l.challenge ?? undefined, response }, 'response');
    } catch (err) {
      if (!(err instanceof SlsError) || err.status !== 403) throw err;
      await this.svc.countFailure(l.username);
      l.wrongAnswers++;
      this.svc.emit('login-failure', { username: l.username, loginId: l.id, deviceId: l.deviceRec!.id, deviceKind: l.deviceRec!.kind, reason: err.code });
      if (l.wrongAnswers >= ANSWERS_PER_LOGIN) {
        l.status = 'failed';
        l.message = `${ANSWERS_PER_LOGIN} wrong answers: start the login again`;
      } else {
        this.challenge(l);
        l.message = `${err.message}; try again. ${l.message}`;
      }
      return this.view(l);
    }
    await this.succeed(l);
    return this.view(l);
  }

  /** IB Key: send the push notification to the user's phone (if it has network). */
  async push(id: string): Promise<LoginState> {
    const l = this.live(id);
    if (l.status !== 'second-factor' || l.deviceRec?.kind !== 'ibkey') throw new SlsError(409, 'no-push', `login ${id} is not waiting for an IB Key`);
    l.pushChallenge = this.svc.ibIssue(l.deviceRec.activationId!);
    const n = l.phoneId ? await this.ib.push(l.phoneId, l.username, id, l.pushChallenge) : null;
    l.push = n ? 'sent' : 'not-delivered';
    this.svc.emit('push-sent', { username: l.username, loginId: id, phoneId: l.phoneId ?? undefined, ...(n ? { notificationId: n.id } : { reason: 'not-delivered' }) });
    l.message = n ? 'a notification was sent to your phone: open it and approve' : 'no notification reached the phone: use the challenge below with the IB Key app instead';
    return this.view(l);
  }

  async status(id: string): Promise<LoginState> {
    return this.view(this.live(id));
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
