/**
 * IB Key on emulated phones: the phones (profile, network, the app's state in the store), the
 * activation by SMS code into the lab's SMS inbox, one active phone per user, Add user, recovery
 * after a reinstall, the forgot-PIN path, push notifications and their approval, and responses to
 * challenges (offline). The app's own logic is firmware/ibkey/app.ts; this is the world around it.
 */
import {
  addUser,
  approvePush,
  checkAppPin,
  deactivateUser,
  declineRecovery,
  freshApp,
  IBKEY_SUITE,
  reinstall,
  requirementProblem,
  respond,
  type Biometric,
  type PhoneProfile,
} from '../../firmware/ibkey/app.ts';
import { newOcraVerifier } from '../../firmware/verifier/ocra-verifier.ts';
import { toHex } from '../../firmware/bytes.ts';
import { InputError } from '../../firmware/errors.ts';
import { checkPin } from '../../firmware/sls/pin-guidance.ts';
import { randomString } from '../../firmware/rng.ts';
import { SlsError } from './errors.ts';
import { killPoint } from './kill-points.ts';
import type { SlsService } from './service.ts';
import type { Activation, Phone, SlsTx, StoredNotification } from './store.ts';
import { phoneView, type PhoneView } from './views.ts';

const CODE_MS = 10 * 60_000;
const CODE_TRIES = 3;

/** A notification as the phone shows it (the stored one without the hash of its login). */
export type Notification = Omit<StoredNotification, 'loginHash'>;

const notificationView = ({ loginHash: _, ...n }: StoredNotification): Notification => n;

/** Phone numbers for the SMS: digits only, no country or trunk prefix (no +, no leading 0). */
export function checkPhoneNumber(n: unknown): asserts n is string {
  if (typeof n !== 'string' || !/^\d+$/.test(n))
    throw new SlsError(400, 'bad-number', 'field "number": digits only, without a country prefix, spaces or "+"');
  if (n.startsWith('0')) throw new SlsError(400, 'bad-number', 'field "number": without the leading 0 (trunk prefix)');
  if (n.length < 6 || n.length > 14) throw new SlsError(400, 'bad-number', 'field "number": 6 to 14 digits');
}

const appError = (err: unknown): never => {
  if (err instanceof InputError) throw new SlsError(400, `bad-${err.part}`, `field "${err.part}": ${err.message}`);
  throw err;
};

export class IbKeyService {
  /**
   * Called when a push is approved: the login waiting on it proceeds. The notifications are in the
   * store (a restart keeps them until their login expires); each is approved at most once.
   */
  onApproved: (n: StoredNotification, response: string) => Promise<void> = async () => {};

  constructor(private readonly svc: SlsService) {}

  private async phoneOf(tx: SlsTx, id: string): Promise<Phone> {
    const p = await tx.phone(id);
    if (!p) throw new SlsError(404, 'no-phone', `field "phoneId": no phone "${id}"`);
    return p;
  }

  async createPhone(input: { id?: string; profile: PhoneProfile }): Promise<PhoneView> {
    const p: Phone = { id: input.id ?? this.svc.newId('phone'), profile: input.profile, network: true, app: freshApp() };
    return this.svc.tx(async (tx) => {
      if (await tx.phone(p.id)) throw new SlsError(409, 'exists', `field "id": a phone "${p.id}" exists already`);
      await tx.putPhone(p);
      return phoneView(p);
    });
  }

  /**
   * Removes a phone from the lab (as a phone that is lost or wiped): its users' IB Key devices on
   * it end ('removed', like a deleted token's), their waiting notifications go, and the phone, its
   * activations and activation requests are deleted in one transaction. docs/sls.md, "IB Key".
   */
  async removePhone(id: string): Promise<{ removed: string; devicesEnded: string[] }> {
    const ended = await this.svc.tx(async (tx) => {
      await this.phoneOf(tx, id);
      const mine = new Set((await tx.activations()).filter((a) => a.phoneId === id).map((a) => a.id));
      const out: { id: string; owner: string }[] = [];
      for (const d of await tx.devices()) {
        if (d.kind !== 'ibkey' || d.status !== 'active' || !d.activationId || !mine.has(d.activationId)) continue;
        await tx.putDevice({ ...d, status: 'removed' });
        out.push({ id: d.id, owner: d.owner });
      }
      await tx.deletePhone(id);
      return out;
    });
    for (const d of ended)
      this.svc.emit('device-removed', {
        username: d.owner,
        deviceId: d.id,
        deviceKind: 'ibkey',
        phoneId: id,
        message: `phone ${id} was removed`,
      });
    return { removed: id, devicesEnded: ended.map((d) => d.id) };
  }

  phones(): Promise<PhoneView[]> {
    return this.svc.tx(async (tx) => (await tx.phones()).map(phoneView));
  }

  phone(id: string): Promise<PhoneView & { notifications: Notification[] }> {
    return this.svc.tx(async (tx) => ({
      ...phoneView(await this.phoneOf(tx, id)),
      notifications: (await tx.openNotifications(id, this.svc.now())).map(notificationView),
    }));
  }

  /** The lab cuts or restores the phone's network. */
  async setNetwork(id: string, on: boolean): Promise<PhoneView> {
    return this.svc.tx(async (tx) => {
      const p = { ...(await this.phoneOf(tx, id)), network: on };
      await tx.putPhone(p);
      return phoneView(p);
    });
  }

  private needNetwork(p: Phone, what: string): void {
    if (!p.network) throw new SlsError(503, 'phone-offline', `${what} needs the network, and phone ${p.id} has none (the lab cut it)`);
  }

  /**
   * Step 1: username, password and a phone number (chosen from the user's or added). The SMS
   * with the activation code goes to the lab's inbox. `recover`: after a reinstall, for a user the
   * app offers to recover (same activation, new key and PIN).
   */
  async startActivation(input: {
    phoneId: string;
    username: string;
    password: string;
    number: string;
    mode?: 'register' | 'recover';
  }): Promise<{ request: string; number: string; mode: 'register' | 'recover' }> {
    checkPhoneNumber(input.number);
    const mode = input.mode ?? 'register';
    const phone = await this.svc.tx((tx) => this.phoneOf(tx, input.phoneId));
    this.needNetwork(phone, 'IB Key activation');
    const problem = requirementProblem(phone.profile);
    if (problem) throw new SlsError(409, 'phone-unsupported', problem);
    if (mode === 'recover' && !phone.app.recoverable.includes(input.username))
      throw new SlsError(
        409,
        'nothing-to-recover',
        `field "mode": the app on ${phone.id} has nothing to recover for ${input.username}; register instead`,
      );
    await this.svc.checkPassword(input.username, input.password);
    const code = randomString(this.svc.rng, '0123456789', 6);
    const request = this.svc.newId('act');
    await this.svc.tx(async (tx) => {
      const u = await this.svc.userOf(tx, input.username);
      if (!u.phones.includes(input.number)) await tx.putUser({ ...u, phones: [...u.phones, input.number] });
      await tx.putPending({
        id: request,
        username: input.username,
        phoneId: phone.id,
        number: input.number,
        code,
        mode,
        expiresAt: this.svc.now() + CODE_MS,
        triesLeft: CODE_TRIES,
      });
      await tx.addSms({ number: input.number, text: `IB Key activation code: ${code}. It is valid for 10 minutes.`, at: this.svc.now() });
    });
    this.svc.emit('sms-sent', { username: input.username, phoneId: phone.id, number: input.number, message: 'IB Key activation code' });
    return { request, number: input.number, mode };
  }

  /**
   * Step 2: the SMS code and the app PIN (checked against the PIN guidance; Add user needs the
   * app's existing PIN). One transaction creates the activation and its device, deactivates the
   * user's activation on any other phone, and saves the app.
   */
  async finishActivation(input: {
    phoneId: string;
    request: string;
    code: string;
    pin: string;
    biometrics?: boolean;
  }): Promise<{ phone: PhoneView; activationId: string; warnings: string[] }> {
    try {
      checkAppPin(input.pin);
    } catch (err) {
      appError(err);
    }
    type Finished = { phone: PhoneView; activationId: string; warnings: string[]; username: string };
    // A wrong code or PIN is counted in the store, so it is answered after the commit, not thrown.
    const r = await this.svc.tx(async (tx): Promise<Finished | { refused: string }> => {
      const phone = await this.phoneOf(tx, input.phoneId);
      this.needNetwork(phone, 'IB Key activation');
      const pend = await tx.pending(input.request);
      if (!pend || pend.phoneId !== phone.id)
        throw new SlsError(404, 'no-request', `field "request": no activation request "${input.request}" for phone ${phone.id}`);
      if (pend.expiresAt <= this.svc.now()) {
        await tx.deletePending(pend.id);
        throw new SlsError(409, 'code-expired', 'field "code": the activation code expired; start again');
      }
      if (pend.code !== String(input.code).trim()) {
        const left = pend.triesLeft - 1;
        if (left <= 0) await tx.deletePending(pend.id);
        else await tx.putPending({ ...pend, triesLeft: left });
        return {
          refused:
            left > 0
              ? `field "code": wrong activation code, ${left} ${left === 1 ? 'try' : 'tries'} left`
              : 'field "code": wrong activation code; start again',
        };
      }
      const u = await this.svc.userOf(tx, pend.username);
      const entity = await this.svc.entityOf(tx, u.entityId);
      const advice = checkPin(input.pin, {
        dateOfBirth: entity.identification.dateOfBirth,
        address: entity.address,
        idNumber: entity.identification.idNumber,
        phones: u.phones,
        names: [entity.name, u.username],
      });
      if (!advice.ok) throw new SlsError(400, 'pin-guidance', `field "pin": ${advice.refusals.join('; ')}`);
      if (input.biometrics && phone.profile.biometrics === 'none')
        throw new SlsError(400, 'no-biometrics', 'field "biometrics": this phone profile has no biometrics');
      const now = this.svc.now();
      const all = await tx.activations();
      const mine = all.filter((a) => a.username === u.username && a.active);
      const recovering = pend.mode === 'recover' ? mine.find((a) => a.phoneId === phone.id) : undefined;
      const activation: Activation = {
        id: recovering?.id ?? this.svc.newId('ibk'),
        username: u.username,
        phoneId: phone.id,
        key: toHex(this.svc.rng(32)),
        active: true,
        createdAt: now,
      };
      let app = phone.app;
      const added = addUser(
        app,
        { username: u.username, activationId: activation.id, key: activation.key },
        input.pin,
        this.svc.rng,
        input.biometrics ?? false,
      );
      if (!added.ok) {
        await tx.putPhone({ ...phone, app: added.state }); // the wrong PIN try is counted
        return { refused: `field "pin": ${added.message}` };
      }
      app = added.state;
      // one active phone per user: the others (and their IB Key devices) end here
      for (const old of mine.filter((a) => a.id !== activation.id)) {
        await tx.putActivation({ ...old, active: false });
        if (old.phoneId !== phone.id) {
          const other = await tx.phone(old.phoneId);
          if (other) await tx.putPhone({ ...other, app: deactivateUser(other.app, u.username) });
        }
      }
      killPoint('activate:old-deactivated');
      await tx.putActivation(activation);
      killPoint('activate:activation-written');
      await tx.putIbVerifier(activation.id, newOcraVerifier(IBKEY_SUITE)); // a new key: no challenge of the old one stands
      const devices = await tx.devices();
      for (const d of devices)
        if (d.owner === u.username && d.kind === 'ibkey' && d.status === 'active' && d.activationId !== activation.id)
          await tx.putDevice({ ...d, status: 'revoked' });
      const existing = devices.find((d) => d.activationId === activation.id);
      if (existing) await tx.putDevice({ ...existing, status: 'active' });
      else
        await tx.putDevice({
          id: this.svc.newId('dev'),
          kind: 'ibkey',
          owner: u.username,
          status: 'active',
          activationId: activation.id,
          issuedAt: now,
        });
      killPoint('activate:device-written');
      await tx.putPhone({ ...phone, app });
      killPoint('activate:phone-written');
      await tx.deletePending(pend.id);
      return { phone: phoneView({ ...phone, app }), activationId: activation.id, warnings: advice.warnings, username: u.username };
    });
    if ('refused' in r) throw new SlsError(403, 'refused', r.refused);
    const { username, ...done } = r;
    this.svc.emit('ibkey-activated', { username, phoneId: input.phoneId, activationId: r.activationId });
    return done;
  }

  async reinstall(phoneId: string): Promise<PhoneView> {
    return this.updateApp(phoneId, (app) => reinstall(app));
  }

  async declineRecovery(phoneId: string): Promise<PhoneView> {
    return this.updateApp(phoneId, (app) => declineRecovery(app));
  }

  private updateApp(phoneId: string, f: (app: Phone['app']) => Phone['app']): Promise<PhoneView> {
    return this.svc.tx(async (tx) => {
      const p = await this.phoneOf(tx, phoneId);
      const next = { ...p, app: f(p.app) };
      await tx.putPhone(next);
      for (const n of await tx.openNotifications(phoneId, this.svc.now())) await tx.putNotification({ ...n, status: 'cancelled' });
      return phoneView(next);
    });
  }

  /** The app's response to a login challenge (challenge/response fallback); no network needed. */
  async respond(input: { phoneId: string; username: string; challenge: string; pin: string }): Promise<{ response: string }> {
    const r = await this.svc.tx(async (tx) => {
      const p = await this.phoneOf(tx, input.phoneId);
      let out: ReturnType<typeof respond>;
      try {
        out = respond(p.app, input.username, input.challenge, input.pin);
      } catch (err) {
        return appError(err);
      }
      await tx.putPhone({ ...p, app: out.state });
      return out;
    });
    if (!r.response) throw new SlsError(403, 'wrong-pin', `field "pin": ${r.message}`);
    return { response: r.response };
  }

  /** The login page's push: it reaches the phone only when the phone has network. */
  async push(phoneId: string, username: string, loginHash: string, challenge: string, expiresAt: number): Promise<Notification | null> {
    return this.svc.tx(async (tx) => {
      const p = await this.phoneOf(tx, phoneId);
      if (!p.network) return null;
      const n: StoredNotification = {
        id: this.svc.newId('ntf'),
        phoneId,
        username,
        loginHash,
        challenge,
        at: this.svc.now(),
        expiresAt,
        status: 'new',
      };
      await tx.putNotification(n);
      return notificationView(n);
    });
  }

  /** The user opens the notification and approves with biometrics (succeed, fail, cancel) or the PIN. */
  async approve(input: {
    phoneId: string;
    notificationId: string;
    biometric?: Biometric;
    pin?: string;
  }): Promise<{ outcome: 'approved' | 'failed' | 'cancelled'; message: string }> {
    if ((input.biometric === undefined) === (input.pin === undefined))
      throw new SlsError(400, 'bad-approval', 'field "biometric": give biometric (succeed, fail or cancel) or pin, one of them');
    // one transaction reads the notification open and closes it: two approvals (or one before and
    // one after a restart) cannot both pass
    const { n, r } = await this.svc.tx(async (tx) => {
      const n = await tx.notification(input.notificationId);
      if (!n || n.phoneId !== input.phoneId || n.status !== 'new' || n.expiresAt <= this.svc.now())
        throw new SlsError(
          404,
          'no-notification',
          `field "notificationId": no open notification "${input.notificationId}" on ${input.phoneId}`,
        );
      const p = await this.phoneOf(tx, input.phoneId);
      this.needNetwork(p, 'sending the approval');
      let out: ReturnType<typeof approvePush>;
      try {
        out = approvePush(
          p.app,
          n.username,
          n.challenge,
          input.biometric !== undefined ? { biometric: input.biometric } : { pin: input.pin! },
        );
      } catch (err) {
        return appError(err);
      }
      await tx.putPhone({ ...p, app: out.state });
      if (out.outcome !== 'failed') await tx.putNotification({ ...n, status: out.outcome });
      return { n, r: out };
    });
    this.svc.emit(r.outcome === 'approved' ? 'push-approved' : 'push-denied', {
      username: n.username,
      phoneId: n.phoneId,
      notificationId: n.id,
      reason: r.outcome === 'approved' ? undefined : r.outcome,
    });
    if (r.outcome === 'approved') await this.onApproved(n, r.response!);
    return { outcome: r.outcome, message: r.message };
  }
}
