/**
 * The rules of HOTP (RFC 4226) and TOTP (RFC 6238) beyond the published codes: the limits of each
 * parameter and how the verifying side searches its window. Keys are the RFCs' ASCII keys.
 */
import { describe, expect, it } from 'vitest';
import { hotp, truncate, verifyHotp } from '../../firmware/crypto/hotp.ts';
import { timeStep, totp, verifyTotp } from '../../firmware/crypto/totp.ts';
import { inputErrorOf } from '../input-error.ts';

const KEY20 = new TextEncoder().encode('12345678901234567890');

describe('HOTP (RFC 4226)', () => {
  // Appendix D gives the 31-bit value of each truncation before the modulo: 10 digits show it whole.
  const truncated = [1284755224, 1094287082, 137359152, 1726969429, 1640338314, 868254676, 1918287922, 82162583, 673399871, 645520489];
  it.each(truncated.map((v, c) => [c, v]))('counter %i with 10 digits is the whole Appendix D value %i, zero-padded', (c, v) => {
    expect(hotp(KEY20, c, { digits: 10 })).toBe(String(v).padStart(10, '0'));
  });

  it('every length from 6 to 10 digits is the last digits of that value (§5.3)', () => {
    for (let digits = 6; digits <= 10; digits++) {
      expect(hotp(KEY20, 7, { digits })).toBe(String(82162583 % 10 ** digits).padStart(digits, '0'));
    }
  });

  it('truncates at the offset the last byte names, reading 31 bits (§5.3, the example of §5.4)', () => {
    // §5.4: the last byte 0x5a gives offset 10; the four bytes there are 0x50ef7f19 -> 0x50ef7f19 % 10^6.
    const mac = Uint8Array.from(Buffer.from('1f8698690e02ca16618550ef7f19da8e945b555a', 'hex'));
    expect(truncate(mac, 6)).toBe('872921');
    // The top bit of the first byte read is dropped.
    const high = mac.slice();
    high[10] |= 0x80;
    expect(truncate(high, 6)).toBe('872921');
  });

  it.each([
    [5, 'digits must be a whole number from 6 to 10, got 5'],
    [11, 'digits must be a whole number from 6 to 10, got 11'],
    [6.5, 'digits must be a whole number from 6 to 10, got 6.5'],
  ])('refuses %s digits', (digits, message) => {
    const e = inputErrorOf(() => hotp(KEY20, 0, { digits }));
    expect(e.part).toBe('digits');
    expect(e.message).toBe(message);
  });

  it('takes the counter as a number or bigint from 0 to 2^64-1 (the 8-byte C of §5.1)', () => {
    expect(hotp(KEY20, 3n)).toBe(hotp(KEY20, 3));
    expect(hotp(KEY20, Number.MAX_SAFE_INTEGER)).toBe(hotp(KEY20, BigInt(Number.MAX_SAFE_INTEGER)));
    expect(hotp(KEY20, (1n << 64n) - 1n)).toMatch(/^\d{6}$/);
    for (const counter of [-1, -1n, 1n << 64n, 0.5, 2 ** 53, Number.NaN]) {
      const e = inputErrorOf(() => hotp(KEY20, counter));
      expect(e.part).toBe('counter');
      expect(e.message).toBe(`counter must be a whole number from 0 to 2^64-1, got ${String(counter)}`);
    }
  });

  it('verification looks ahead 10 counters by default (§7.4)', () => {
    expect(verifyHotp(KEY20, hotp(KEY20, 10), 0)).toBe(10n);
    expect(verifyHotp(KEY20, hotp(KEY20, 11), 0)).toBeNull();
    expect(verifyHotp(KEY20, hotp(KEY20, 5), 0, { window: 0 })).toBeNull();
    expect(verifyHotp(KEY20, hotp(KEY20, 5), 5, { window: 0 })).toBe(5n);
  });

  it('verification uses the digits and algorithm given', () => {
    const code = hotp(KEY20, 4, { digits: 8, algorithm: 'sha256' });
    expect(verifyHotp(KEY20, code, 0, { digits: 8, algorithm: 'sha256' })).toBe(4n);
    expect(verifyHotp(KEY20, code, 0, { digits: 8 })).toBeNull();
  });

  it('verification returns the earliest counter whose code matches, when two in the window share one', () => {
    // Counters 2386 and 2394 give the same 6-digit code for this key (checked with node:crypto).
    expect(hotp(KEY20, 2386)).toBe('709847');
    expect(hotp(KEY20, 2394)).toBe('709847');
    expect(verifyHotp(KEY20, '709847', 2380, { window: 20 })).toBe(2386n);
    expect(verifyHotp(KEY20, '709847', 2387)).toBe(2394n);
  });

  it('verification stops at the last counter, 2^64-1, instead of failing', () => {
    const last = (1n << 64n) - 1n;
    expect(verifyHotp(KEY20, hotp(KEY20, last), last - 3n)).toBe(last);
    expect(verifyHotp(KEY20, hotp(KEY20, 0), last - 3n)).toBeNull();
  });

  it.each([-1, 1001, 2.5])('refuses a window of %s', (window) => {
    const e = inputErrorOf(() => verifyHotp(KEY20, '000000', 0, { window }));
    expect(e.part).toBe('window');
    expect(e.message).toBe(`window must be a whole number from 0 to 1000, got ${window}`);
  });

  it('accepts a window of 1000', () => {
    expect(verifyHotp(KEY20, hotp(KEY20, 1000), 0, { window: 1000 })).toBe(1000n);
  });
});

describe('TOTP (RFC 6238)', () => {
  it('counts steps of 30 s from T0 = 0 by default (§4.1, §4.2)', () => {
    expect(timeStep(0)).toBe(0n);
    expect(timeStep(29.9)).toBe(0n);
    expect(timeStep(30)).toBe(1n);
    expect(totp(KEY20, 59)).toBe(hotp(KEY20, 1));
    expect(totp(KEY20, 60)).toBe(hotp(KEY20, 2));
  });

  it('honours another step X and start T0', () => {
    expect(timeStep(119, { step: 60 })).toBe(1n);
    expect(timeStep(1000 + 90, { epoch: 1000 })).toBe(3n);
    expect(totp(KEY20, 1000 + 90, { epoch: 1000, step: 45 })).toBe(hotp(KEY20, 2));
    expect(totp(KEY20, 86_400, { step: 86_400 })).toBe(hotp(KEY20, 1));
    expect(totp(KEY20, 5, { step: 1 })).toBe(hotp(KEY20, 5));
  });

  it.each([0, 86_401, 1.5])('refuses a step of %s', (step) => {
    const e = inputErrorOf(() => totp(KEY20, 0, { step }));
    expect(e.part).toBe('step');
    expect(e.message).toBe(`step must be a whole number of seconds from 1 to 86400, got ${step}`);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the time %s', (t) => {
    const e = inputErrorOf(() => totp(KEY20, t));
    expect(e.part).toBe('time');
    expect(e.message).toBe(`time must be Unix seconds (0 or more), got ${t}`);
  });

  it('refuses a time before T0', () => {
    expect(inputErrorOf(() => totp(KEY20, 10, { epoch: 100 })).part).toBe('time step');
  });

  it('verification allows one step either side by default (§5.2)', () => {
    const code = totp(KEY20, 3000);
    expect(verifyTotp(KEY20, code, 3000 + 30)).toBe(100n);
    expect(verifyTotp(KEY20, code, 3000 - 30)).toBe(100n);
    expect(verifyTotp(KEY20, code, 3000 + 60)).toBeNull();
    expect(verifyTotp(KEY20, code, 3000 - 60)).toBeNull();
    expect(verifyTotp(KEY20, code, 3000 + 30, { drift: 0 })).toBeNull();
  });

  it('verification uses the step, digits and algorithm given', () => {
    const options = { step: 60, digits: 8, algorithm: 'sha512' } as const;
    const code = totp(KEY20, 6000, options);
    expect(verifyTotp(KEY20, code, 6060, options)).toBe(100n);
    expect(verifyTotp(KEY20, code, 6060, { step: 60, digits: 8 })).toBeNull();
  });

  it('verification near T0 looks only at steps that exist', () => {
    expect(verifyTotp(KEY20, totp(KEY20, 0), 10, { drift: 3 })).toBe(0n);
    expect(verifyTotp(KEY20, totp(KEY20, 90), 10, { drift: 3 })).toBe(3n);
  });

  it('verification returns the matching step nearest to now', () => {
    // Steps 2386 and 2394 share the code 709847 (see the HOTP window test).
    expect(verifyTotp(KEY20, '709847', 2392 * 30, { drift: 6 })).toBe(2394n);
    expect(verifyTotp(KEY20, '709847', 2388 * 30, { drift: 6 })).toBe(2386n);
  });

  it.each([-1, 101, 0.5])('refuses a drift of %s', (drift) => {
    const e = inputErrorOf(() => verifyTotp(KEY20, '000000', 0, { drift }));
    expect(e.part).toBe('drift');
    expect(e.message).toBe(`drift must be a whole number from 0 to 100, got ${drift}`);
  });

  it('accepts a drift of 100', () => {
    expect(verifyTotp(KEY20, totp(KEY20, 30_000), 30_000 + 100 * 30, { drift: 100 })).toBe(1000n);
  });
});
