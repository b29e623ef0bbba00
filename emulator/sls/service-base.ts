/**
 * The ground every part of the Secure Login System service stands on: its store, gate, clock, rng
 * and events; look-ups that refuse with a clear message; sessions and passwords; and the second
 * factors (a device's challenge and the check of its answer) that login and sharing both use.
 * lab-setup.ts builds the lab's set-up on it, service.ts what a logged-in user does.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../firmware/bytes.ts';
import { checkOcraResponse, issueOcraChallenge, newOcraVerifier } from '../../firmware/verifier/ocra-verifier.ts';
import { IBKEY_SUITE } from '../../firmware/ibkey/app.ts';
import type { Account, Device, Entity } from '../../firmware/sls/model.ts';
import type { Rng } from '../../firmware/rng.ts';
import { SlsError } from './errors.ts';
import { slsEvent, type SlsEvent, type SlsEventFields, type SlsEventName } from './events.ts';
import type { TokenGate } from './gate.ts';
import { DEFAULT_COST, verifyPassword, type ScryptCost } from './passwords.ts';
import type { SlsStore, SlsTx, StoredUser } from './store.ts';

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

export class SlsServiceBase {
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
