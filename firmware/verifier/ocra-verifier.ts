/**
 * The login server's side of a DSC+: issue a challenge in the suite's format and length, check a
 * response once (each challenge answers at most one check, right or wrong), count failures.
 * State is plain JSON; the key and PIN are passed in, never stored in it.
 */
import { fromHex } from '../bytes.ts';
import { check } from '../errors.ts';
import { verifyOcra } from '../crypto/ocra.ts';
import { parseSuite } from '../crypto/ocra-suite.ts';
import { randomString, type Rng } from '../rng.ts';

export interface OcraVerifierState {
  suite: string;
  /** Outstanding challenges and when they were issued (ms). */
  issued: Record<string, number>;
  /** Challenges already answered (right or wrong) and when: a second answer is a replay. The latest 256. */
  used: Record<string, number>;
  /** Next counter expected from the token (suites with C). */
  counter: number;
  successes: number;
  failures: number;
}

export interface OcraVerifierOptions {
  /** How long an issued challenge can be answered; default 5 minutes. */
  ttlMs?: number;
  /** Counter look-ahead for suites with C; default 10. */
  counterWindow?: number;
  /** Time steps of drift either way for suites with T; default 1. */
  timeDrift?: number;
}

export type CheckOutcome = 'accepted' | 'wrong' | 'unknown-challenge' | 'expired' | 'replayed';

export interface CheckResult<S> {
  state: S;
  outcome: CheckOutcome;
}

const MAX_OUTSTANDING = 256;
export const DEFAULT_TTL_MS = 5 * 60_000;

export function newOcraVerifier(suite: string, counter = 0): OcraVerifierState {
  // Canonical form: a verifier and its token agree on the suite however it was written.
  return { suite: parseSuite(suite).text, issued: {}, used: {}, counter, successes: 0, failures: 0 };
}

const ALPHABETS = { N: '0123456789', H: '0123456789ABCDEF', A: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789' } as const;

/**
 * Issues a fresh challenge of exactly the suite's question length. Beyond 256 outstanding, the
 * oldest by issue time lapses (never the one just issued): key order is no guide, as digit
 * challenges without a leading zero are ordered numerically, not by insertion.
 */
export function issueOcraChallenge(state: OcraVerifierState, rng: Rng, now: number): { state: OcraVerifierState; challenge: string } {
  const { format, length } = parseSuite(state.suite).question;
  let challenge: string;
  do challenge = randomString(rng, ALPHABETS[format], length);
  while (challenge in state.issued || challenge in state.used);
  const issued = { ...state.issued, [challenge]: now };
  const keys = Object.keys(issued);
  if (keys.length > MAX_OUTSTANDING) delete issued[keys.filter((k) => k !== challenge).reduce((a, b) => (issued[b] < issued[a] ? b : a))];
  return { state: { ...state, issued }, challenge };
}

export interface OcraAnswer {
  challenge: string;
  response: string;
  /** The user's PIN, for suites with P. */
  pin?: string;
}

/**
 * Adds `key` to a used list, keeping the latest 256 by time (object key order is numeric for
 * digit strings, so the oldest is found by its time). One that falls off is still refused, as
 * `unknown-challenge`: it is no longer issued.
 */
export function markUsed(used: Record<string, number>, key: string, now: number): Record<string, number> {
  const next = { ...used, [key]: now };
  const keys = Object.keys(next);
  if (keys.length > MAX_OUTSTANDING) delete next[keys.reduce((a, b) => (next[b] < next[a] ? b : a))];
  return next;
}

/**
 * Checks a response to an issued challenge; the challenge is used up whatever the outcome, and a
 * second answer to it is refused as `replayed` (RFC 6287 section 7.1: each challenge is used once).
 */
export function checkOcraResponse(
  state: OcraVerifierState,
  key: Uint8Array | string,
  answer: OcraAnswer,
  now: number,
  options: OcraVerifierOptions = {},
): CheckResult<OcraVerifierState> {
  const suite = parseSuite(state.suite);
  const issuedAt = state.issued[answer.challenge];
  if (issuedAt === undefined)
    return {
      state: { ...state, failures: state.failures + 1 },
      outcome: answer.challenge in state.used ? 'replayed' : 'unknown-challenge',
    };
  const issued = { ...state.issued };
  delete issued[answer.challenge];
  const next = { ...state, issued, used: markUsed(state.used, answer.challenge, now) };
  if (now - issuedAt >= (options.ttlMs ?? DEFAULT_TTL_MS)) return { state: { ...next, failures: next.failures + 1 }, outcome: 'expired' };
  check(typeof answer.response === 'string', 'response', 'response must be text');
  const match = verifyOcra(
    suite,
    typeof key === 'string' ? fromHex(key, 'key') : key,
    answer.response.trim(),
    {
      question: answer.challenge,
      counter: suite.counter ? state.counter : undefined,
      pin: suite.pin ? (answer.pin ?? '') : undefined,
      time: suite.timeStep !== undefined ? Math.floor(now / 1000) : undefined,
    },
    { counterWindow: suite.counter ? (options.counterWindow ?? 10) : 0, timeDrift: suite.timeStep ? (options.timeDrift ?? 1) : 0 },
  );
  if (!match) return { state: { ...next, failures: next.failures + 1 }, outcome: 'wrong' };
  return {
    state: { ...next, successes: next.successes + 1, counter: match.counter !== undefined ? Number(match.counter) + 1 : next.counter },
    outcome: 'accepted',
  };
}
