/**
 * The card verifier (firmware/verifier/card-verifier.ts) at its edges: the profile and validity
 * bounds, distinct challenge ids, at most 256 outstanding, answers typed with the card's spaces,
 * the key as hex, the counts kept. Written for the mutants test/card.test.ts left alive
 * (docs/conformance.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/bytes.ts';
import { cardValue, DEFAULT_CARD } from '../../firmware/card/card.ts';
import { seededRng } from '../../firmware/rng.ts';
import {
  checkCardAnswer,
  DAY_MS,
  issueCardChallenge,
  newCardVerifier,
  newOnlineCardVerifier,
  type CardChallenge,
} from '../../firmware/verifier/card-verifier.ts';
import { SECRET } from '../device/helpers.ts';
import { inputErrorOf } from '../input-error.ts';
import { issueMany } from './fixtures.ts';

const SERIAL = 'SC0042';
const answerOf = (c: CardChallenge, sep = '') => c.indexes.map((i) => cardValue(SECRET, SERIAL, i)).join(sep);

describe('card verifier edges', () => {
  it('a card needs at least two index numbers; two is enough', () => {
    const e = inputErrorOf(() => newCardVerifier(SERIAL, { profile: { ...DEFAULT_CARD, size: 1 } }));
    expect([e.part, e.message]).toEqual(['size', 'a card needs at least two index numbers to ask for two']);
    const v = newCardVerifier(SERIAL, { profile: { ...DEFAULT_CARD, size: 2 } });
    expect(issueCardChallenge(v, seededRng(1), 0).challenge.indexes.slice().sort()).toEqual([1, 2]);
  });

  it('an online card is valid 1 to 365 whole days', () => {
    for (const days of [0, 366, 1.5, -1, Number.NaN]) {
      const e = inputErrorOf(() => newOnlineCardVerifier(SERIAL, 0, days));
      expect([e.part, e.message]).toEqual(['days', `validity must be 1 to 365 days, got ${days}`]);
    }
    expect(newOnlineCardVerifier(SERIAL, 1000, 1).expiresAt).toBe(1000 + DAY_MS);
    expect(newOnlineCardVerifier(SERIAL, 1000, 365).expiresAt).toBe(1000 + 365 * DAY_MS);
  });

  it('challenges get distinct ids; answering one leaves the others answerable', () => {
    const rng = seededRng('ids');
    const a = issueCardChallenge(newCardVerifier(SERIAL), rng, 0);
    const b = issueCardChallenge(a.state, rng, 0);
    const c = issueCardChallenge(b.state, rng, 0);
    expect(new Set([a.challenge.id, b.challenge.id, c.challenge.id]).size).toBe(3);
    let s = c.state;
    for (const ch of [b.challenge, a.challenge, c.challenge]) {
      const r = checkCardAnswer(s, SECRET, { id: ch.id, answer: answerOf(ch) }, 1);
      expect(r.outcome, ch.id).toBe('accepted');
      s = r.state;
    }
    expect([s.successes, s.failures]).toEqual([3, 0]);
  });

  it('keeps at most 256 challenges outstanding: the oldest lapses, the next one still answers', () => {
    const { state: v, challenges: all } = issueMany(issueCardChallenge, newCardVerifier(SERIAL), seededRng('many'), 257);
    expect(Object.keys(v.issued)).toHaveLength(256);
    expect(checkCardAnswer(v, SECRET, { id: all[0].id, answer: answerOf(all[0]) }, 300).outcome).toBe('unknown-challenge');
    expect(checkCardAnswer(v, SECRET, { id: all[1].id, answer: answerOf(all[1]) }, 300).outcome).toBe('accepted');
  });

  it('accepts the values with the spaces the card shows, and the key as hex', () => {
    const rng = seededRng('typed');
    const a = issueCardChallenge(newCardVerifier(SERIAL), rng, 0);
    expect(checkCardAnswer(a.state, toHex(SECRET), { id: a.challenge.id, answer: ` ${answerOf(a.challenge, '  ')}\t` }, 0).outcome).toBe(
      'accepted',
    );
    expect(inputErrorOf(() => checkCardAnswer(a.state, 'not hex', { id: a.challenge.id, answer: answerOf(a.challenge) }, 0)).part).toBe(
      'secret',
    );
  });

  it('counts each success once', () => {
    const rng = seededRng('count');
    const a = issueCardChallenge(newCardVerifier(SERIAL), rng, 0);
    const r = checkCardAnswer(a.state, SECRET, { id: a.challenge.id, answer: answerOf(a.challenge) }, 0);
    expect(r.state).toMatchObject({ successes: 1, failures: 0, issued: {}, used: { [a.challenge.id]: 0 } });
  });
});
