/**
 * The one storage interface of the Secure Login System service. Everything the service keeps goes
 * through a transaction: it sees a consistent state and its writes land all together or not at
 * all. Methods are async so that a server database (PostgreSQL for a team server) can implement
 * the same interface; the embedded implementation is sqlite-store.ts. docs/sls.md, "Storage".
 */
import type { AppState, PhoneProfile } from '../../firmware/ibkey/app.ts';
import type { Account, Device, DeviceKind, Entity, Sharing, User } from '../../firmware/sls/model.ts';
import type { OcraVerifierState } from '../../firmware/verifier/ocra-verifier.ts';

/** A user as stored: the password only as its scrypt hash (passwords.ts). */
export interface StoredUser extends User {
  passwordHash: string;
  createdAt: number;
}

export interface StoredWithdrawal {
  id: string;
  /** Given by the client to make a retried request count once. */
  requestId: string | null;
  username: string;
  accountId: string;
  amount: number;
  bank: string;
  at: number;
  exceptional: boolean;
}

export interface Phone {
  id: string;
  profile: PhoneProfile;
  network: boolean;
  app: AppState;
}

export interface Activation {
  id: string;
  username: string;
  phoneId: string;
  /** The per-activation OCRA key, hex (the server's copy). */
  key: string;
  active: boolean;
  createdAt: number;
}

/** An activation waiting for its SMS code. */
export interface PendingActivation {
  id: string;
  username: string;
  phoneId: string;
  number: string;
  code: string;
  mode: 'register' | 'recover';
  expiresAt: number;
  triesLeft: number;
}

export interface Sms {
  id: number;
  number: string;
  text: string;
  at: number;
}

/** A completed login's session, kept by the SHA-256 of its token (the token itself is never stored). */
export interface StoredSession {
  tokenHash: string;
  username: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * A login between the password and the second factor (or done, until it expires). Kept by the
 * SHA-256 of its id: the id is what the login page holds, and it fetches the session. No password,
 * PIN, response or session token is in it; a challenge and the card's index pair are.
 */
export interface StoredLogin {
  idHash: string;
  username: string;
  status: 'second-factor' | 'done' | 'failed';
  device: { id: string; kind: DeviceKind; name: string; tokenId: string | null } | null;
  deviceRec: Device | null;
  phoneId: string | null;
  challenge: string | null;
  indexes: [number, number] | null;
  /** The card verifier's id for the index pair shown. */
  cardChallenge: string | null;
  /** The challenge signed by the push approval. */
  pushChallenge: string | null;
  push: 'none' | 'sent' | 'approved' | 'failed' | 'cancelled' | 'not-delivered';
  wrongAnswers: number;
  /** A push was approved and the session not yet fetched: the next status look opens it. */
  sessionDue: boolean;
  message: string;
  createdAt: number;
  expiresAt: number;
}

/** A push notification on a phone, waiting to be opened (expires with its login). */
export interface StoredNotification {
  id: string;
  phoneId: string;
  username: string;
  /** The SHA-256 of the login's id (the id itself is kept by the login page only). */
  loginHash: string;
  challenge: string;
  at: number;
  expiresAt: number;
  status: 'new' | 'approved' | 'failed' | 'cancelled';
}

export interface SlsTx {
  entity(id: string): Promise<Entity | null>;
  entities(): Promise<Entity[]>;
  putEntity(e: Entity): Promise<void>;
  account(id: string): Promise<Account | null>;
  accounts(): Promise<Account[]>;
  putAccount(a: Account): Promise<void>;
  user(username: string): Promise<StoredUser | null>;
  users(): Promise<StoredUser[]>;
  putUser(u: StoredUser): Promise<void>;
  device(id: string): Promise<Device | null>;
  devices(): Promise<Device[]>;
  putDevice(d: Device): Promise<void>;
  sharing(id: string): Promise<Sharing | null>;
  sharings(): Promise<Sharing[]>;
  putSharing(s: Sharing): Promise<void>;
  withdrawals(username: string, since: number): Promise<StoredWithdrawal[]>;
  withdrawalByRequest(requestId: string): Promise<StoredWithdrawal | null>;
  addWithdrawal(w: StoredWithdrawal): Promise<void>;
  phone(id: string): Promise<Phone | null>;
  phones(): Promise<Phone[]>;
  putPhone(p: Phone): Promise<void>;
  /** Deletes the phone with its activations, their verifiers, its notifications and activation requests (IbKeyService.removePhone ends their devices first). */
  deletePhone(id: string): Promise<void>;
  activation(id: string): Promise<Activation | null>;
  activations(): Promise<Activation[]>;
  putActivation(a: Activation): Promise<void>;
  pending(id: string): Promise<PendingActivation | null>;
  putPending(p: PendingActivation): Promise<void>;
  deletePending(id: string): Promise<void>;
  addSms(s: Omit<Sms, 'id'>): Promise<Sms>;
  sms(limit: number): Promise<Sms[]>;
  session(tokenHash: string): Promise<StoredSession | null>;
  putSession(s: StoredSession): Promise<void>;
  deleteSession(tokenHash: string): Promise<boolean>;
  /** Removes the sessions that expired at or before `now`; answers how many. */
  deleteExpiredSessions(now: number): Promise<number>;
  login(idHash: string): Promise<StoredLogin | null>;
  putLogin(l: StoredLogin): Promise<void>;
  /** Removes the logins (and their notifications) that expired at or before `now`. */
  deleteExpiredLogins(now: number): Promise<number>;
  /** The login server's verifier of an IB Key activation (challenges issued and used), or null. */
  ibVerifier(activationId: string): Promise<OcraVerifierState | null>;
  putIbVerifier(activationId: string, state: OcraVerifierState): Promise<void>;
  notification(id: string): Promise<StoredNotification | null>;
  /** The phone's notifications still open ('new') and not expired at `now`, oldest first. */
  openNotifications(phoneId: string, now: number): Promise<StoredNotification[]>;
  putNotification(n: StoredNotification): Promise<void>;
  /** A setting of the service (plain JSON), or null. */
  setting<T>(key: string): Promise<T | null>;
  putSetting(key: string, value: unknown): Promise<void>;
}

export interface SlsStore {
  /** Runs `fn` in one transaction, one at a time; a throw rolls everything back. */
  transaction<T>(fn: (tx: SlsTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
