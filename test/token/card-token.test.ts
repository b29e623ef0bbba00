/**
 * The Security Code Card as a protocol endpoint at the firmware level (firmware/token/card-token.ts,
 * docs/protocol.md P-1.10, P-1.11, P-1.18, P-1.21, P-4.5): what GET_INFO says of a paper and an
 * online card, the planes a card has, lookups at both ends of the grid, and FACTORY_RESET.
 */
import { describe, expect, it } from 'vitest';
import { uint } from '../../protocol/bytes.ts';
import { FLAG, TAG } from '../../protocol/codes.ts';
import { newSession } from '../../protocol/server.ts';
import { cardValue } from '../../firmware/card/card.ts';
import { decodeCardRecord, newCardRecord } from '../../firmware/card/card-record.ts';
import { NV_KEY } from '../../firmware/device/runner.ts';
import { InputError } from '../../firmware/errors.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { CardToken, type CardOptions } from '../../firmware/token/card-token.ts';
import { call } from './direct.ts';

const SECRET = new TextEncoder().encode('12345678901234567890');
const PROFILE = { alphabet: 'XYZ', length: 4, size: 50 };

function rig(p: { expiresAt?: number | null; sealed?: boolean } = {}, options: CardOptions = {}) {
  const storage = new MemoryStorage();
  const card = CardToken.create(storage, newCardRecord({ secret: SECRET, serial: 'SC-9', profile: PROFILE, ...p }), options);
  return { card, storage, stored: () => decodeCardRecord(storage.read(NV_KEY)!) };
}

const lookup = (card: CardToken, index: number) => call(card, 'TEST_CARD_LOOKUP', [[TAG.INDEX, uint(index)]]);

describe('GET_INFO of a card (P-1.11)', () => {
  it('a paper card: model, firmware, serial, suite, grid size, alphabet, value length, planes; no keys, display or PIN', () => {
    const { card } = rig();
    const a = call(card, 'GET_INFO');
    expect(a.sw).toBe('9000');
    expect(a.num(TAG.PROTOCOL_VERSION)).toBe(1);
    expect(a.text(TAG.MODEL)).toBe('card');
    expect(a.text(TAG.FIRMWARE_VERSION)).toBe('1.0.0');
    expect(a.text(TAG.SERIAL)).toBe('SC-9');
    expect(a.text(TAG.SUITE)).toBe('CARD-HMAC-SHA256-V1');
    expect(a.num(TAG.SIZE)).toBe(50);
    expect(a.text(TAG.CARD_ALPHABET)).toBe('XYZ');
    expect(a.num(TAG.CARD_VALUE_LENGTH)).toBe(4);
    expect(a.num(TAG.PLANES)).toBe(0b110001); // info, provisioning, test
    expect(a.num(TAG.MAX_MESSAGE)).toBe(4096);
    for (const tag of [TAG.KEYS, TAG.DISPLAY_WIDTH, TAG.PIN_LENGTH, TAG.LOCK_THRESHOLD]) expect(a.get(tag)).toBeUndefined();
    expect(call(card, 'GET_INFO', [], { p1: 1 }).sw).toBe('6A86');
  });

  it('an online card says so', () => {
    expect(call(rig({ expiresAt: 1_800_000_000_000 }).card, 'GET_INFO').text(TAG.MODEL)).toBe('online-card');
  });
});

describe('planes (P-1.10)', () => {
  it('a card answers only the planes of a card that it enables; PLANES lists exactly those', () => {
    const { card } = rig({}, { planes: ['info', 'ui', 'power', 'test'] });
    expect([...card.planes]).toEqual(['info', 'test']);
    expect(call(card, 'GET_INFO').num(TAG.PLANES)).toBe(0b100001);
    expect(call(card, 'PUT_SERIAL', [[TAG.SERIAL, 'X']])).toMatchObject({
      sw: '6A81',
      detail: 'the provisioning plane is disabled on this token',
    });
    expect(call(card, 'READ_DISPLAY').sw).toBe('6A81');
    expect(lookup(card, 1).sw).toBe('9000');
  });

  it('commands a card has no use for answer 6A81', () => {
    const { card } = rig();
    for (const name of ['TEST_COMPUTE', 'PUT_PIN', 'PUT_SUITE', 'FW_BEGIN'] as const) expect(call(card, name).sw, name).toBe('6A81');
  });
});

describe('TEST_CARD_LOOKUP (P-1.21)', () => {
  it('answers the printed value at 1 and at SIZE, refuses 0 and SIZE + 1', () => {
    const { card } = rig();
    expect(lookup(card, 1).text(TAG.VALUE)).toBe(cardValue(SECRET, 'SC-9', 1, PROFILE));
    expect(lookup(card, 50).text(TAG.VALUE)).toBe(cardValue(SECRET, 'SC-9', 50, PROFILE));
    expect(card.value(50)).toBe(cardValue(SECRET, 'SC-9', 50, PROFILE));
    expect(lookup(card, 0)).toMatchObject({ sw: '6A80', detail: 'INDEX must be a number from 1 to 50' });
    expect(lookup(card, 51).sw).toBe('6A80');
    expect(call(card, 'TEST_CARD_LOOKUP', [[TAG.INDEX, uint(1)]], { p1: 1 }).sw).toBe('6A86');
  });
});

describe('provisioning a card (P-1.18, P-4.5)', () => {
  it('GET_STATE answers FLAGS; FACTORY_RESET erases secret, board key and seal, keeps serial and grid, and lookups stop', () => {
    const { card, stored } = rig({ sealed: false });
    expect(call(card, 'GET_STATE').num(TAG.FLAGS)).toBe(FLAG.PROVISIONED);
    call(card, 'PUT_AUTH_KEY', [[TAG.AUTH_KEY, new Uint8Array(16).fill(4)]]);
    const sealed = call(card, 'SEAL');
    expect([sealed.sw, sealed.num(TAG.FLAGS)]).toEqual(['9000', FLAG.SEALED | FLAG.PROVISIONED]);
    expect(call(card, 'GET_STATE', [], { session: newSession(2) }).num(TAG.FLAGS)).toBe(FLAG.SEALED | FLAG.PROVISIONED);
    expect(call(card, 'PUT_SERIAL', [[TAG.SERIAL, 'X']])).toMatchObject({
      sw: '6985',
      detail: 'the card is sealed; FACTORY_RESET it before provisioning',
    });
    const reset = call(card, 'FACTORY_RESET');
    expect([reset.sw, reset.num(TAG.FLAGS)]).toEqual(['9000', 0]);
    expect(stored()).toEqual({ v: 1, model: 'card', serial: 'SC-9', secret: '', profile: PROFILE, sealed: false, expiresAt: null });
    expect(card.record).toEqual(stored());
    expect(lookup(card, 1)).toMatchObject({ sw: '6985', detail: 'the card has no secret' });
    expect(call(card, 'GET_STATE', [], { p1: 1 }).sw).toBe('6A86');
    expect(call(card, 'FACTORY_RESET', [], { p1: 1 }).sw).toBe('6A86');
  });

  it('a board card needs a board key before SEAL; a hosted one does not', () => {
    const board = rig({ sealed: false });
    expect(call(board.card, 'SEAL').detail).toMatch(/^no board key/);
    const hosted = rig({ sealed: false }, { labKey: new Uint8Array(32) });
    expect(call(hosted.card, 'SEAL').sw).toBe('9000');
    expect(hosted.stored().sealed).toBe(true);
  });

  it('a sealed board card answers privileged commands only to a session that authenticated with its key', () => {
    const { card } = rig({ sealed: true });
    expect(call(card, 'TEST_CARD_LOOKUP', [[TAG.INDEX, uint(1)]], { session: newSession(2) }).sw).toBe('6982');
    expect(call(card, 'AUTHENTICATE', [], { session: newSession(2) }).num(TAG.AUTH_STATE)).toBe(0x02);
  });

  it('a write that fails answers 6581 and the card keeps its record', () => {
    const { card, storage, stored } = rig({ sealed: false });
    storage.dead = true;
    expect(call(card, 'PUT_SERIAL', [[TAG.SERIAL, 'NEW']]).sw).toBe('6581');
    storage.dead = false;
    expect(card.record.serial).toBe('SC-9');
    expect(stored().serial).toBe('SC-9');
  });
});

describe('boot', () => {
  it('boots from the record its storage holds; empty storage is an error naming it', () => {
    const { storage, card } = rig({ sealed: false });
    call(card, 'PUT_SERIAL', [[TAG.SERIAL, 'AGAIN']]);
    expect(CardToken.boot(storage).record.serial).toBe('AGAIN');
    expect(() => CardToken.boot(new MemoryStorage())).toThrow(new InputError('nv', 'storage holds no card record'));
  });
});

describe('AUTHENTICATE challenges', () => {
  it('come from the RNG the card is given, so a seeded run stays the same', () => {
    const { card } = rig({}, { authRng: seededRng(7) });
    const a = call(card, 'AUTHENTICATE', [[TAG.NONCE, new Uint8Array(16)]], { p1: 1 });
    expect(a.get(TAG.AUTH_CHALLENGE)).toEqual(seededRng(7)(16));
  });
});
