/**
 * The login screen's memory of one token, kept in its own record (`verifier.rec`, written like
 * every record: crash-safe, before the outcome is answered): the last accepted TOTP step, the
 * next HOTP or OCRA counter, the outstanding and used challenges (DSC+ and card), the card's next
 * challenge id, and the success and failure counts.
 *
 * The verifier is the login server, not the token: restoring a token's snapshot, or the host
 * restarting, does not roll it back. Its settings (suite, passcode profile, card profile) always
 * follow the token's; its memory is kept, except that counters start over from the token's when
 * the token gets a different secret (a new credential), or from where they were when that secret
 * was last used. The record holds no secret: only `secretId`, a hash that tells whether the
 * secret changed.
 */
import { createHash } from 'node:crypto';
import type { CardRecord } from '../../firmware/card/card-record.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import type { CardToken } from '../../firmware/token/card-token.ts';
import { newCardVerifier, type CardVerifierState } from '../../firmware/verifier/card-verifier.ts';
import { newOcraVerifier, type OcraVerifierState } from '../../firmware/verifier/ocra-verifier.ts';
import { newOtpVerifier, type OtpVerifierState } from '../../firmware/verifier/otp-verifier.ts';
import { RecordError } from './record-file.ts';

export const VERIFIER_KEY = 'verifier';

export interface Verifiers {
  ocra?: OcraVerifierState;
  otp?: OtpVerifierState;
  card?: CardVerifierState;
}

export interface VerifierRecord extends Verifiers {
  v: 1;
  /** First 8 bytes of SHA-256 over the token's secret (hex), or null when it has none. */
  secretId: string | null;
  /**
   * The next counter of each earlier secret (the 16 latest, by secretId), so that a secret that
   * comes back (a snapshot restored after another one) does not bring its used codes back.
   */
  past?: Record<string, number>;
}

const MAX_PAST = 16;

function secretOf(token: DeviceToken | CardToken): string | null {
  return token instanceof DeviceToken ? token.nv.secret || null : (token.record as CardRecord).secret || null;
}

export function secretId(secret: string | null): string | null {
  return secret ? createHash('sha256').update(`tokenbench-verifier ${secret}`).digest('hex').slice(0, 16) : null;
}

/** A new login screen for the token as it is now. */
export function freshVerifiers(token: DeviceToken | CardToken): VerifierRecord {
  const base = { v: 1 as const, secretId: secretId(secretOf(token)) };
  if (token instanceof DeviceToken) {
    const nv = token.nv;
    return nv.model === 'dscplus'
      ? { ...base, ocra: newOcraVerifier(nv.suite!, nv.counter) }
      : { ...base, otp: newOtpVerifier(nv.otp!, nv.counter) };
  }
  const r = token.record as CardRecord;
  return { ...base, card: newCardVerifier(r.serial, { profile: r.profile, expiresAt: r.expiresAt }) };
}

/** The login screen for the token as it is now, keeping what `prev` remembers (see the file comment). */
export function carryVerifiers(prev: VerifierRecord | null, token: DeviceToken | CardToken): VerifierRecord {
  const next = freshVerifiers(token);
  if (!prev) return next;
  const sameSecret = prev.secretId === next.secretId;
  // Counters of a secret that comes back resume where they were.
  const past = { ...prev.past };
  const prevCounter = prev.ocra?.counter ?? prev.otp?.counter;
  if (!sameSecret && prev.secretId && prevCounter !== undefined) {
    const before = past[prev.secretId] ?? 0;
    delete past[prev.secretId];
    past[prev.secretId] = Math.max(prevCounter, before);
  }
  const back = !sameSecret && next.secretId ? past[next.secretId] : undefined;
  if (next.secretId) delete past[next.secretId];
  const keys = Object.keys(past);
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_PAST))) delete past[k];
  if (Object.keys(past).length) next.past = past;
  const resume = (fresh: number) => (back === undefined ? fresh : Math.max(fresh, back));
  const counts = (s: { successes: number; failures: number }) => ({ successes: s.successes, failures: s.failures });
  if (next.ocra && prev.ocra) {
    const sameSuite = prev.ocra.suite === next.ocra.suite;
    next.ocra = {
      ...next.ocra,
      ...counts(prev.ocra),
      issued: sameSuite ? prev.ocra.issued : {},
      used: prev.ocra.used,
      counter: sameSecret && sameSuite ? prev.ocra.counter : resume(next.ocra.counter),
    };
  }
  if (next.otp && prev.otp) {
    const a = prev.otp.otp;
    const b = next.otp.otp;
    // The last accepted TOTP step, in the new step size if it changed: a code is never accepted
    // for a time at or before the last one accepted.
    const lastStep =
      prev.otp.lastStep < 0 || a.step === b.step ? prev.otp.lastStep : Math.floor(((prev.otp.lastStep + 1) * a.step - 1) / b.step);
    next.otp = {
      ...next.otp,
      ...counts(prev.otp),
      lastStep,
      counter: sameSecret && a.mode === b.mode ? prev.otp.counter : resume(next.otp.counter),
    };
  }
  if (next.card && prev.card) {
    const sameCard = prev.card.serial === next.card.serial && JSON.stringify(prev.card.profile) === JSON.stringify(next.card.profile);
    const size = next.card.profile.size;
    const issued = Object.fromEntries(
      Object.entries(sameCard ? prev.card.issued : {}).filter(([, e]) => e.indexes.every((i) => i <= size)),
    );
    next.card = { ...next.card, ...counts(prev.card), issued, used: prev.card.used, nextId: Math.max(prev.card.nextId, next.card.nextId) };
  }
  return next;
}

export function encodeVerifierRecord(r: VerifierRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r));
}

/** Parses a verifier record; only the memory fields are used (settings come from the token). */
export function decodeVerifierRecord(bytes: Uint8Array, path: string): VerifierRecord {
  const bad = (field: string, rule: string): never => {
    throw new RecordError(`${path} is not a tokenbench verifier record: field "${field}" ${rule}`);
  };
  let r: unknown;
  try {
    r = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    bad('', 'JSON is expected');
  }
  const obj = (v: unknown, f: string) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : bad(f, 'must be an object');
  const whole = (v: unknown, f: string, min = 0) =>
    Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : bad(f, `must be a whole number from ${min}`);
  const times = (
    v: unknown,
    f: string,
    key: RegExp,
    entry: (x: unknown, f: string) => unknown = (x, g) => (Number.isFinite(x) ? x : bad(g, 'must be a time in ms')),
  ) => {
    const o = obj(v, f);
    const keys = Object.keys(o);
    if (keys.length > 1024) bad(f, 'has more than 1024 entries');
    for (const k of keys) {
      if (!key.test(k)) bad(`${f}.${k}`, 'is not a challenge');
      entry(o[k], `${f}.${k}`);
    }
    return o;
  };
  const top = obj(r, '');
  if (top.v !== 1) bad('v', 'must be 1');
  if (top.secretId !== null && !(typeof top.secretId === 'string' && /^[0-9a-f]{16}$/.test(top.secretId)))
    bad('secretId', 'must be 16 hex digits or null');
  if (top.past !== undefined) {
    const past = obj(top.past, 'past');
    if (Object.keys(past).length > MAX_PAST) bad('past', `has more than ${MAX_PAST} entries`);
    for (const [k, v] of Object.entries(past)) {
      if (!/^[0-9a-f]{16}$/.test(k)) bad(`past.${k}`, 'is not a secretId');
      whole(v, `past.${k}`);
    }
  }
  const parts = (['ocra', 'otp', 'card'] as const).filter((k) => top[k] !== undefined);
  if (parts.length !== 1) bad('ocra', 'exactly one of ocra, otp and card is expected');
  const challenge = /^[0-9A-Z]{1,64}$/;
  for (const k of parts) {
    const s = obj(top[k], k);
    whole(s.successes, `${k}.successes`);
    whole(s.failures, `${k}.failures`);
    if (k === 'ocra') {
      if (typeof s.suite !== 'string') bad('ocra.suite', 'must be text');
      whole(s.counter, 'ocra.counter');
      times(s.issued, 'ocra.issued', challenge);
      times(s.used, 'ocra.used', challenge);
    } else if (k === 'otp') {
      const p = obj(s.otp, 'otp.otp');
      whole(p.step, 'otp.otp.step', 1);
      if (p.mode !== 'totp' && p.mode !== 'hotp') bad('otp.otp.mode', 'must be totp or hotp');
      whole(s.counter, 'otp.counter');
      whole(s.lastStep, 'otp.lastStep', -1);
    } else {
      if (typeof s.serial !== 'string') bad('card.serial', 'must be text');
      obj(s.profile, 'card.profile');
      whole(s.nextId, 'card.nextId', 1);
      const id = /^c[0-9]{1,15}$/;
      times(s.issued, 'card.issued', id, (x, f) => {
        const e = obj(x, f);
        if (!Array.isArray(e.indexes) || e.indexes.length !== 2 || !e.indexes.every((i) => Number.isSafeInteger(i) && i >= 1))
          bad(`${f}.indexes`, 'must be two index numbers');
        if (!Number.isFinite(e.at)) bad(`${f}.at`, 'must be a time in ms');
      });
      times(s.used, 'card.used', id);
    }
  }
  return top as unknown as VerifierRecord;
}
