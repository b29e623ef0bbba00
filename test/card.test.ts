import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cardGrid, cardValue, DEFAULT_CARD } from '../firmware/card/card.ts';
import { seededRng } from '../firmware/rng.ts';
import { checkCardAnswer, DAY_MS, issueCardChallenge, newCardVerifier, newOnlineCardVerifier } from '../firmware/verifier/card-verifier.ts';

const SECRET = new TextEncoder().encode('card-secret-0001');

describe('Security Code Card grid', () => {
  it('maps every index 1..200 to three symbols from A-Z0-9, the same every time', () => {
    const grid = cardGrid(SECRET, 'SC0001');
    expect(grid).toHaveLength(200);
    for (const v of grid) expect(v).toMatch(/^[A-Z0-9]{3}$/);
    expect(cardGrid(SECRET, 'SC0001')).toEqual(grid);
    expect(cardValue(SECRET, 'SC0001', 100)).toBe(grid[99]);
  });

  it('pins the derivation with golden values', () => {
    // Any change here changes every printed card: it needs a new domain string ("-v2"), not an edit.
    expect(cardGrid(SECRET, 'SC0001').slice(0, 5)).toEqual(GOLDEN);
  });

  it('follows the documented derivation (checked with node:crypto)', () => {
    for (let i = 1; i <= 200; i++) expect(cardValue(SECRET, 'SC0001', i)).toBe(independentValue(SECRET, 'SC0001', i));
  });

  it('differs by serial and by secret', () => {
    const a = cardGrid(SECRET, 'SC0001').join('');
    expect(cardGrid(SECRET, 'SC0002').join('')).not.toBe(a);
    expect(cardGrid(new TextEncoder().encode('card-secret-0002'), 'SC0001').join('')).not.toBe(a);
  });

  it('uses every symbol about equally often', () => {
    const counts = new Map<string, number>();
    const big = { ...DEFAULT_CARD, size: 9999, length: 4 };
    for (const v of cardGrid(SECRET, 'SC0001', big)) for (const c of v) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    const expected = (9999 * 4) / 36;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.15);
  });

  it('takes a configured alphabet, length and size', () => {
    const grid = cardGrid(SECRET, 'X', { alphabet: '01', length: 8, size: 300 });
    expect(grid).toHaveLength(300);
    for (const v of grid) expect(v).toMatch(/^[01]{8}$/);
    expect(() => cardValue(SECRET, 'X', 201)).toThrow('index must be a whole number from 1 to 200, got 201');
    expect(() => cardGrid(SECRET, 'X', { alphabet: 'aA', length: 3, size: 10 })).toThrow(/repeats a symbol/);
  });
});

describe('card verifier', () => {
  it('asks for two distinct index numbers and accepts both values typed together, either case', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = seededRng(seed);
        let v = newCardVerifier('SC0001');
        const issued = issueCardChallenge(v, rng, 0);
        v = issued.state;
        const [a, b] = issued.challenge.indexes;
        expect(a).not.toBe(b);
        expect(a >= 1 && a <= 200 && b >= 1 && b <= 200).toBe(true);
        const answer = (cardValue(SECRET, 'SC0001', a) + cardValue(SECRET, 'SC0001', b)).toLowerCase();
        const r = checkCardAnswer(v, SECRET, { id: issued.challenge.id, answer }, 1000);
        expect(r.outcome).toBe('accepted');
        // Each challenge answers once.
        expect(checkCardAnswer(r.state, SECRET, { id: issued.challenge.id, answer }, 1000).outcome).toBe('replayed');
        expect(checkCardAnswer(r.state, SECRET, { id: 'c99', answer }, 1000).outcome).toBe('unknown-challenge');
      }),
      { numRuns: 50, seed: 4 },
    );
  });

  it('rejects a wrong or swapped answer and counts failures', () => {
    const rng = seededRng('x');
    const { state, challenge } = issueCardChallenge(newCardVerifier('SC0001'), rng, 0);
    const [a, b] = challenge.indexes;
    const swapped = cardValue(SECRET, 'SC0001', b) + cardValue(SECRET, 'SC0001', a);
    const r = checkCardAnswer(state, SECRET, { id: challenge.id, answer: swapped }, 0);
    expect(r.outcome).toBe('wrong');
    expect(r.state.failures).toBe(1);
  });

  it('draws every index pair without bias', () => {
    const rng = seededRng(3);
    let v = newCardVerifier('S', { profile: { ...DEFAULT_CARD, size: 3 } });
    const seen = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const r = issueCardChallenge(v, rng, 0);
      v = r.state;
      const k = r.challenge.indexes.join(',');
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['1,2', '1,3', '2,1', '2,3', '3,1', '3,2']);
    for (const n of seen.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it('refuses an online card from its 21st day on', () => {
    const issuedAt = 1_700_000_000_000;
    const v = newOnlineCardVerifier('SC0001', issuedAt);
    const answerFor = (s: typeof v, at: number) => {
      const { state, challenge } = issueCardChallenge(s, seededRng(1), at);
      const answer = challenge.indexes.map((i) => cardValue(SECRET, 'SC0001', i)).join('');
      return checkCardAnswer(state, SECRET, { id: challenge.id, answer }, at).outcome;
    };
    expect(answerFor(v, issuedAt + 21 * DAY_MS - 1)).toBe('accepted');
    expect(answerFor(v, issuedAt + 21 * DAY_MS)).toBe('card-expired');
  });

  it('expires an unanswered challenge after 5 minutes', () => {
    const { state, challenge } = issueCardChallenge(newCardVerifier('SC0001'), seededRng(1), 0);
    const answer = challenge.indexes.map((i) => cardValue(SECRET, 'SC0001', i)).join('');
    expect(checkCardAnswer(state, SECRET, { id: challenge.id, answer }, 300_000 - 1).outcome).toBe('accepted');
    expect(checkCardAnswer(state, SECRET, { id: challenge.id, answer }, 300_000).outcome).toBe('expired-challenge');
  });
});

const GOLDEN = ['NNH', 'PFF', 'EOZ', 'UVO', 'C1F'];

/** The documented derivation, written again with node:crypto. */
function independentValue(secret: Uint8Array, serial: string, index: number): string {
  const alphabet = DEFAULT_CARD.alphabet;
  const idx = Buffer.alloc(4);
  idx.writeUInt32BE(index);
  const mac = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from('tokenbench-card-v1\0' + serial + '\0'), idx]))
    .digest();
  let out = '';
  for (const byte of mac) if (out.length < 3 && byte < 252) out += alphabet[byte % 36];
  return out;
}

describe('card alphabet rule (docs/devices.md: skip bytes >= 256 - 256 mod n)', () => {
  // Independent: node:crypto's HMAC and the rule as the document states it.
  const byDoc = (secret: Buffer, serial: string, index: number, alphabet: string, length: number) => {
    const n = alphabet.length;
    const limit = 256 - (256 % n);
    const idx = Buffer.alloc(4);
    idx.writeUInt32BE(index);
    let block = createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from('tokenbench-card-v1'), Buffer.of(0), Buffer.from(serial), Buffer.of(0), idx]))
      .digest();
    let out = '';
    while (out.length < length) {
      for (const b of block) if (out.length < length && b < limit) out += alphabet[b % n];
      block = createHmac('sha256', secret).update(block).digest();
    }
    return out;
  };
  it.each([
    ['power of two (32 symbols): no byte is skipped', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'],
    ['256 symbols: every byte is a symbol', Array.from({ length: 256 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('')],
    ['36 symbols: bytes from 252 are skipped', DEFAULT_CARD.alphabet],
  ])('%s', (_name, alphabet) => {
    const secret = Buffer.from('00112233445566778899', 'hex');
    for (let i = 1; i <= 50; i++)
      expect(cardValue(secret, 'SC1', i, { alphabet, length: 8, size: 200 })).toBe(byDoc(secret, 'SC1', i, alphabet, 8));
  });
});
