/**
 * OCRA (RFC 6287) beyond the Appendix C vectors: the DataInput of §5.1 for every question format
 * and length, the inputs a suite needs and refuses (§6.3), and how verification searches its counter
 * window and time drift (§7.1). The independent node:crypto build (reference.ts) gives the answers.
 */
import { describe, expect, it } from 'vitest';
import { ocra, ocraMutualClient, ocraMutualServer, verifyOcra } from '../../firmware/crypto/ocra.ts';
import { parseSuite } from '../../firmware/crypto/ocra-suite.ts';
import { refOcra } from './reference.ts';
import { inputErrorOf } from '../input-error.ts';

const KEY = new TextEncoder().encode('12345678901234567890');
const LAST = (1n << 64n) - 1n;

describe('the question in DataInput (§5.1: 128 bytes, left-aligned, zero-padded)', () => {
  it.each([
    // Decimal questions become hex: up to 15 digits and beyond, with and without leading zeros.
    ['OCRA-1:HOTP-SHA1-8:QN64', '0'],
    ['OCRA-1:HOTP-SHA1-8:QN64', '7'],
    ['OCRA-1:HOTP-SHA1-8:QN64', '123456789012345'],
    ['OCRA-1:HOTP-SHA1-8:QN64', '1234567890123456'],
    ['OCRA-1:HOTP-SHA1-8:QN64', '9999999999999999'], // 16 digits above 2^53: a double would round it
    ['OCRA-1:HOTP-SHA1-8:QN64', '00000000000000000000001'],
    ['OCRA-1:HOTP-SHA1-8:QN64', '9'.repeat(64)],
    // Hex questions are nibbles, in either case, odd or even in count.
    ['OCRA-1:HOTP-SHA1-8:QH64', 'abc'],
    ['OCRA-1:HOTP-SHA1-8:QH64', 'ABCDEF0123456789'],
    ['OCRA-1:HOTP-SHA1-8:QH64', 'f'.repeat(64)],
    // Letters and digits are their ASCII bytes.
    ['OCRA-1:HOTP-SHA1-8:QA64', 'Zz09'],
    ['OCRA-1:HOTP-SHA1-8:QA64', 'x'.repeat(64)],
  ])('%s with %j matches the reference', (suite, question) => {
    expect(ocra(suite, KEY, { question })).toBe(refOcra(suite, Buffer.from(KEY), { question }));
  });

  it('a shorter question after a longer one is padded with zeros, not left-overs', () => {
    const suite = 'OCRA-1:HOTP-SHA1-8:QA64';
    ocra(suite, KEY, { question: 'LONGQUESTION'.repeat(5) });
    expect(ocra(suite, KEY, { question: 'A' })).toBe(refOcra(suite, Buffer.from(KEY), { question: 'A' }));
    const hex = 'OCRA-1:HOTP-SHA1-8:QH64';
    ocra(hex, KEY, { question: 'f'.repeat(64) });
    expect(ocra(hex, KEY, { question: '1' })).toBe(refOcra(hex, Buffer.from(KEY), { question: '1' }));
  });

  it('every part of DataInput enters the MAC in the order C, Q, P, S, T', () => {
    const suite = 'OCRA-1:HOTP-SHA256-0:C-QN10-PSHA512-S016-T30S';
    const input = { question: '4711', counter: 258n, pin: '2468', session: new Uint8Array([9, 8, 7]), timestamp: 123456n };
    expect(ocra(suite, KEY, input)).toBe(refOcra(suite, Buffer.from(KEY), { ...input, session: Buffer.from(input.session) }));
    // A response length of 0 is the whole MAC in hex (§5.2).
    expect(ocra(suite, KEY, input)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes the time as Unix seconds in the suite step, or the step count T', () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08-T30S';
    expect(ocra(suite, KEY, { question: '1', time: 3029.9 })).toBe(ocra(suite, KEY, { question: '1', timestamp: 100 }));
    expect(ocra(suite, KEY, { question: '1', time: 0 })).toBe(ocra(suite, KEY, { question: '1', timestamp: 0n }));
  });
});

describe('inputs a suite needs and refuses', () => {
  it.each([
    ['OCRA-1:HOTP-SHA1-6:QN08', { question: '1', pin: '1234' }, 'pin', 'suite OCRA-1:HOTP-SHA1-6:QN08 does not use a PIN; leave it out'],
    [
      'OCRA-1:HOTP-SHA1-6:QN08',
      { question: '1', pinHash: new Uint8Array(20) },
      'pin',
      'suite OCRA-1:HOTP-SHA1-6:QN08 does not use a PIN; leave it out',
    ],
    [
      'OCRA-1:HOTP-SHA1-6:QN08-PSHA1',
      { question: '1', pin: '1', pinHash: new Uint8Array(20) },
      'pin',
      'give either a PIN or a PIN hash, not both',
    ],
    [
      'OCRA-1:HOTP-SHA1-6:QN08-PSHA256',
      { question: '1', pinHash: new Uint8Array(20) },
      'pin',
      'PIN hash must be 32 bytes for PSHA256, got 20',
    ],
    ['OCRA-1:HOTP-SHA1-6:QN08-S002', { question: '1' }, 'session', 'suite OCRA-1:HOTP-SHA1-6:QN08-S002 needs session information (S002)'],
    [
      'OCRA-1:HOTP-SHA1-6:QN08',
      { question: '1', session: new Uint8Array(1) },
      'session',
      'suite OCRA-1:HOTP-SHA1-6:QN08 does not use session information; leave it out',
    ],
    [
      'OCRA-1:HOTP-SHA1-6:QN08',
      { question: '1', timestamp: 1 },
      'timestamp',
      'suite OCRA-1:HOTP-SHA1-6:QN08 does not use a timestamp; leave it out',
    ],
    [
      'OCRA-1:HOTP-SHA1-6:QN08',
      { question: '1', time: 1 },
      'timestamp',
      'suite OCRA-1:HOTP-SHA1-6:QN08 does not use a timestamp; leave it out',
    ],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M', { question: '1', time: -1 }, 'time', 'time must be Unix seconds (0 or more), got -1'],
    ['OCRA-1:HOTP-SHA1-6:QN08-T1M', { question: '1', time: Number.NaN }, 'time', 'time must be Unix seconds (0 or more), got NaN'],
    [
      'OCRA-1:HOTP-SHA1-6:QN08-T1M',
      { question: '1', timestamp: 1n << 64n },
      'timestamp',
      'timestamp must be a whole number from 0 to 2^64-1, got 18446744073709551616',
    ],
    ['OCRA-1:HOTP-SHA1-6:QH08', { question: 'abcdef012' }, 'question', 'question has 9 hex digits, suite QH08 allows at most 8'],
    ['OCRA-1:HOTP-SHA1-6:QA04', { question: 'abcde' }, 'question', 'question has 5 characters, suite QA04 allows at most 4'],
    ['OCRA-1:HOTP-SHA1-6:QN08', { question: 12 }, 'question', 'question must be text'],
    ['OCRA-1:HOTP-SHA1-6:QN08', { question: ' 12' }, 'question', 'question must be decimal digits for suite QN08, got " 12"'],
    ['OCRA-1:HOTP-SHA1-6:QN08', { question: '12 ' }, 'question', 'question must be decimal digits for suite QN08, got "12 "'],
    ['OCRA-1:HOTP-SHA1-6:QH08', { question: 'g1' }, 'question', 'question must be hex digits for suite QH08, got "g1"'],
    ['OCRA-1:HOTP-SHA1-6:QH08', { question: '1g' }, 'question', 'question must be hex digits for suite QH08, got "1g"'],
    ['OCRA-1:HOTP-SHA1-6:QA08', { question: '-ab' }, 'question', 'question must be letters and digits for suite QA08, got "-ab"'],
    ['OCRA-1:HOTP-SHA1-6:QA08', { question: 'ab-' }, 'question', 'question must be letters and digits for suite QA08, got "ab-"'],
  ] as const)('%s with %o: %s', (suite, input, part, message) => {
    const e = inputErrorOf(() => ocra(suite, KEY, input as never));
    expect(e.part).toBe(part);
    expect(e.message).toBe(message);
  });

  it('a T derived from a time must fit its 8 bytes, like a T given directly (§5.1)', () => {
    // Before, a time of 2^64 steps wrapped to T = 0 and answered as at the epoch.
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08-T1M';
    const e = inputErrorOf(() => ocra(suite, KEY, { question: '1', time: 2 ** 64 * 60 }));
    expect(e.part).toBe('time step');
  });

  it('a question at the suite length is accepted, in every format', () => {
    expect(ocra('OCRA-1:HOTP-SHA1-6:QN04', KEY, { question: '1234' })).toMatch(/^\d{6}$/);
    expect(ocra('OCRA-1:HOTP-SHA1-6:QH04', KEY, { question: 'aB9f' })).toMatch(/^\d{6}$/);
    expect(ocra('OCRA-1:HOTP-SHA1-6:QA04', KEY, { question: 'aZ90' })).toMatch(/^\d{6}$/);
  });

  it('refuses an empty or missing key', () => {
    for (const key of [new Uint8Array(0), 'key' as never]) {
      const e = inputErrorOf(() => ocra('OCRA-1:HOTP-SHA1-6:QN08', key, { question: '1' }));
      expect(e.part).toBe('key');
      expect(e.message).toBe('key must be at least one byte');
    }
    expect(ocra('OCRA-1:HOTP-SHA1-6:QN08', new Uint8Array(1), { question: '1' })).toMatch(/^\d{6}$/);
  });

  it('mutual mode checks each challenge and names it', () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:QA08';
    const client = inputErrorOf(() => ocraMutualServer(suite, KEY, { clientChallenge: 'toolongchallenge', serverChallenge: 'S' }));
    expect(client.message).toBe('client challenge has 16 characters, suite QA08 allows at most 8');
    const server = inputErrorOf(() => ocraMutualClient(suite, KEY, { clientChallenge: 'C', serverChallenge: '' }));
    expect(server.message).toBe('server challenge is empty');
    expect(inputErrorOf(() => ocraMutualClient(suite, new Uint8Array(0), { clientChallenge: 'C', serverChallenge: 'S' })).part).toBe('key');
  });

  it('takes a parsed suite as well as its text', () => {
    const parsed = parseSuite('OCRA-1:HOTP-SHA1-6:C-QN08');
    const input = { question: '42', counter: 3 };
    expect(ocra(parsed, KEY, input)).toBe(ocra('OCRA-1:HOTP-SHA1-6:C-QN08', KEY, input));
    expect(verifyOcra(parsed, KEY, ocra(parsed, KEY, input), input)).toEqual({ counter: 3n });
  });
});

describe('verification (§7.1)', () => {
  const C = 'OCRA-1:HOTP-SHA1-6:C-QN08';
  const T = 'OCRA-1:HOTP-SHA1-6:QN08-T1M';

  it('returns what matched: nothing more for a suite without C or T', () => {
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08';
    const match = verifyOcra(suite, KEY, ocra(suite, KEY, { question: '5' }), { question: '5' }, { counterWindow: 3, timeDrift: 2 });
    expect(match).not.toBeNull();
    expect(Object.keys(match ?? {})).toEqual([]);
    expect(verifyOcra(suite, KEY, ocra(suite, KEY, { question: '5' }), { question: '6' })).toBeNull();
    const both = 'OCRA-1:HOTP-SHA1-6:C-QN08-T1M';
    const input = { question: '5', counter: 2, timestamp: 9 };
    expect(verifyOcra(both, KEY, ocra(both, KEY, input), input)).toEqual({ counter: 2n, timestamp: 9n });
  });

  it('tries only the counter and time given unless a window or drift is asked for', () => {
    expect(verifyOcra(C, KEY, ocra(C, KEY, { question: '1', counter: 6 }), { question: '1', counter: 5 })).toBeNull();
    expect(verifyOcra(T, KEY, ocra(T, KEY, { question: '1', timestamp: 6 }), { question: '1', timestamp: 5 })).toBeNull();
    expect(verifyOcra(T, KEY, ocra(T, KEY, { question: '1', timestamp: 4 }), { question: '1', timestamp: 5 })).toBeNull();
  });

  it('takes the time as Unix seconds as well as T', () => {
    const response = ocra(T, KEY, { question: '1', timestamp: 100 });
    expect(verifyOcra(T, KEY, response, { question: '1', time: 101 * 60 + 5 }, { timeDrift: 1 })).toEqual({ timestamp: 100n });
  });

  it('returns the earliest counter in the window that matches', () => {
    // With 4 digits two counters of one window often share a response; find such a pair.
    const suite = 'OCRA-1:HOTP-SHA1-4:C-QN08';
    const seen = new Map<string, number>();
    let pair: [number, number] | undefined;
    for (let c = 0; pair === undefined; c++) {
      const r = ocra(suite, KEY, { question: '1', counter: c });
      const earlier = seen.get(r);
      if (earlier !== undefined && c - earlier <= 100) pair = [earlier, c];
      seen.set(r, c);
    }
    const [a, b] = pair;
    const response = ocra(suite, KEY, { question: '1', counter: a });
    expect(verifyOcra(suite, KEY, response, { question: '1', counter: a }, { counterWindow: 100 })).toEqual({ counter: BigInt(a) });
    expect(verifyOcra(suite, KEY, response, { question: '1', counter: a + 1 }, { counterWindow: 100 })).toEqual({ counter: BigInt(b) });
  });

  it('returns the matching time step nearest to the one given, the earlier one on a tie', () => {
    const suite = 'OCRA-1:HOTP-SHA1-4:QN08-T1M';
    const at = new Map<string, number>();
    let pair: [number, number] | undefined;
    for (let t = 0; pair === undefined; t++) {
      const r = ocra(suite, KEY, { question: '1', timestamp: t });
      const earlier = at.get(r);
      if (earlier !== undefined && t - earlier <= 100 && t - earlier >= 4) pair = [earlier, t];
      at.set(r, t);
    }
    const [a, b] = pair;
    const response = ocra(suite, KEY, { question: '1', timestamp: a });
    const verify = (timestamp: number) => verifyOcra(suite, KEY, response, { question: '1', timestamp }, { timeDrift: 100 })?.timestamp;
    expect(verify(a + 1)).toBe(BigInt(a));
    expect(verify(b - 1)).toBe(BigInt(b));
    expect(verify((a + b) / 2)).toBe(BigInt(a));
  });

  it('never reaches past T = 2^64-1, where the step would wrap round to 0', () => {
    // Before, a drift beyond the last step computed T = 2^64 as 0 and accepted the response for T = 0.
    const atZero = ocra(T, KEY, { question: '1', timestamp: 0 });
    expect(verifyOcra(T, KEY, atZero, { question: '1', timestamp: LAST }, { timeDrift: 1 })).toBeNull();
    const atLast = ocra(T, KEY, { question: '1', timestamp: LAST });
    expect(verifyOcra(T, KEY, atLast, { question: '1', timestamp: LAST - 1n }, { timeDrift: 2 })).toEqual({ timestamp: LAST });
    expect(verifyOcra(T, KEY, atZero, { question: '1', timestamp: 1 }, { timeDrift: 2 })).toEqual({ timestamp: 0n });
  });

  it('never reaches before T = 0, where the step would wrap round to 2^64-1', () => {
    const atLast = ocra(T, KEY, { question: '1', timestamp: LAST });
    expect(verifyOcra(T, KEY, atLast, { question: '1', timestamp: 0 }, { timeDrift: 2 })).toBeNull();
  });

  it('never reaches past the counter 2^64-1', () => {
    const atZero = ocra(C, KEY, { question: '1', counter: 0 });
    expect(verifyOcra(C, KEY, atZero, { question: '1', counter: LAST }, { counterWindow: 5 })).toBeNull();
    const atLast = ocra(C, KEY, { question: '1', counter: LAST });
    expect(verifyOcra(C, KEY, atLast, { question: '1', counter: LAST - 2n }, { counterWindow: 5 })).toEqual({ counter: LAST });
  });

  it.each([
    [{ counterWindow: -1 }, 'window', 'counter window must be 0 to 1000, got -1'],
    [{ counterWindow: 1001 }, 'window', 'counter window must be 0 to 1000, got 1001'],
    [{ counterWindow: 1.5 }, 'window', 'counter window must be 0 to 1000, got 1.5'],
    [{ timeDrift: -1 }, 'drift', 'time drift must be 0 to 100, got -1'],
    [{ timeDrift: 101 }, 'drift', 'time drift must be 0 to 100, got 101'],
    [{ timeDrift: 0.5 }, 'drift', 'time drift must be 0 to 100, got 0.5'],
  ])('refuses %o', (options, part, message) => {
    const e = inputErrorOf(() => verifyOcra(C, KEY, '000000', { question: '1', counter: 0 }, options));
    expect(e.part).toBe(part);
    expect(e.message).toBe(message);
  });

  it('accepts the largest window and drift', () => {
    expect(
      verifyOcra(C, KEY, ocra(C, KEY, { question: '1', counter: 1000 }), { question: '1', counter: 0 }, { counterWindow: 1000 }),
    ).toEqual({
      counter: 1000n,
    });
    expect(
      verifyOcra(T, KEY, ocra(T, KEY, { question: '1', timestamp: 200 }), { question: '1', timestamp: 100 }, { timeDrift: 100 }),
    ).toEqual({
      timestamp: 200n,
    });
  });

  it('checks the key and the question before anything else', () => {
    expect(inputErrorOf(() => verifyOcra(C, new Uint8Array(0), '000000', { question: '1', counter: 0 })).part).toBe('key');
    expect(inputErrorOf(() => verifyOcra(C, KEY, '000000', { question: 'x', counter: 0 })).part).toBe('question');
  });
});
