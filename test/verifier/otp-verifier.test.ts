/**
 * The DSC verifier (firmware/verifier/otp-verifier.ts) at its edges: the token's own digits,
 * algorithm and step, the look-ahead and drift windows given, codes as typed, the counts kept.
 * Written for the mutants test/verifier.test.ts left alive (docs/conformance.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { toHex } from '../../firmware/bytes.ts';
import { checkPasscode, newOtpVerifier } from '../../firmware/verifier/otp-verifier.ts';
import { SECRET } from '../device/helpers.ts';
import { inputErrorOf } from '../input-error.ts';

const T0 = 1_700_000_040_000; // a multiple of 60 s
const TOTP8 = { mode: 'totp', algorithm: 'sha256', digits: 8, step: 60 } as const;
const HOTP8 = { mode: 'hotp', algorithm: 'sha512', digits: 8, step: 30 } as const;

describe('DSC verifier edges', () => {
  it("checks a TOTP code with the token's digits, algorithm and step", () => {
    const code = totp(SECRET, T0 / 1000, { digits: 8, algorithm: 'sha256', step: 60 });
    const r = checkPasscode(newOtpVerifier(TOTP8), SECRET, code, T0 + 59_000);
    expect(r.outcome).toBe('accepted');
    expect(r.state.lastStep).toBe(T0 / 60_000);
  });

  it("checks an HOTP code with the token's digits and algorithm", () => {
    const r = checkPasscode(newOtpVerifier(HOTP8), SECRET, hotp(SECRET, 3, { digits: 8, algorithm: 'sha512' }), 0);
    expect(r).toMatchObject({ outcome: 'accepted', state: { counter: 4, successes: 1, failures: 0 } });
  });

  it('honours the HOTP look-ahead window it is given', () => {
    const v = newOtpVerifier({ ...HOTP8, algorithm: 'sha1', digits: 6 });
    expect(checkPasscode(v, SECRET, hotp(SECRET, 3), 0, { window: 3 }).outcome).toBe('accepted');
    expect(checkPasscode(v, SECRET, hotp(SECRET, 4), 0, { window: 3 }).outcome).toBe('wrong');
    expect(checkPasscode(v, SECRET, hotp(SECRET, 10), 0).outcome).toBe('accepted');
  });

  it('honours the TOTP drift it is given', () => {
    const v = newOtpVerifier({ ...TOTP8, step: 30 });
    const twoBack = totp(SECRET, T0 / 1000 - 60, { digits: 8, algorithm: 'sha256' });
    expect(checkPasscode(v, SECRET, twoBack, T0, { drift: 2 }).outcome).toBe('accepted');
    expect(checkPasscode(v, SECRET, twoBack, T0).outcome).toBe('wrong');
  });

  it('a fresh verifier accepts the very first time steps (nothing accepted yet)', () => {
    const v = newOtpVerifier({ mode: 'totp', algorithm: 'sha1', digits: 6, step: 30 });
    expect(checkPasscode(v, SECRET, totp(SECRET, 0), 0).outcome).toBe('accepted');
    expect(checkPasscode(v, SECRET, totp(SECRET, 30), 30_000).outcome).toBe('accepted');
  });

  it('takes the key as hex, and a code with the spaces or newline it was typed with', () => {
    const v = newOtpVerifier(TOTP8);
    const code = totp(SECRET, T0 / 1000, { digits: 8, algorithm: 'sha256', step: 60 });
    expect(checkPasscode(v, toHex(SECRET), ` ${code}\n`, T0).outcome).toBe('accepted');
    expect(inputErrorOf(() => checkPasscode(v, 'zz', code, T0)).part).toBe('key');
  });

  it('counts successes and failures (wrong, replayed) without losing the state', () => {
    const totpV = newOtpVerifier(TOTP8);
    const code = totp(SECRET, T0 / 1000, { digits: 8, algorithm: 'sha256', step: 60 });
    const ok = checkPasscode(totpV, SECRET, code, T0);
    const wrong = checkPasscode(ok.state, SECRET, '00000000', T0);
    const again = checkPasscode(wrong.state, SECRET, code, T0);
    expect([ok.outcome, wrong.outcome, again.outcome]).toEqual(['accepted', 'wrong', 'replayed']);
    expect(again.state).toEqual({ otp: TOTP8, counter: 0, lastStep: T0 / 60_000, successes: 1, failures: 2 });
    const hotpV = newOtpVerifier(HOTP8, 5);
    const bad = checkPasscode(hotpV, SECRET, '00000000', 0);
    expect(bad.state).toEqual({ otp: HOTP8, counter: 5, lastStep: -1, successes: 0, failures: 1 });
  });
});
