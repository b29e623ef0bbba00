/**
 * The DSC+ verifier (firmware/verifier/ocra-verifier.ts) at its edges: fresh challenges never
 * repeat an outstanding or used one, at most 256 outstanding and 256 remembered as used, the
 * default time to live, time suites and their drift, responses as typed, the counts kept.
 * Written for the mutants test/verifier.test.ts left alive (docs/conformance.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/bytes.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { seededRng } from '../../firmware/rng.ts';
import {
  checkOcraResponse,
  DEFAULT_TTL_MS,
  issueOcraChallenge,
  newOcraVerifier,
  type OcraVerifierState,
} from '../../firmware/verifier/ocra-verifier.ts';
import { SECRET } from '../device/helpers.ts';
import { inputErrorOf } from '../input-error.ts';
import { issueMany } from './fixtures.ts';

const SUITE = 'OCRA-1:HOTP-SHA1-8:QN06';
const right = (challenge: string) => ocra(SUITE, SECRET, { question: challenge });

describe('DSC+ verifier edges', () => {
  it('never issues a challenge that is outstanding or already used, even when the random source repeats', () => {
    let v = newOcraVerifier(SUITE);
    const first = issueOcraChallenge(v, seededRng('same'), 0);
    v = first.state;
    const second = issueOcraChallenge(v, seededRng('same'), 0);
    expect(second.challenge).not.toBe(first.challenge);
    expect(Object.keys(second.state.issued).sort()).toEqual([first.challenge, second.challenge].sort());
    // Answered (used up), then the same random draw again: still a new challenge.
    const used = checkOcraResponse(first.state, SECRET, { challenge: first.challenge, response: right(first.challenge) }, 0).state;
    expect(used.issued).toEqual({});
    expect(issueOcraChallenge(used, seededRng('same'), 0).challenge).not.toBe(first.challenge);
  });

  it('keeps at most 256 challenges outstanding: the oldest lapses, the next one still answers', () => {
    const { state: v, challenges: all } = issueMany(issueOcraChallenge, newOcraVerifier(SUITE), seededRng('many'), 257);
    expect(Object.keys(v.issued)).toHaveLength(256);
    expect(checkOcraResponse(v, SECRET, { challenge: all[0], response: right(all[0]) }, 300).outcome).toBe('unknown-challenge');
    expect(checkOcraResponse(v, SECRET, { challenge: all[1], response: right(all[1]) }, 300).outcome).toBe('accepted');
  });

  it('a burst in one millisecond: every challenge handed out is outstanding, never the one lapsed', () => {
    let v = newOcraVerifier(SUITE);
    const rng = seededRng('burst');
    const lost: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = issueOcraChallenge(v, rng, 5);
      v = r.state;
      if (!(r.challenge in v.issued)) lost.push(r.challenge);
    }
    expect(lost).toEqual([]);
    expect(Object.keys(v.issued)).toHaveLength(256);
  });

  it('remembers the latest 256 answered challenges as used: the oldest by time is the one forgotten', () => {
    let v = newOcraVerifier(SUITE);
    const rng = seededRng('used');
    const answered: string[] = [];
    for (let i = 0; i < 257; i++) {
      const r = issueOcraChallenge(v, rng, i);
      answered.push(r.challenge);
      v = checkOcraResponse(r.state, SECRET, { challenge: r.challenge, response: '00000000' }, i).state;
    }
    expect(Object.keys(v.used)).toHaveLength(256);
    expect(v.used[answered[0]]).toBeUndefined();
    expect(checkOcraResponse(v, SECRET, { challenge: answered[0], response: right(answered[0]) }, 300).outcome).toBe('unknown-challenge');
    for (const c of answered.slice(1))
      expect(checkOcraResponse(v, SECRET, { challenge: c, response: right(c) }, 300).outcome, c).toBe('replayed');
  });

  it('answering one challenge leaves the other outstanding ones answerable', () => {
    const rng = seededRng('two');
    const a = issueOcraChallenge(newOcraVerifier(SUITE), rng, 0);
    const b = issueOcraChallenge(a.state, rng, 0);
    const first = checkOcraResponse(b.state, SECRET, { challenge: a.challenge, response: right(a.challenge) }, 1);
    expect(checkOcraResponse(first.state, SECRET, { challenge: b.challenge, response: right(b.challenge) }, 1).outcome).toBe('accepted');
  });

  it('by default a challenge lives 5 minutes; an expired one is counted as a failure and the rest of the state kept', () => {
    expect(DEFAULT_TTL_MS).toBe(300_000);
    const rng = seededRng('ttl');
    const a = issueOcraChallenge(newOcraVerifier(SUITE), rng, 0);
    const b = issueOcraChallenge(a.state, rng, 0);
    expect(checkOcraResponse(b.state, SECRET, { challenge: a.challenge, response: right(a.challenge) }, 299_999).outcome).toBe('accepted');
    const late = checkOcraResponse(b.state, SECRET, { challenge: a.challenge, response: right(a.challenge) }, 300_000);
    expect(late.outcome).toBe('expired');
    expect(late.state).toMatchObject({
      suite: SUITE,
      failures: 1,
      successes: 0,
      issued: { [b.challenge]: 0 },
      used: { [a.challenge]: 300_000 },
    });
  });

  it('counts wrong answers as failures', () => {
    const { state, challenge } = issueOcraChallenge(newOcraVerifier(SUITE), seededRng('w'), 0);
    const r = checkOcraResponse(state, SECRET, { challenge, response: '00000000' }, 0);
    expect(r.outcome === 'wrong' ? r.state.failures : 'accepted by chance').toBe(1);
  });

  it('takes the key as hex and the response with the spaces it was typed with; a response that is not text is refused', () => {
    const rng = seededRng('typed');
    const a = issueOcraChallenge(newOcraVerifier(SUITE), rng, 0);
    expect(checkOcraResponse(a.state, toHex(SECRET), { challenge: a.challenge, response: ` ${right(a.challenge)}\n` }, 0).outcome).toBe(
      'accepted',
    );
    const e = inputErrorOf(() =>
      checkOcraResponse(a.state, SECRET, { challenge: a.challenge, response: 12345678 as unknown as string }, 0),
    );
    expect([e.part, e.message]).toEqual(['response', 'response must be text']);
    expect(
      inputErrorOf(() => checkOcraResponse(a.state, 'not hex', { challenge: a.challenge, response: right(a.challenge) }, 0)).part,
    ).toBe('key');
  });

  it('a suite without a counter keeps the counter where it was after an accepted response', () => {
    const a = issueOcraChallenge(newOcraVerifier(SUITE, 7), seededRng('c'), 0);
    const r = checkOcraResponse(a.state, SECRET, { challenge: a.challenge, response: right(a.challenge) }, 0);
    expect(r.outcome).toBe('accepted');
    expect(r.state.counter).toBe(7);
  });

  it("time suites: the response for the verifier's clock, within the drift given", () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08-T1M';
    const now = 1_700_000_040_000;
    const issue = (): [OcraVerifierState, string] => {
      const r = issueOcraChallenge(newOcraVerifier(suite), seededRng('time'), now);
      return [r.state, r.challenge];
    };
    const [v, q] = issue();
    const at = (secondsAgo: number) => ocra(suite, SECRET, { question: q, time: now / 1000 - secondsAgo });
    expect(checkOcraResponse(v, SECRET, { challenge: q, response: at(0) }, now).outcome).toBe('accepted');
    expect(checkOcraResponse(v, SECRET, { challenge: q, response: at(60) }, now).outcome).toBe('accepted');
    expect(checkOcraResponse(v, SECRET, { challenge: q, response: at(120) }, now).outcome).toBe('wrong');
    expect(checkOcraResponse(v, SECRET, { challenge: q, response: at(120) }, now, { timeDrift: 2 }).outcome).toBe('accepted');
    expect(checkOcraResponse(v, SECRET, { challenge: q, response: at(60) }, now, { timeDrift: 0 }).outcome).toBe('wrong');
  });

  it('PIN suites: an answer without a PIN is checked as an empty PIN, never as any other', () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08-PSHA1';
    const r = issueOcraChallenge(newOcraVerifier(suite), seededRng('pin'), 0);
    const withPin = (pin: string) => ocra(suite, SECRET, { question: r.challenge, pin });
    expect(checkOcraResponse(r.state, SECRET, { challenge: r.challenge, response: withPin('1234') }, 0).outcome).toBe('wrong');
    expect(checkOcraResponse(r.state, SECRET, { challenge: r.challenge, response: withPin('') }, 0).outcome).toBe('accepted');
  });
});
