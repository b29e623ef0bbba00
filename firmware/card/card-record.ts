/** The stored record of an emulated Security Code Card (paper or online). */
import { fromHex, fromUtf8, utf8 } from '../bytes.ts';
import { InputError } from '../errors.ts';
import { checkCardProfile, DEFAULT_CARD, type CardProfile } from './card.ts';
import { isSerial, SERIAL_RULE } from '../serial.ts';

export interface CardRecord {
  v: 1;
  model: 'card';
  serial: string;
  /** Hex; empty when not provisioned (allowed only unsealed). */
  secret: string;
  profile: CardProfile;
  sealed: boolean;
  /** Online card: Unix ms at which it stops being accepted; null for a paper card. */
  expiresAt: number | null;
  /** Hex. The board key AUTHENTICATE checks (PUT_AUTH_KEY); absent: none. Write-only. */
  authKey?: string;
}

export function newCardRecord(p: {
  secret: Uint8Array;
  serial: string;
  profile?: CardProfile;
  expiresAt?: number | null;
  sealed?: boolean;
}): CardRecord {
  const profile = p.profile ?? DEFAULT_CARD;
  checkCardProfile(profile);
  if (p.secret.length < 10 || p.secret.length > 128)
    throw new InputError('secret', `secret must be 10 to 128 bytes, got ${p.secret.length}`);
  if (!isSerial(p.serial)) throw new InputError('serial', `serial must be ${SERIAL_RULE}`);
  let hex = '';
  for (const b of p.secret) hex += b.toString(16).padStart(2, '0');
  return { v: 1, model: 'card', serial: p.serial, secret: hex, profile, sealed: p.sealed ?? true, expiresAt: p.expiresAt ?? null };
}

export function encodeCardRecord(r: CardRecord): Uint8Array {
  return utf8(JSON.stringify(r));
}

export function decodeCardRecord(bytes: Uint8Array): CardRecord {
  let r: Partial<CardRecord>;
  try {
    r = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new InputError('nv', 'stored card record is not valid JSON');
  }
  const bad = (what: string): never => {
    throw new InputError('nv', `stored card record has a bad ${what}`);
  };
  if (typeof r !== 'object' || r === null || r.v !== 1 || r.model !== 'card') bad('version or model');
  if (!isSerial(r.serial)) bad('serial');
  if (typeof r.sealed !== 'boolean') bad('sealed flag');
  try {
    if (typeof r.secret !== 'string') bad('secret');
    const n = fromHex(r.secret as string).length;
    if (n === 0 ? r.sealed : n < 10 || n > 128) bad('secret');
    checkCardProfile(r.profile as CardProfile);
  } catch (e) {
    if (e instanceof InputError && e.part === 'nv') throw e;
    bad('secret or profile');
  }
  if (r.authKey !== undefined) {
    let n = -1;
    try {
      n = typeof r.authKey === 'string' ? fromHex(r.authKey).length : -1;
    } catch {
      bad('authKey');
    }
    if (n !== 0 && (n < 16 || n > 64)) bad('authKey');
  }
  if (!(r.expiresAt === null || (typeof r.expiresAt === 'number' && Number.isSafeInteger(r.expiresAt)))) bad('expiry');
  return r as CardRecord;
}
