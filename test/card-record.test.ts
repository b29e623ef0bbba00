/**
 * The card's input checks and its stored record (firmware/card): every bound on both sides, and
 * every way a stored record can be bad, named by the part that is wrong. Written to kill the
 * mutants of `npm run mutate` that showed these bounds untested.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cardValue, checkCardProfile, checkIndex, DEFAULT_CARD, type CardProfile } from '../firmware/card/card.ts';
import { decodeCardRecord, encodeCardRecord, newCardRecord, type CardRecord } from '../firmware/card/card-record.ts';
import { refusal } from './input-error.ts';

const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
const profile = (p: Partial<CardProfile>): CardProfile => ({ ...DEFAULT_CARD, ...p });

describe('card profile bounds', () => {
  it.each([
    [{ alphabet: 'A' }, 'alphabet', 'card alphabet must have 2 to 256 symbols, got 1'],
    [{ alphabet: cjk(257) }, 'alphabet', 'card alphabet must have 2 to 256 symbols, got 257'],
    [{ alphabet: 'ABa' }, 'alphabet', 'card alphabet repeats a symbol'],
    [{ alphabet: 'ABB' }, 'alphabet', 'card alphabet repeats a symbol'],
    [{ length: 0 }, 'length', 'card value length must be 1 to 16, got 0'],
    [{ length: 17 }, 'length', 'card value length must be 1 to 16, got 17'],
    [{ length: 2.5 }, 'length', 'card value length must be 1 to 16, got 2.5'],
    [{ size: 0 }, 'size', 'card size must be 1 to 9999 index numbers, got 0'],
    [{ size: 10_000 }, 'size', 'card size must be 1 to 9999 index numbers, got 10000'],
    [{ size: 1.5 }, 'size', 'card size must be 1 to 9999 index numbers, got 1.5'],
  ])('refuses %j', (p, part, message) => {
    const r = refusal(() => checkCardProfile(profile(p)));
    expect(r.part).toBe(part);
    expect(r.message).toContain(message);
  });

  it('refuses an alphabet that is missing or not text as an InputError, not a crash', () => {
    for (const alphabet of [undefined, ['A', 'B'], 36])
      expect(refusal(() => checkCardProfile({ ...DEFAULT_CARD, alphabet } as unknown as CardProfile)).part).toBe('alphabet');
    expect(refusal(() => checkCardProfile({ ...DEFAULT_CARD, alphabet: undefined } as unknown as CardProfile)).message).toBe(
      'card alphabet must have 2 to 256 symbols, got undefined',
    );
  });

  it('counts symbols as the same when they upper-case alike (answers are compared upper-cased)', () => {
    // Dotless i upper-cases to I: typed answers could not tell the two apart.
    expect(refusal(() => checkCardProfile(profile({ alphabet: '\u0131I' }))).message).toContain('repeats a symbol');
  });

  it.each([[{ alphabet: 'AB' }], [{ alphabet: cjk(256) }], [{ length: 1 }], [{ length: 16 }], [{ size: 1 }], [{ size: 9999 }]])(
    'takes the bound %j',
    (p) => {
      expect(() => checkCardProfile(profile(p))).not.toThrow();
      const pr = profile(p);
      const v = cardValue(new Uint8Array([1]), 'S', pr.size, pr);
      expect([...v].length).toBe(pr.length);
      for (const ch of v) expect(pr.alphabet).toContain(ch);
    },
  );

  it('index numbers run from 1 to size, whole numbers only', () => {
    const p = profile({ size: 7 });
    expect(() => checkIndex(p, 1)).not.toThrow();
    expect(() => checkIndex(p, 7)).not.toThrow();
    for (const bad of [0, 8, 1.5, -1])
      expect(refusal(() => checkIndex(p, bad))).toEqual({ part: 'index', message: `index must be a whole number from 1 to 7, got ${bad}` });
    expect(refusal(() => cardValue(new Uint8Array([1]), 'S', 8, p)).part).toBe('index');
  });

  it('a card value needs a secret of at least one byte', () => {
    expect(refusal(() => cardValue(new Uint8Array(0), 'S', 1))).toEqual({
      part: 'secret',
      message: 'card secret must be at least one byte',
    });
  });

  it('index numbers past 255 and 65535 give their own values (all four index bytes count)', () => {
    const s = new Uint8Array([7, 7, 7]);
    const p = profile({ size: 9999, length: 8 });
    const values = [1, 257, 513, 9985, 2, 258].map((i) => cardValue(s, 'S', i, p));
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('card values that need more than one MAC block', () => {
  // 129 symbols: bytes from 129 are skipped (about half), so 16 symbols often need a second block.
  const byRule = (secret: Buffer, index: number, alphabet: string, length: number) => {
    const limit = 256 - (256 % alphabet.length);
    const idx = Buffer.alloc(4);
    idx.writeUInt32BE(index);
    let block = createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from('tokenbench-card-v1'), Buffer.of(0), Buffer.from('SC2'), Buffer.of(0), idx]))
      .digest();
    let out = '';
    let blocks = 1;
    for (;;) {
      for (const b of block) if (out.length < length && b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) return { out, blocks };
      block = createHmac('sha256', secret).update(block).digest();
      blocks++;
    }
  };

  it('follows the rule into the next block (checked with node:crypto)', () => {
    const secret = Buffer.from('0123456789abcdef', 'hex');
    const alphabet = cjk(129);
    let second = 0;
    for (let i = 1; i <= 40; i++) {
      const want = byRule(secret, i, alphabet, 16);
      if (want.blocks > 1) second++;
      expect(cardValue(secret, 'SC2', i, { alphabet, length: 16, size: 200 })).toBe(want.out);
    }
    expect(second).toBeGreaterThan(0);
  });
});

describe('card record', () => {
  const secret = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

  it('is made with defaults: sealed, no expiry, the default profile, the secret in hex', () => {
    const r = newCardRecord({ secret: Uint8Array.of(0, 1, 10, 15, 16, 171, 255, 2, 3, 4), serial: 'SC-1' });
    expect(r).toEqual({
      v: 1,
      model: 'card',
      serial: 'SC-1',
      secret: '00010a0f10abff020304',
      profile: DEFAULT_CARD,
      sealed: true,
      expiresAt: null,
    });
    expect(newCardRecord({ secret: secret(10), serial: 'S', sealed: false, expiresAt: 5 })).toMatchObject({ sealed: false, expiresAt: 5 });
  });

  it('takes secrets of 10 to 128 bytes and a valid serial', () => {
    expect(() => newCardRecord({ secret: secret(10), serial: 'S' })).not.toThrow();
    expect(() => newCardRecord({ secret: secret(128), serial: 'S' })).not.toThrow();
    expect(refusal(() => newCardRecord({ secret: secret(9), serial: 'S' }))).toEqual({
      part: 'secret',
      message: 'secret must be 10 to 128 bytes, got 9',
    });
    expect(refusal(() => newCardRecord({ secret: secret(129), serial: 'S' }))).toEqual({
      part: 'secret',
      message: 'secret must be 10 to 128 bytes, got 129',
    });
    expect(refusal(() => newCardRecord({ secret: secret(10), serial: 'no spaces' }))).toEqual({
      part: 'serial',
      message: 'serial must be 1 to 32 letters, digits or dashes',
    });
    expect(refusal(() => newCardRecord({ secret: secret(10), serial: 'S', profile: profile({ length: 0 }) })).part).toBe('length');
  });

  // 12 bytes, off the bounds: a mutated bound fails the test that checks it, not the collection of this file.
  const good: CardRecord = newCardRecord({ secret: secret(12), serial: 'SC-1', sealed: false, expiresAt: 1_700_000_000_000 });
  const bytes = (r: unknown) => new TextEncoder().encode(JSON.stringify(r));

  it('round-trips through its stored bytes', () => {
    expect(decodeCardRecord(encodeCardRecord(good))).toEqual(good);
    const withKey = { ...good, authKey: '11'.repeat(16) };
    expect(decodeCardRecord(bytes(withKey))).toEqual(withKey);
    expect(decodeCardRecord(bytes({ ...good, authKey: '11'.repeat(64) })).authKey).toBe('11'.repeat(64));
    expect(decodeCardRecord(bytes({ ...good, authKey: '' })).authKey).toBe('');
    expect(decodeCardRecord(bytes({ ...good, secret: '' })).secret).toBe(''); // not provisioned, unsealed
    expect(decodeCardRecord(bytes({ ...good, secret: '00'.repeat(10) })).secret).toHaveLength(20);
    expect(decodeCardRecord(bytes({ ...good, secret: '00'.repeat(128) })).secret).toHaveLength(256);
    expect(decodeCardRecord(bytes({ ...good, expiresAt: null })).expiresAt).toBeNull();
  });

  it.each([
    ['not JSON', new TextEncoder().encode('{"v":1'), 'stored card record is not valid JSON'],
    ['JSON null', bytes(null), 'stored card record has a bad version or model'],
    ['version 2', bytes({ ...good, v: 2 }), 'stored card record has a bad version or model'],
    ['a DSC model', bytes({ ...good, model: 'dsc' }), 'stored card record has a bad version or model'],
    ['a bad serial', bytes({ ...good, serial: 'a b' }), 'stored card record has a bad serial'],
    ['a sealed flag of 1', bytes({ ...good, sealed: 1 }), 'stored card record has a bad sealed flag'],
    ['a numeric secret', bytes({ ...good, secret: 5 }), 'stored card record has a bad secret'],
    ['an empty secret, sealed', bytes({ ...good, secret: '', sealed: true }), 'stored card record has a bad secret'],
    ['a 9-byte secret', bytes({ ...good, secret: '00'.repeat(9) }), 'stored card record has a bad secret'],
    ['a 129-byte secret', bytes({ ...good, secret: '00'.repeat(129) }), 'stored card record has a bad secret'],
    ['a secret that is not hex', bytes({ ...good, secret: 'zz'.repeat(10) }), 'stored card record has a bad secret or profile'],
    ['a bad profile', bytes({ ...good, profile: { ...DEFAULT_CARD, size: 0 } }), 'stored card record has a bad secret or profile'],
    ['a 15-byte authKey', bytes({ ...good, authKey: '11'.repeat(15) }), 'stored card record has a bad authKey'],
    ['a 65-byte authKey', bytes({ ...good, authKey: '11'.repeat(65) }), 'stored card record has a bad authKey'],
    ['a numeric authKey', bytes({ ...good, authKey: 7 }), 'stored card record has a bad authKey'],
    ['an authKey that is not hex', bytes({ ...good, authKey: 'zz'.repeat(16) }), 'stored card record has a bad authKey'],
    ['an expiry of 1.5', bytes({ ...good, expiresAt: 1.5 }), 'stored card record has a bad expiry'],
    ['an expiry as text', bytes({ ...good, expiresAt: '1' }), 'stored card record has a bad expiry'],
    ['no expiry field', bytes({ ...good, expiresAt: undefined }), 'stored card record has a bad expiry'],
  ])('refuses a record with %s, naming it', (_what, b, message) => {
    expect(refusal(() => decodeCardRecord(b))).toEqual({ part: 'nv', message });
  });
});
