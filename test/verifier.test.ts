import { describe, expect, it } from 'vitest';
import { hotp } from '../firmware/crypto/hotp.ts';
import { ocra } from '../firmware/crypto/ocra.ts';
import { totp } from '../firmware/crypto/totp.ts';
import { seededRng } from '../firmware/rng.ts';
import { checkOcraResponse, issueOcraChallenge, newOcraVerifier } from '../firmware/verifier/ocra-verifier.ts';
import { checkPasscode, newOtpVerifier } from '../firmware/verifier/otp-verifier.ts';
import { Bench, SECRET } from './device/helpers.ts';

describe('DSC+ verifier', () => {
  it('issues challenges of the suite format and length', () => {
    const rng = seededRng(1);
    for (const [suite, re] of [
      ['OCRA-1:HOTP-SHA1-8:QN06', /^\d{6}$/],
      ['OCRA-1:HOTP-SHA1-8:QA10', /^[A-Z0-9]{10}$/],
      ['OCRA-1:HOTP-SHA1-8:QH16', /^[0-9A-F]{16}$/],
    ] as const) {
      expect(issueOcraChallenge(newOcraVerifier(suite), rng, 0).challenge).toMatch(re);
    }
  });

  it('accepts the response the DSC+ model shows, once', () => {
    const b = Bench.create({ model: 'dscplus' });
    let v = newOcraVerifier('OCRA-1:HOTP-SHA1-8:QN06');
    const issued = issueOcraChallenge(v, seededRng(2), b.t);
    v = issued.state;
    const response = b.keys(`PRESS 1234 OK ${issued.challenge} OK`);
    const first = checkOcraResponse(v, SECRET, { challenge: issued.challenge, response }, b.t);
    expect(first.outcome).toBe('accepted');
    expect(first.state.successes).toBe(1);
    const replay = checkOcraResponse(first.state, SECRET, { challenge: issued.challenge, response }, b.t);
    expect(replay.outcome).toBe('replayed');
    expect(replay.state.failures).toBe(1);
  });

  it('uses up a challenge on a wrong answer too', () => {
    const { state, challenge } = issueOcraChallenge(newOcraVerifier('OCRA-1:HOTP-SHA1-8:QN06'), seededRng(3), 0);
    const right = ocra('OCRA-1:HOTP-SHA1-8:QN06', SECRET, { question: challenge });
    const wrong = checkOcraResponse(state, SECRET, { challenge, response: '00000000' }, 0);
    expect(wrong.outcome).toBe('wrong');
    expect(checkOcraResponse(wrong.state, SECRET, { challenge, response: right }, 0).outcome).toBe('replayed');
    expect(
      checkOcraResponse(wrong.state, SECRET, { challenge: '000000' === challenge ? '111111' : '000000', response: right }, 0).outcome,
    ).toBe('unknown-challenge');
  });

  it('expires a challenge at its time to live', () => {
    const { state, challenge } = issueOcraChallenge(newOcraVerifier('OCRA-1:HOTP-SHA1-8:QN06'), seededRng(3), 0);
    const response = ocra('OCRA-1:HOTP-SHA1-8:QN06', SECRET, { question: challenge });
    expect(checkOcraResponse(state, SECRET, { challenge, response }, 9_999, { ttlMs: 10_000 }).outcome).toBe('accepted');
    expect(checkOcraResponse(state, SECRET, { challenge, response }, 10_000, { ttlMs: 10_000 }).outcome).toBe('expired');
  });

  it('follows the token counter within the look-ahead and moves past it', () => {
    const suite = 'OCRA-1:HOTP-SHA1-8:C-QN06';
    let v = newOcraVerifier(suite);
    const rng = seededRng(4);
    const issued = issueOcraChallenge(v, rng, 0);
    const response = ocra(suite, SECRET, { question: issued.challenge, counter: 7 });
    const r = checkOcraResponse(issued.state, SECRET, { challenge: issued.challenge, response }, 0);
    expect(r.outcome).toBe('accepted');
    expect(r.state.counter).toBe(8);
    v = r.state;
    const again = issueOcraChallenge(v, rng, 0);
    const old = ocra(suite, SECRET, { question: again.challenge, counter: 7 });
    expect(checkOcraResponse(again.state, SECRET, { challenge: again.challenge, response: old }, 0).outcome).toBe('wrong');
  });

  it('checks PIN suites with the PIN the user gives', () => {
    const suite = 'OCRA-1:HOTP-SHA256-8:QN08-PSHA1';
    const { state, challenge } = issueOcraChallenge(newOcraVerifier(suite), seededRng(5), 0);
    const response = ocra(suite, SECRET, { question: challenge, pin: '1234' });
    expect(checkOcraResponse(state, SECRET, { challenge, response, pin: '4321' }, 0).outcome).toBe('wrong');
    const s2 = issueOcraChallenge(newOcraVerifier(suite), seededRng(5), 0);
    expect(checkOcraResponse(s2.state, SECRET, { challenge, response, pin: '1234' }, 0).outcome).toBe('accepted');
  });
});

describe('DSC verifier', () => {
  const TOTP = { mode: 'totp', algorithm: 'sha1', digits: 6, step: 30 } as const;

  it('accepts the DSC model passcode with one step of drift, and never the same step twice', () => {
    const b = Bench.create({ model: 'dsc' });
    const code = b.keys('PRESS:2000 1234 OK');
    const v = newOtpVerifier(TOTP);
    const late = checkPasscode(v, SECRET, code, b.t + 30_000);
    expect(late.outcome).toBe('accepted');
    expect(checkPasscode(late.state, SECRET, code, b.t).outcome).toBe('replayed');
    expect(checkPasscode(v, SECRET, code, b.t + 60_000 + 30_000).outcome).toBe('wrong');
  });

  it('refuses an older step after a newer one was accepted', () => {
    const t = 1_700_000_000_000;
    const v = newOtpVerifier(TOTP);
    const newer = checkPasscode(v, SECRET, totp(SECRET, t / 1000), t);
    expect(checkPasscode(newer.state, SECRET, totp(SECRET, t / 1000 - 30), t).outcome).toBe('replayed');
  });

  it('follows HOTP counters within the window', () => {
    const v = newOtpVerifier({ mode: 'hotp', algorithm: 'sha1', digits: 6, step: 30 });
    const r = checkPasscode(v, SECRET, hotp(SECRET, 4), 0);
    expect(r).toMatchObject({ outcome: 'accepted', state: { counter: 5 } });
    expect(checkPasscode(r.state, SECRET, hotp(SECRET, 4), 0).outcome).toBe('wrong');
    expect(checkPasscode(v, SECRET, hotp(SECRET, 11), 0).outcome).toBe('wrong');
  });
});
