/** Property tests: the firmware agrees with an independent node:crypto build; verifiers accept what generators make and nothing else. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/bytes.ts';
import { hotp, verifyHotp } from '../../firmware/crypto/hotp.ts';
import { totp, verifyTotp } from '../../firmware/crypto/totp.ts';
import { ocra, verifyOcra } from '../../firmware/crypto/ocra.ts';
import { parseSuite } from '../../firmware/crypto/ocra-suite.ts';
import { refHotp, refOcra } from './reference.ts';
import { runs } from './runs.ts';

const hash = fc.constantFrom('SHA1', 'SHA256', 'SHA512');
const suiteArb = fc
  .record({
    sha: hash,
    digits: fc.constantFrom(0, 4, 5, 6, 7, 8, 9, 10),
    counter: fc.boolean(),
    qf: fc.constantFrom('A', 'N', 'H'),
    ql: fc.integer({ min: 4, max: 64 }),
    pin: fc.option(hash, { nil: undefined }),
    session: fc.option(fc.integer({ min: 1, max: 512 }), { nil: undefined }),
    time: fc.option(fc.constantFrom('30S', '1M', '59M', '1H', '48H'), { nil: undefined }),
  })
  .map((s) => {
    const di = [
      s.counter ? 'C' : '',
      `Q${s.qf}${String(s.ql).padStart(2, '0')}`,
      s.pin ? `P${s.pin}` : '',
      s.session ? `S${String(s.session).padStart(3, '0')}` : '',
      s.time ? `T${s.time}` : '',
    ]
      .filter(Boolean)
      .join('-');
    return { ...s, text: `OCRA-1:HOTP-${s.sha}-${s.digits}:${di}` };
  });

const caseArb = suiteArb.chain((s) =>
  fc.record({
    suite: fc.constant(s),
    key: fc.uint8Array({ minLength: 1, maxLength: 80 }),
    question: fc.string({
      unit: fc.constantFrom(...(s.qf === 'N' ? '0123456789' : s.qf === 'H' ? '0123456789abcdefABCDEF' : 'abcXYZ0189').split('')),
      minLength: 1,
      maxLength: s.ql,
    }),
    counter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    pin: fc.string({ maxLength: 12 }),
    session: fc.uint8Array({ maxLength: s.session ?? 0 }),
    timestamp: fc.bigInt({ min: 0n, max: 1n << 40n }),
  }),
);

function inputOf(c: fc.Arbitrary<unknown> extends never ? never : any) {
  const s = c.suite;
  return {
    question: c.question,
    counter: s.counter ? c.counter : undefined,
    pin: s.pin ? c.pin : undefined,
    session: s.session ? c.session : undefined,
    timestamp: s.time ? c.timestamp : undefined,
  };
}

describe('OCRA against the node:crypto reference', () => {
  it('matches on random suites and inputs', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const input = inputOf(c);
        expect(ocra(c.suite.text, c.key, input)).toBe(
          refOcra(c.suite.text, Buffer.from(c.key), { ...input, session: input.session && Buffer.from(input.session) }),
        );
      }),
      { numRuns: runs(400), seed: 42 },
    );
  });

  it('a response verifies, and a changed response does not', () => {
    fc.assert(
      fc.property(
        caseArb.filter((c) => c.suite.digits > 0),
        fc.nat(),
        (c, which) => {
          const input = inputOf(c);
          const response = ocra(c.suite.text, c.key, input);
          expect(verifyOcra(c.suite.text, c.key, response, input)).not.toBeNull();
          const i = which % response.length;
          const changed = response.slice(0, i) + String((Number(response[i]) + 1 + (which % 9)) % 10) + response.slice(i + 1);
          expect(verifyOcra(c.suite.text, c.key, changed, input)).toBeNull();
        },
      ),
      { numRuns: runs(300), seed: 7 },
    );
  });

  it('verification finds the counter inside the look-ahead window and not beyond', () => {
    const key = fromHex('3132333435363738393031323334353637383930');
    const suite = 'OCRA-1:HOTP-SHA1-8:C-QN06';
    const response = ocra(suite, key, { question: '123456', counter: 15 });
    expect(verifyOcra(suite, key, response, { question: '123456', counter: 10 }, { counterWindow: 5 })?.counter).toBe(15n);
    expect(verifyOcra(suite, key, response, { question: '123456', counter: 10 }, { counterWindow: 4 })).toBeNull();
  });

  it('verification allows time drift of the given steps either way', () => {
    const key = fromHex('3132333435363738393031323334353637383930');
    const suite = 'OCRA-1:HOTP-SHA1-8:QN06-T30S';
    const response = ocra(suite, key, { question: '123456', timestamp: 1000 });
    expect(verifyOcra(suite, key, response, { question: '123456', timestamp: 1002 }, { timeDrift: 2 })?.timestamp).toBe(1000n);
    expect(verifyOcra(suite, key, response, { question: '123456', timestamp: 998 }, { timeDrift: 2 })?.timestamp).toBe(1000n);
    expect(verifyOcra(suite, key, response, { question: '123456', timestamp: 1003 }, { timeDrift: 2 })).toBeNull();
  });

  it('parses every generated suite back to its parts', () => {
    fc.assert(
      fc.property(suiteArb, (s) => {
        const p = parseSuite(s.text);
        expect(p.hash).toBe(s.sha.toLowerCase());
        expect(p.digits).toBe(s.digits);
        expect(p.counter).toBe(s.counter);
        expect(p.question).toEqual({ format: s.qf, length: s.ql });
        expect(p.pin).toBe(s.pin?.toLowerCase());
        expect(p.session).toBe(s.session);
      }),
      { numRuns: runs(300), seed: 3 },
    );
  });
});

describe('HOTP and TOTP', () => {
  it('HOTP matches node:crypto for every algorithm and 6 to 10 digits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 6, max: 10 }),
        fc.constantFrom('sha1', 'sha256', 'sha512') as fc.Arbitrary<'sha1' | 'sha256' | 'sha512'>,
        (key, counter, digits, algorithm) => {
          expect(hotp(key, counter, { digits, algorithm })).toBe(refHotp(Buffer.from(key), counter, digits, algorithm));
        },
      ),
      { numRuns: runs(500), seed: 11 },
    );
  });

  it('HOTP verification returns the matched counter within the window', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 40 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 0, max: 20 }),
        (key, start, ahead) => {
          const code = hotp(key, start + ahead);
          const found = verifyHotp(key, code, start, { window: 20 });
          // An earlier counter in the window may collide by chance (1 in 10^6 each); it must still be a real match.
          expect(found).not.toBeNull();
          expect(hotp(key, found!)).toBe(code);
          expect(found! <= BigInt(start + ahead)).toBe(true);
        },
      ),
      { numRuns: runs(200), seed: 5 },
    );
  });

  it('TOTP verification honours the drift window at its edge', () => {
    const key = fromHex('3132333435363738393031323334353637383930');
    const code = totp(key, 3000); // step 100
    expect(verifyTotp(key, code, 3000 + 30, { drift: 1 })).toBe(100n);
    expect(verifyTotp(key, code, 3000 - 30, { drift: 1 })).toBe(100n);
    expect(verifyTotp(key, code, 3000 + 60, { drift: 1 })).toBeNull();
    expect(verifyTotp(key, code, 3000 + 60, { drift: 2 })).toBe(100n);
  });

  it('hex round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
      { numRuns: runs(100), seed: 1 },
    );
  });
});

describe('keyed MACs against node:crypto', () => {
  it('HMAC-SHA1/256/512 for keys and messages of every length around the block edges', async () => {
    const { keyedMac } = await import('../../firmware/crypto/mac.ts');
    const { createHmac } = await import('node:crypto');
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('sha1', 'sha256', 'sha512') as fc.Arbitrary<'sha1' | 'sha256' | 'sha512'>,
        (key, msg, alg) => {
          const mac = keyedMac(alg, key);
          const want = createHmac(alg, key).update(msg).digest('hex');
          expect(toHex(mac(msg))).toBe(want);
          expect(toHex(mac(msg))).toBe(want); // the precomputed state is reused intact
        },
      ),
      { numRuns: runs(1000), seed: 13 },
    );
    for (let n = 0; n < 140; n++) {
      const msg = new Uint8Array(n).fill(n);
      expect(toHex(keyedMac('sha1', msg)(msg))).toBe(createHmac('sha1', msg).update(msg).digest('hex'));
    }
  });
});
