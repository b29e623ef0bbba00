import { describe, expect, it } from 'vitest';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { parseSuite } from '../../firmware/crypto/ocra-suite.ts';
import { inputErrorOf } from '../input-error.ts';

const KEY = new Uint8Array(20).fill(1);

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
    const e = inputErrorOf(() => parseSuite(suite));
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
    const e = inputErrorOf(() => ocra(suite, KEY, input as never));
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

describe('OCRA suite grammar: each part whole, in range and once (RFC 6287 §6.1-6.3)', () => {
  it.each([
    ['OCRA-1:XHOTP-SHA1-6:QN08', 'suite crypto function must look like HOTP-SHA1-6 (SHA1, SHA256 or SHA512), got "XHOTP-SHA1-6"'],
    ['OCRA-1:HOTP-SHA1-6X:QN08', 'suite crypto function must look like HOTP-SHA1-6 (SHA1, SHA256 or SHA512), got "HOTP-SHA1-6X"'],
    ['OCRA-1:HOTP-SHA2-6:QN08', 'suite crypto function must look like HOTP-SHA1-6 (SHA1, SHA256 or SHA512), got "HOTP-SHA2-6"'],
    ['OCRA-1:HOTP-SHA1-:QN08', 'suite crypto function must look like HOTP-SHA1-6 (SHA1, SHA256 or SHA512), got "HOTP-SHA1-"'],
    ['OCRA-1:HOTP-SHA1-006:QN08', 'suite response length must be 0 (no truncation) or 4 to 10 digits, got 006'],
    ['OCRA-1:HOTP-SHA1-6:', 'suite data input needs a question like QN08 (QA, QN or QH with 04 to 64)'],
    ['OCRA-1:HOTP-SHA1-6:XQN08', 'suite data input needs a question like QN08 (QA, QN or QH with 04 to 64), got "XQN08"'],
    ['OCRA-1:HOTP-SHA1-6:QN08X', 'suite data input needs a question like QN08 (QA, QN or QH with 04 to 64), got "QN08X"'],
    ['OCRA-1:HOTP-SHA1-6:QN', 'suite data input needs a question like QN08 (QA, QN or QH with 04 to 64), got "QN"'],
    ['OCRA-1:HOTP-SHA1-6:QN1', 'suite question length must be 04 to 64, got 1'],
    ['OCRA-1:HOTP-SHA1-6:QN08-PSHA1X', 'suite data input has an unknown part "PSHA1X" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-XPSHA1', 'suite data input has an unknown part "XPSHA1" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S', 'suite data input has an unknown part "S" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S01X', 'suite data input has an unknown part "S01X" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-XS01', 'suite data input has an unknown part "XS01" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S513', 'suite session length must be 001 to 512 bytes, got 513'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1', 'suite data input has an unknown part "T1" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-TM', 'suite data input has an unknown part "TM" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1MX', 'suite data input has an unknown part "T1MX" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-XT1M', 'suite data input has an unknown part "XT1M" (expected C, Qxnn, PSHAn, Snnn or Tnx)'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T60M', 'suite time step T60M is out of range: M allows 1 to 59'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T001M', 'suite time step T001M is out of range: M allows 1 to 59'],
    [
      'OCRA-1:HOTP-SHA1-6:QN08-T0M',
      'suite time step T0M is refused: a step of zero never advances, so no timestamp T can be counted (use 1 to 59M)',
    ],
    ['OCRA-1:HOTP-SHA1-6:QN08-PSHA1-PSHA1', 'suite data input has "PSHA1" out of place; order is C, Q, P, S, T'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S001-PSHA1', 'suite data input has "PSHA1" out of place; order is C, Q, P, S, T'],
    ['OCRA-1:HOTP-SHA1-6:QN08-S001-S001', 'suite data input has "S001" out of place; order is C, Q, P, S, T'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M-S001', 'suite data input has "S001" out of place; order is C, Q, P, S, T'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M-T1M', 'suite data input has "T1M" out of place; order is C, Q, P, S, T'],
    ['OCRA-1:HOTP-SHA1-6:C-C-QN08', 'suite data input needs a question like QN08 (QA, QN or QH with 04 to 64), got "C"'],
    [
      'OCRA-1:HOTP-SHA1-6:QN08:X',
      'suite "OCRA-1:HOTP-SHA1-6:QN08:X" must have three parts separated by ":" (algorithm:crypto function:data input)',
    ],
  ])('%j: %s', (suite, message) => {
    const e = inputErrorOf(() => parseSuite(suite));
    expect(e.part).toBe('suite');
    expect(e.message).toBe(message);
  });

  it('refuses a suite that is not text', () => {
    expect(inputErrorOf(() => parseSuite(42 as never)).message).toBe('suite is empty; expected e.g. OCRA-1:HOTP-SHA1-6:QN08');
  });

  it.each([
    ['OCRA-1:HOTP-SHA1-4:QN04', 4, 4, undefined],
    ['OCRA-1:HOTP-SHA256-0:QA64-S001', 0, 64, undefined],
    ['OCRA-1:HOTP-SHA1-10:QH10-T59S', 10, 10, 59],
    ['OCRA-1:HOTP-SHA1-6:QN08-T59M', 6, 8, 59 * 60],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1H', 6, 8, 3600],
    ['OCRA-1:HOTP-SHA1-6:QN08-PSHA1-S512-T48H', 6, 8, 48 * 3600],
  ])('accepts the limits in %s', (text, digits, length, timeStep) => {
    const s = parseSuite(text);
    expect(s.text).toBe(text);
    expect(s.digits).toBe(digits);
    expect(s.question.length).toBe(length);
    expect(s.timeStep).toBe(timeStep);
  });

  it('leaves out the parts a suite does not have', () => {
    expect(parseSuite('OCRA-1:HOTP-SHA1-6:QN08')).toEqual({
      text: 'OCRA-1:HOTP-SHA1-6:QN08',
      hash: 'sha1',
      digits: 6,
      counter: false,
      question: { format: 'N', length: 8 },
    });
    expect(Object.keys(parseSuite('OCRA-1:HOTP-SHA1-6:QN08-S001')).sort()).toEqual([
      'counter',
      'digits',
      'hash',
      'question',
      'session',
      'text',
    ]);
    expect(Object.keys(parseSuite('OCRA-1:HOTP-SHA1-6:QN08-T1M')).sort()).toEqual([
      'counter',
      'digits',
      'hash',
      'question',
      'text',
      'timeStep',
    ]);
    expect(Object.keys(parseSuite('OCRA-1:HOTP-SHA1-6:QN08-PSHA1')).sort()).toEqual([
      'counter',
      'digits',
      'hash',
      'pin',
      'question',
      'text',
    ]);
  });

  it('parses many different suites, each to its own parts (more than it remembers)', () => {
    for (let round = 0; round < 2; round++) {
      for (let q = 4; q <= 64; q++) {
        for (const f of ['A', 'N', 'H']) {
          const s = parseSuite(`OCRA-1:HOTP-SHA1-6:Q${f}${q}-S${q}`);
          expect(s.question).toEqual({ format: f, length: q });
          expect(s.session).toBe(q);
        }
      }
    }
  });
});
