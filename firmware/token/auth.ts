/**
 * Session authentication (AUTHENTICATE, docs/protocol.md "Sessions and privileges") and the plane
 * rule: commands of the power, clock, provisioning (but GET_STATE), test and firmware planes need a
 * privileged session whenever the token's policy says so.
 *
 * The exchange: P1=01 takes the host's 16-byte NONCE and answers a fresh 16-byte AUTH_CHALLENGE;
 * P1=02 takes MAC = HMAC-SHA256(key, challenge || nonce) and, when it matches one of the accepted
 * keys, marks the session privileged and answers MAC = HMAC-SHA256(key, nonce || challenge), the
 * device's proof that it holds the key too. A challenge is used up by its first answer, right or
 * wrong. P1=00 reads AUTH_STATE.
 */
import { concat } from '../../protocol/bytes.ts';
import { AUTH_MAC_SIZE, AUTH_NONCE_SIZE, AUTH_STATE, isPrivileged, SW, TAG, type CommandDef } from '../../protocol/codes.ts';
import type { Session } from '../../protocol/server.ts';
import { constantTimeEqual } from '../bytes.ts';
import { macFor } from '../crypto/mac.ts';
import type { Rng } from '../rng.ts';
import { CommandError, field, type Ctx, type Field, type Handler } from './dispatch.ts';

/** The board key's size range (PUT_AUTH_KEY). */
export const AUTH_KEY_MIN = 16;
export const AUTH_KEY_MAX = 64;

/** Who may use the privileged planes of one token. */
export interface AuthPolicy {
  /** Keys AUTHENTICATE accepts (the host's lab key, the token's own board key). */
  keys(): Uint8Array[];
  /** True when privileged commands need an authenticated session now. */
  required(): boolean;
}

/**
 * The policy of a token served by the emulator host: every session starts unprivileged and the
 * host's lab key (and the token's own board key, if it has one) authenticates.
 */
export function hostPolicy(labKey: Uint8Array, ownKey: () => Uint8Array | null): AuthPolicy {
  return {
    keys: () => {
      const own = ownKey();
      return own ? [labKey, own] : [labKey];
    },
    required: () => true,
  };
}

/**
 * The policy of a board (and of a bare golden model): unsealed, it accepts privileged commands from
 * anyone (a factory-fresh device on the bench); sealed, only from a session that authenticated
 * with its board key.
 */
export function boardPolicy(sealed: () => boolean, ownKey: () => Uint8Array | null): AuthPolicy {
  return {
    keys: () => {
      const own = ownKey();
      return own ? [own] : [];
    },
    required: sealed,
  };
}

/** HMAC-SHA256 of the concatenated parts under `key`. */
export function authMac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return macFor('sha256', key)(concat(...parts));
}

/** Why `def` may not run on `session` under `policy`, or null when it may. */
export function refusal(def: CommandDef, session: Session, policy: AuthPolicy): string | null {
  if (!isPrivileged(def) || session.privileged || !policy.required()) return null;
  return `${def.name} is in the ${def.plane} plane, which needs an authenticated session: AUTHENTICATE first`;
}

/** The AUTHENTICATE handler for a token with `policy`, drawing challenges from `rng`. */
export function authenticateHandler(policy: AuthPolicy, rng: Rng): Handler {
  return (ctx: Ctx): Field[] => {
    const { p1, p2 } = ctx.command;
    if (p2 !== 0 || p1 > 2) throw new CommandError(SW.BAD_P1P2, 'P1 must be 00 (state), 01 (challenge) or 02 (answer) and P2 00');
    const session = ctx.session;
    if (p1 === 0) {
      const state = (session.privileged ? AUTH_STATE.PRIVILEGED : 0) | (policy.required() ? AUTH_STATE.REQUIRED : 0);
      return [[TAG.AUTH_STATE, Uint8Array.of(state)]];
    }
    if (p1 === 1) {
      const nonce = field(ctx, TAG.NONCE);
      if (nonce.length !== AUTH_NONCE_SIZE)
        throw new CommandError(SW.BAD_DATA, `NONCE must be ${AUTH_NONCE_SIZE} bytes, got ${nonce.length}`);
      const challenge = rng(AUTH_NONCE_SIZE);
      session.pendingAuth = { challenge, nonce: nonce.slice() };
      return [[TAG.AUTH_CHALLENGE, challenge]];
    }
    const pending = session.pendingAuth;
    if (!pending) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'no challenge pending: send AUTHENTICATE P1=01 first');
    session.pendingAuth = undefined;
    const mac = field(ctx, TAG.MAC);
    if (mac.length !== AUTH_MAC_SIZE) throw new CommandError(SW.BAD_DATA, `MAC must be ${AUTH_MAC_SIZE} bytes, got ${mac.length}`);
    // Every key is tried, so the time taken does not tell which one (if any) matched.
    let matched: Uint8Array | null = null;
    for (const key of policy.keys()) if (constantTimeEqual(authMac(key, pending.challenge, pending.nonce), mac) && !matched) matched = key;
    if (!matched) throw new CommandError(SW.SECURITY_NOT_SATISFIED, 'authentication failed');
    session.privileged = true;
    return [[TAG.MAC, authMac(matched, pending.nonce, pending.challenge)]];
  };
}
