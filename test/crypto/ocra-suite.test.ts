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
    ['OCRA-1:HOTP-SHA1-6:QN08-T0H', /T0H is refused: a step of zero never advances/],
    ['OCRA-1:HOTP-SHA1-6:QN08-T0S', /T0S is refused: a step of zero/],
    ['OCRA-1:HOTP-SHA1-6:QN08-S1024', /unknown part "S1024"/],
    ['OCRA-1:HOTP-SHA1-6:QN008', /needs a question.*QN008/],
  ])('rejects %j naming the wrong part', (suite, message) => {
    const e = errorOf(() => parseSuite(suite));
    expect(e.part).toBe('suite');
    expect(e.message).toMatch(message);
  });

  it.each([
    // RFC 6287 §6.4 writes this one with a one-digit question length.
    ['OCRA-1:HOTP-SHA1-4:QH8-S512', 'OCRA-1:HOTP-SHA1-4:QH08-S512'],
    ['OCRA-1:HOTP-sha1-6:QN08', 'OCRA-1:HOTP-SHA1-6:QN08'],
    ['ocra-1:hotp-sha256-8:c-qn08-psha1', 'OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1'],
    ['OCRA-1:HOTP-SHA512-08:QA10-T01M', 'OCRA-1:HOTP-SHA512-8:QA10-T1M'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S64', 'OCRA-1:HOTP-SHA1-6:QN08-S064'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S5-t30s', 'OCRA-1:HOTP-SHA1-6:QN08-S005-T30S'],
  ])('reads %j as the canonical %j', (given, canonical) => {
    expect(parseSuite(given).text).toBe(canonical);
    // Canonical text parses to itself, and to the same suite.
    expect(parseSuite(canonical).text).toBe(canonical);
    expect({ ...parseSuite(given), text: '' }).toEqual({ ...parseSuite(canonical), text: '' });
  });

  it('computes with the canonical text, so every spelling of a suite gives the same response', () => {
    const q = { question: 'ABCDEF12', session: new Uint8Array(64) };
    expect(ocra('OCRA-1:HOTP-SHA1-4:QH8-S512', KEY, q)).toBe(ocra('OCRA-1:HOTP-SHA1-4:QH08-S512', KEY, q));
    expect(ocra('ocra-1:hotp-sha1-6:qn08', KEY, { question: '1' })).toBe(ocra('OCRA-1:HOTP-SHA1-6:QN08', KEY, { question: '1' }));
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
    [
      'OCRA-1:HOTP-SHA1-6:QN08',
      { question: '1', counter: 1 },
      'counter',
      'suite OCRA-1:HOTP-SHA1-6:QN08 does not use a counter; leave it out',
    ],
    ['OCRA-1:HOTP-SHA1-6:C-QN08', { question: '1', counter: -1 }, 'counter', 'counter must be a whole number from 0 to 2^64-1, got -1'],
    ['OCRA-1:HOTP-SHA1-6:QN08-PSHA1', { question: '1' }, 'pin', 'suite OCRA-1:HOTP-SHA1-6:QN08-PSHA1 needs a PIN or PIN hash (PSHA1)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-PSHA1', { question: '1', pinHash: new Uint8Array(19) }, 'pin', 'PIN hash must be 20 bytes for PSHA1, got 19'],
    [
      'OCRA-1:HOTP-SHA1-6:QN08-S002',
      { question: '1', session: new Uint8Array(3) },
      'session',
      'session information is 3 bytes, suite allows at most 2',
    ],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M', { question: '1' }, 'timestamp', 'suite OCRA-1:HOTP-SHA1-6:QN08-T1M needs a timestamp (T) or a time'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M', { question: '1', time: 5, timestamp: 1 }, 'timestamp', 'give either a timestamp or a time, not both'],
  ] as const)('%s with %o: %s', (suite, input, part, message) => {
    const e = errorOf(() => ocra(suite, KEY, input as never));
    expect(e.part).toBe(part);
    expect(e.message).toBe(message);
  });

  it('pads session information on the left, so shorter equals zero-prefixed', () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08-S004';
    expect(ocra(suite, KEY, { question: '1', session: new Uint8Array([1, 2]) })).toBe(
      ocra(suite, KEY, { question: '1', session: new Uint8Array([0, 0, 1, 2]) }),
    );
  });
});

describe('suites stored by tokens and verifiers', () => {
  it('a DSC+ and its verifier both keep the canonical form, however the suite was written', async () => {
    const { provision } = await import('../../firmware/device/nv.ts');
    const { newOcraVerifier } = await import('../../firmware/verifier/ocra-verifier.ts');
    const nv = provision({ model: 'dscplus', secret: KEY, suite: 'ocra-1:hotp-sha1-8:qn6' });
    expect(nv.suite).toBe('OCRA-1:HOTP-SHA1-8:QN06');
    expect(newOcraVerifier('ocra-1:hotp-sha1-8:qn6').suite).toBe('OCRA-1:HOTP-SHA1-8:QN06');
  });
});
