/**
 * The login server's side of a Security Code Card (and of its temporary online version, which
 * expires): ask for two distinct index numbers, accept both values typed one after the other, in
 * either case, with or without spaces; each issued challenge can be answered once (a second answer is `replayed`).
 */
import { constantTimeEqualText, fromHex } from '../bytes.ts';
import { cardValue, checkCardProfile, DEFAULT_CARD, type CardProfile } from '../card/card.ts';
import { check } from '../errors.ts';
import { randomInt, type Rng } from '../rng.ts';
import { markUsed } from './ocra-verifier.ts';

export const ONLINE_CARD_DAYS = 21;
export const DAY_MS = 86_400_000;

export interface CardChallenge {
  id: string;
  indexes: [number, number];
}

export interface CardVerifierState {
  serial: string;
  profile: CardProfile;
  /** Unix ms after which the card is refused (online card), or null for a paper card. */
  expiresAt: number | null;
  issued: Record<string, { indexes: [number, number]; at: number }>;
  /** Challenge ids already answered and when: a second answer is a replay. The latest 256. */
  used: Record<string, number>;
  nextId: number;
  successes: number;
  failures: number;
}

export type CardOutcome = 'accepted' | 'wrong' | 'unknown-challenge' | 'expired-challenge' | 'card-expired' | 'replayed';

export function newCardVerifier(serial: string, options: { profile?: CardProfile; expiresAt?: number | null } = {}): CardVerifierState {
  const profile = options.profile ?? DEFAULT_CARD;
  checkCardProfile(profile);
  check(profile.size >= 2, 'size', 'a card needs at least two index numbers to ask for two');
  return { serial, profile, expiresAt: options.expiresAt ?? null, issued: {}, used: {}, nextId: 1, successes: 0, failures: 0 };
}

/** An online card issued at `issuedAt`, valid `days` days (21 by default). */
export function newOnlineCardVerifier(serial: string, issuedAt: number, days = ONLINE_CARD_DAYS, profile?: CardProfile): CardVerifierState {
  check(Number.isInteger(days) && days >= 1 && days <= 365, 'days', `validity must be 1 to 365 days, got ${days}`);
  return newCardVerifier(serial, { profile, expiresAt: issuedAt + days * DAY_MS });
}

export function issueCardChallenge(
  state: CardVerifierState,
  rng: Rng,
  now: number,
): { state: CardVerifierState; challenge: CardChallenge } {
  const size = state.profile.size;
  const a = 1 + randomInt(rng, size);
  let b = 1 + randomInt(rng, size - 1);
  if (b >= a) b++; // two distinct index numbers, each pair equally likely
  const id = `c${state.nextId}`;
  const issued = { ...state.issued, [id]: { indexes: [a, b] as [number, number], at: now } };
  const keys = Object.keys(issued);
  if (keys.length > 256) delete issued[keys[0]];
  return { state: { ...state, issued, nextId: state.nextId + 1 }, challenge: { id, indexes: [a, b] } };
}

export function checkCardAnswer(
  state: CardVerifierState,
  secret: Uint8Array | string,
  answer: { id: string; answer: string },
  now: number,
  ttlMs = 5 * 60_000,
): { state: CardVerifierState; outcome: CardOutcome } {
  const entry = state.issued[answer.id];
  const fail = (s: CardVerifierState, outcome: CardOutcome) => ({ state: { ...s, failures: s.failures + 1 }, outcome });
  if (!entry) return fail(state, answer.id in state.used ? 'replayed' : 'unknown-challenge');
  const issued = { ...state.issued };
  delete issued[answer.id];
  const next = { ...state, issued, used: markUsed(state.used, answer.id, now) };
  if (state.expiresAt !== null && now >= state.expiresAt) return fail(next, 'card-expired');
  if (now - entry.at >= ttlMs) return fail(next, 'expired-challenge');
  const key = typeof secret === 'string' ? fromHex(secret, 'secret') : secret;
  const expected = entry.indexes.map((i) => cardValue(key, state.serial, i, state.profile)).join('');
  // People copy values with the space the card shows between them: spaces do not count.
  const typed = String(answer.answer).replace(/\s+/g, '').toUpperCase();
  const right = constantTimeEqualText(typed, expected.toUpperCase());
  return right ? { state: { ...next, successes: next.successes + 1 }, outcome: 'accepted' } : fail(next, 'wrong');
}
