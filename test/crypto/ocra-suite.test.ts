import { describe, expect, it } from 'vitest';
import { InputError } from '../../firmware/errors.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { parseSuite } from '../../firmware/crypto/ocra-suite.ts';

const KEY = new Uint8Array(20).fill(1);

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('OCRA suite grammar (RFC 6287 §6)', () => {
  it('parses every part', () => {
    expect(parseSuite('OCRA-1:HOTP-SHA512-10:C-QH64-PSHA256-S512-T48H')).toEqual({
      text: 'OCRA-1:HOTP-SHA512-10:C-QH64-PSHA256-S512-T48H',
      hash: 'sha512',
      digits: 10,
      counter: true,
      question: { format: 'H', length: 64 },
      pin: 'sha256',
      session: 512,
      timeStep: 48 * 3600,
    });
    expect(parseSuite('OCRA-1:HOTP-SHA1-0:QA04-T30S').timeStep).toBe(30);
  });

  it.each([
    ['', /empty/],
    ['OCRA-1:HOTP-SHA1-6', /three parts/],
    ['OCRA-2:HOTP-SHA1-6:QN08', /algorithm must be OCRA-1/],
    ['OCRA-1:HOTP-MD5-6:QN08', /crypto function/],
    ['OCRA-1:HOTP-SHA1-3:QN08', /0 \(no truncation\) or 4 to 10 digits, got 3/],
    ['OCRA-1:HOTP-SHA1-11:QN08', /got 11/],
    ['OCRA-1:HOTP-SHA1-6:QN03', /04 to 64, got 03/],
    ['OCRA-1:HOTP-SHA1-6:QN65', /04 to 64, got 65/],
    ['OCRA-1:HOTP-SHA1-6:QZ08', /needs a question.*QZ08/],
    ['OCRA-1:HOTP-SHA1-6:C', /needs a question/],
    ['OCRA-1:HOTP-SHA1-6:QN08-C', /C out of place/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M-PSHA1', /PSHA1" out of place/],
    ['OCRA-1:HOTP-SHA1-6:QN08-PMD5', /unknown part "PMD5"/],
    ['OCRA-1:HOTP-SHA1-6:QN08-S000', /001 to 512/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T60S', /S allows 1 to 59/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T49H', /H allows 1 to 48/],
  ])('rejects %j naming the wrong part', (suite, message) => {
    const e = errorOf(() => parseSuite(suite));
    expect(e.part).toBe('suite');
    expect(e.message).toMatch(message);
  });
});

describe('OCRA inputs', () => {
  it.each([
    ['OCRA-1:HOTP-SHA1-6:QN08', { question: '123456789' }, 'question', 'question has 9 digits, suite QN08 allows at most 8'],
    ['OCRA-1:HOTP-SHA1-6:QN08', { question: '12a' }, 'question', 'question must be decimal digits for suite QN08, got "12a"'],
    ['OCRA-1:HOTP-SHA1-6:QH08', { question: 'xyz' }, 'question', 'question must be hex digits for suite QH08, got "xyz"'],
    ['OCRA-1:HOTP-SHA1-6:QA08', { question: 'a b' }, 'question', 'question must be letters and digits for suite QA08, got "a b"'],
    ['OCRA-1:HOTP-SHA1-6:QA08', { question: '' }, 'question', 'question is empty'],
    ['OCRA-1:HOTP-SHA1-6:C-QN08', { question: '1' }, 'counter', 'suite OCRA-1:HOTP-SHA1-6:C-QN08 needs a counter (C)'],
    ['OCRA-1:HOTP-SHA1-6:QN08', { question: '1', counter: 1 }, 'counter', 'suite OCRA-1:HOTP-SHA1-6:QN08 does not use a counter; leave it out'],
    ['OCRA-1:HOTP-SHA1-6:C-QN08', { question: '1', counter: -1 }, 'counter', 'counter must be a whole number from 0 to 2^64-1, got -1'],
    ['OCRA-1:HOTP-SHA1-6:QN08-PSHA1', { question: '1' }, 'pin', 'suite OCRA-1:HOTP-SHA1-6:QN08-PSHA1 needs a PIN or PIN hash (PSHA1)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-PSHA1', { question: '1', pinHash: new Uint8Array(19) }, 'pin', 'PIN hash must be 20 bytes for PSHA1, got 19'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S002', { question: '1', session: new Uint8Array(3) }, 'session', 'session information is 3 bytes, suite allows at most 2'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M', { question: '1' }, 'timestamp', 'suite OCRA-1:HOTP-SHA1-6:QN08-T1M needs a timestamp (T) or a time'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M', { question: '1', time: 5, timestamp: 1 }, 'timestamp', 'give either a timestamp or a time, not both'],
  ] as const)('%s with %o: %s', (suite, input, part, message) => {
    const e = errorOf(() => ocra(suite, KEY, input as never));
    expect(e.part).toBe(part);
    expect(e.message).toBe(message);
  });

  it('pads session information on the left, so shorter equals zero-prefixed', () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08-S004';
    expect(ocra(suite, KEY, { question: '1', session: new Uint8Array([1, 2]) })).toBe(ocra(suite, KEY, { question: '1', session: new Uint8Array([0, 0, 1, 2]) }));
  });
});
