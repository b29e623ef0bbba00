/**
 * The Secure Login System part of `tokenbench/client`: `tb.sls.login(...)`, `tb.sls.share(...)`,
 * one method per route of docs/sls.md. Refusals throw ApiError with the server's message.
 */
import type { Entity } from '../../firmware/sls/model.ts';
import type { Market } from '../../firmware/sls/opt-out.ts';
import type { PinAdvice } from '../../firmware/sls/pin-guidance.ts';
import type { Sharing } from '../../firmware/sls/model.ts';
import type { LoginState } from '../sls/login.ts';
import type { LabClockView } from '../sls/lab-clock.ts';
import type { SlsEvent } from '../sls/events.ts';
import type { Notification } from '../sls/ibkey.ts';
import type { Sms, StoredWithdrawal } from '../sls/store.ts';
import type { DeviceView, PhoneView, UserView } from '../sls/views.ts';

export type { DeviceView, Entity, LabClockView, LoginState, SlsEvent, Market, Notification, PhoneView, PinAdvice, Sharing, Sms, UserView };

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;
const e = encodeURIComponent;

export interface PhoneSpec {
  id?: string;
  os: 'ios' | 'android';
  version: number;
  biometrics?: 'face-id' | 'touch-id' | 'fingerprint' | 'none';
  passcode?: boolean;
  rooted?: boolean;
}

export function slsClient(call: Call) {
  return {
    users: () => call<UserView[]>('GET', '/api/sls/users'),
    user: (username: string) => call<UserView>('GET', `/api/sls/users/${e(username)}`),
    createUser: (u: { username: string; password: string; entityId: string; accountId?: string; phones?: string[] }) =>
      call<UserView>('POST', '/api/sls/users', u),
    unlock: (username: string) => call<UserView>('POST', `/api/sls/users/${e(username)}/unlock`),
    entities: () => call<Entity[]>('GET', '/api/sls/entities'),
    createEntity: (x: Omit<Entity, 'id'> & { id?: string }) => call<Entity>('POST', '/api/sls/entities', x),
    /** Links a hosted token to a user, or issues a Temporary Code (shown once in `code`). */
    addDevice: (username: string, d: { kind: DeviceView['kind']; tokenId?: string }) =>
      call<{ device: DeviceView; code?: string }>('POST', `/api/sls/users/${e(username)}/devices`, d),
    revokeDevice: (id: string) => call<DeviceView>('DELETE', `/api/sls/devices/${e(id)}`),
    deposit: (accountId: string, bank: string) =>
      call<{ id: string; depositBanks: string[] }>('POST', `/api/sls/accounts/${e(accountId)}/deposits`, { bank }),
    login: (username: string, password: string) => call<LoginState>('POST', '/api/sls/login', { username, password }),
    /** Ends a session (it is kept in the database until then, or until it expires). */
    logout: (session: string) => call<{ username: string; loggedOut: true }>('POST', '/api/sls/logout', { session }),
    /** The SLS lab clock (moved with every token's clock by `hostClock`; docs/sls.md). */
    clock: () => call<LabClockView>('GET', '/api/sls/clock'),
    setClock: (op: { set?: number; advance?: number; rate?: number; pause?: boolean; real?: true }) =>
      call<LabClockView>('POST', '/api/sls/clock', op),
    loginStatus: (id: string) => call<LoginState>('GET', `/api/sls/login/${e(id)}`),
    answer: (id: string, response: string) => call<LoginState>('POST', `/api/sls/login/${e(id)}/answer`, { response }),
    push: (id: string) => call<LoginState>('POST', `/api/sls/login/${e(id)}/push`),
    shareChallenge: (owner: string, deviceId: string) =>
      call<{ challenge: string | null; indexes?: [number, number] }>('POST', '/api/sls/share/challenge', { owner, deviceId }),
    share: (x: { session: string; owner: string; ownerPassword: string; deviceId: string; challenge?: string; response: string }) =>
      call<Sharing>('POST', '/api/sls/share', x),
    sharings: (status?: Sharing['status']) => call<Sharing[]>('GET', `/api/sls/sharings${status ? `?status=${status}` : ''}`),
    approve: (id: string) => call<Sharing>('POST', `/api/sls/sharings/${e(id)}/approve`),
    reject: (id: string) => call<Sharing>('POST', `/api/sls/sharings/${e(id)}/reject`),
    cancelSharing: (session: string, id: string) => call<Sharing>('POST', `/api/sls/sharings/${e(id)}/cancel`, { session }),
    risks: () => call<{ risks: string[] }>('GET', '/api/sls/opt-out/risks'),
    optOut: (session: string, acknowledge: boolean) => call<UserView>('POST', '/api/sls/opt-out', { session, acknowledge }),
    optIn: (session: string) => call<UserView>('POST', '/api/sls/opt-in', { session }),
    trade: (username: string, market: Market) =>
      call<{ username: string; market: Market; allowed: boolean; reason: string }>('POST', '/api/sls/trade', { username, market }),
    withdraw: (x: { session: string; amount: number; bank: string; requestId?: string }) =>
      call<{ accepted: boolean; exceptional: boolean; repeated: boolean; withdrawal: StoredWithdrawal; user: UserView }>(
        'POST',
        '/api/sls/withdraw',
        x,
      ),
    pinCheck: (pin: string, username?: string) => call<PinAdvice>('POST', '/api/sls/pin-check', username ? { pin, username } : { pin }),
    sms: () => call<Sms[]>('GET', '/api/sls/sms'),
    demo: (password: string) => call<{ users: string[]; tempCode: string }>('POST', '/api/sls/demo', { password }),
    phones: () => call<PhoneView[]>('GET', '/api/sls/phones'),
    phone: (id: string) => call<PhoneView & { notifications: Notification[] }>('GET', `/api/sls/phones/${e(id)}`),
    createPhone: (p: PhoneSpec) => call<PhoneView>('POST', '/api/sls/phones', p),
    /** Removes a phone: its users' IB Key devices on it end (docs/sls.md, "IB Key"). */
    removePhone: (id: string) => call<{ removed: string; devicesEnded: string[] }>('DELETE', `/api/sls/phones/${e(id)}`),
    network: (id: string, on: boolean) => call<PhoneView>('POST', `/api/sls/phones/${e(id)}/network`, { on }),
    activate: (id: string, x: { username: string; password: string; number: string; mode?: 'register' | 'recover' }) =>
      call<{ request: string; number: string; mode: string }>('POST', `/api/sls/phones/${e(id)}/activate`, x),
    confirm: (id: string, x: { request: string; code: string; pin: string; biometrics?: boolean }) =>
      call<{ phone: PhoneView; activationId: string; warnings: string[] }>('POST', `/api/sls/phones/${e(id)}/activate/confirm`, x),
    reinstall: (id: string) => call<PhoneView>('POST', `/api/sls/phones/${e(id)}/reinstall`),
    declineRecovery: (id: string) => call<PhoneView>('POST', `/api/sls/phones/${e(id)}/decline-recovery`),
    respond: (id: string, x: { username: string; challenge: string; pin: string }) =>
      call<{ response: string }>('POST', `/api/sls/phones/${e(id)}/respond`, x),
    approvePush: (id: string, x: { notificationId: string; biometric?: 'succeed' | 'fail' | 'cancel'; pin?: string }) =>
      call<{ outcome: string; message: string }>('POST', `/api/sls/phones/${e(id)}/approve`, x),
  };
}
export type SlsClient = ReturnType<typeof slsClient>;
