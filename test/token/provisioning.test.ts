/**
 * The provisioning plane of a DSC+ or DSC at the firmware level (firmware/token/provisioning.ts,
 * docs/protocol.md P-1.7, P-1.18, P-4.5): each write stores what it names and nothing else, ranges
 * answer 6A80 naming the field, a sealed token refuses every write with 6985 until FACTORY_RESET,
 * a locked one refuses a new PIN or PIN policy with 6983, and secrets are never read back.
 */
import { describe, expect, it } from 'vitest';
import { FLAG, type InsName, TAG } from '../../protocol/codes.ts';
import { newSession } from '../../protocol/server.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { decodeNv, hashPin, type Provisioning, provision } from '../../firmware/device/nv.ts';
import { NV_KEY } from '../../firmware/device/runner.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken, type TokenOptions } from '../../firmware/token/device-token.ts';
import { call } from './direct.ts';

const SECRET = new TextEncoder().encode('12345678901234567890');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function rig(p: Partial<Provisioning> & { model: Provisioning['model'] } = { model: 'dscplus' }, options: TokenOptions = {}) {
  const storage = new MemoryStorage();
  const token = DeviceToken.create(storage, seededRng(1), provision({ secret: SECRET, serial: 'T1', sealed: false, ...p }), 0, options);
  return { token, stored: () => decodeNv(storage.read(NV_KEY)!) };
}

const compute = (token: DeviceToken, pin: string, challenge = '123456') =>
  call(token, 'TEST_COMPUTE', [
    [TAG.CHALLENGE, challenge],
    [TAG.PIN, pin],
  ]);

/** Every provisioning write, with a value it would take. */
const WRITES: [InsName, [number, Uint8Array | string | number][]][] = [
  ['PUT_SECRET', [[TAG.SECRET, new Uint8Array(20).fill(7)]]],
  ['PUT_SUITE', [[TAG.SUITE, 'OCRA-1:HOTP-SHA256-6:QN08']]],
  [
    'PUT_PIN_POLICY',
    [
      [TAG.PIN_LENGTH, 4],
      [TAG.LOCK_THRESHOLD, 4],
    ],
  ],
  ['PUT_PIN', [[TAG.PIN, '9876']]],
  ['PUT_SERIAL', [[TAG.SERIAL, 'NEW-1']]],
  ['PUT_UNLOCK_KEY', [[TAG.UNLOCK_KEY, new Uint8Array(16).fill(5)]]],
  ['PUT_COUNTER', [[TAG.COUNTER, 77]]],
  ['PUT_AUTH_KEY', [[TAG.AUTH_KEY, new Uint8Array(32).fill(6)]]],
  ['SEAL', []],
];

describe('each write stores what it names (P-1.18)', () => {
  it('PUT_SECRET, PUT_SERIAL, PUT_UNLOCK_KEY, PUT_COUNTER and PUT_AUTH_KEY store their value; none is read back', () => {
    const { token, stored } = rig();
    const before = stored();
    for (const [name, fields] of WRITES.filter(([n]) => !['PUT_SUITE', 'PUT_PIN_POLICY', 'PUT_PIN', 'SEAL'].includes(n)))
      expect(call(token, name, fields).sw, name).toBe('9000');
    expect(stored()).toEqual({
      ...before,
      secret: '07'.repeat(20),
      serial: 'NEW-1',
      unlockKey: '05'.repeat(16),
      counter: 77,
      authKey: '06'.repeat(32),
    });
    const everything = [call(token, 'GET_INFO'), call(token, 'GET_STATE')].flatMap((a) => a.items.map((i) => hex(i.value)));
    for (const secret of ['07'.repeat(20), '05'.repeat(16), '06'.repeat(32)])
      expect(everything.some((v) => v.includes(secret.slice(0, 20)))).toBe(false);
  });

  it('PUT_SUITE on a DSC+ takes an OCRA suite its keypad can type; on a DSC a TOTP or HOTP setting', () => {
    const plus = rig();
    expect(call(plus.token, 'PUT_SUITE', [[TAG.SUITE, 'OCRA-1:HOTP-SHA256-6:QN08']]).sw).toBe('9000');
    expect(plus.stored().suite).toBe('OCRA-1:HOTP-SHA256-6:QN08');
    expect(compute(plus.token, '1234', '12345678').text(TAG.RESPONSE)).toBe(
      ocra('OCRA-1:HOTP-SHA256-6:QN08', SECRET, { question: '12345678' }),
    );
    expect(call(plus.token, 'PUT_SUITE', [[TAG.SUITE, 'HOTP-SHA1-6']]).sw).toBe('6A80');
    const dsc = rig({ model: 'dsc' });
    expect(call(dsc.token, 'PUT_SUITE', [[TAG.SUITE, 'HOTP-SHA256-8']]).sw).toBe('9000');
    expect(dsc.stored().otp).toEqual({ mode: 'hotp', algorithm: 'sha256', digits: 8, step: 30 });
    expect(call(dsc.token, 'PUT_SUITE', [[TAG.SUITE, 'OCRA-1:HOTP-SHA1-8:QN06']])).toMatchObject({
      sw: '6A80',
      detail: 'a DSC algorithm looks like TOTP-SHA1-6-30 or HOTP-SHA1-6, got "OCRA-1:HOTP-SHA1-8:QN06"',
    });
    expect(call(dsc.token, 'PUT_SUITE', [[TAG.SUITE, 'T'.repeat(129)]])).toMatchObject({
      sw: '6A80',
      detail: 'SUITE must be UTF-8 text of at most 128 bytes',
    });
  });

  it('PUT_PIN_POLICY sets length and lock threshold with every try; the same length keeps the PIN, a new one resets it', () => {
    const { token, stored } = rig({ model: 'dscplus', pin: '2468' });
    compute(token, '0000');
    expect(
      call(token, 'PUT_PIN_POLICY', [
        [TAG.PIN_LENGTH, 4],
        [TAG.LOCK_THRESHOLD, 15],
      ]).sw,
    ).toBe('9000');
    expect(stored()).toMatchObject({ pinLength: 4, maxTries: 15, tries: 15 });
    expect(compute(token, '2468').sw).toBe('9000'); // same length: the PIN stays
    call(token, 'PUT_PIN_POLICY', [
      [TAG.PIN_LENGTH, 6],
      [TAG.LOCK_THRESHOLD, 1],
    ]);
    expect(stored()).toMatchObject({ pinLength: 6, maxTries: 1, tries: 1 });
    expect(stored().pinHash).toBe(hashPin(stored().pinSalt, '123400')); // the default PIN, padded to 6
    expect(compute(token, '123400').sw).toBe('9000');
  });

  it('PUT_PIN_POLICY ranges: PIN_LENGTH 4 to 6, LOCK_THRESHOLD 1 to 15', () => {
    const { token, stored } = rig();
    const policy = (len: number, tries: number) =>
      call(token, 'PUT_PIN_POLICY', [
        [TAG.PIN_LENGTH, len],
        [TAG.LOCK_THRESHOLD, tries],
      ]);
    expect(policy(3, 3)).toMatchObject({ sw: '6A80', detail: 'PIN_LENGTH must be a number from 4 to 6' });
    expect(policy(7, 3).sw).toBe('6A80');
    expect(policy(4, 0)).toMatchObject({ sw: '6A80', detail: 'LOCK_THRESHOLD must be a number from 1 to 15' });
    expect(policy(4, 16).sw).toBe('6A80');
    expect(stored()).toMatchObject({ pinLength: 4, maxTries: 3 });
  });

  it('PUT_PIN takes a PIN of the set length and gives every try back', () => {
    const { token, stored } = rig();
    compute(token, '0000');
    expect(stored().tries).toBe(2);
    expect(call(token, 'PUT_PIN', [[TAG.PIN, '12345']])).toMatchObject({ sw: '6A80', detail: 'PIN must be exactly 4 digits' });
    expect(call(token, 'PUT_PIN', [[TAG.PIN, '1'.repeat(17)]]).detail).toBe('PIN must be UTF-8 text of at most 16 bytes');
    expect(call(token, 'PUT_PIN', [[TAG.PIN, '9876']]).sw).toBe('9000');
    expect(stored().tries).toBe(3);
    expect(compute(token, '1234').sw).toBe('63C2');
    expect(compute(token, '9876').sw).toBe('9000');
  });

  it('key fields are 10 to 128 bytes, AUTH_KEY 16 to 64, COUNTER up to 2^53 - 1', () => {
    const { token, stored } = rig();
    for (const [name, tag] of [
      ['PUT_SECRET', TAG.SECRET],
      ['PUT_UNLOCK_KEY', TAG.UNLOCK_KEY],
    ] as const) {
      expect(call(token, name, [[tag, new Uint8Array(9)]]).sw, name).toBe('6A80');
      expect(call(token, name, [[tag, new Uint8Array(129)]]).sw, name).toBe('6A80');
      expect(call(token, name, [[tag, new Uint8Array(128).fill(1)]]).sw, name).toBe('9000');
    }
    expect(call(token, 'PUT_AUTH_KEY', [[TAG.AUTH_KEY, new Uint8Array(15)]])).toMatchObject({
      sw: '6A80',
      detail: 'AUTH_KEY must be 16 to 64 bytes, got 15',
    });
    expect(call(token, 'PUT_AUTH_KEY', [[TAG.AUTH_KEY, new Uint8Array(65)]]).detail).toBe('AUTH_KEY must be 16 to 64 bytes, got 65');
    expect(call(token, 'PUT_AUTH_KEY', [[TAG.AUTH_KEY, new Uint8Array(16).fill(2)]]).sw).toBe('9000');
    expect(stored().authKey).toBe('02'.repeat(16));
    expect(call(token, 'PUT_AUTH_KEY', [[TAG.AUTH_KEY, new Uint8Array(64).fill(3)]]).sw).toBe('9000');
    expect(stored().authKey).toBe('03'.repeat(64));
    const max = Uint8Array.of(0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    expect(call(token, 'PUT_COUNTER', [[TAG.COUNTER, max]]).sw).toBe('9000');
    expect(stored().counter).toBe(Number.MAX_SAFE_INTEGER);
    expect(call(token, 'PUT_COUNTER', [[TAG.COUNTER, Uint8Array.of(0x20, 0, 0, 0, 0, 0, 0)]]).sw).toBe('6A80');
    expect(call(token, 'PUT_SERIAL', [[TAG.SERIAL, 'has space']]).sw).toBe('6A80');
  });

  it('every write refuses P1/P2 other than 00 with 6A86 and stores nothing', () => {
    const { token, stored } = rig();
    const before = stored();
    for (const [name, fields] of WRITES) expect(call(token, name, fields, { p1: 1 }).sw, name).toBe('6A86');
    expect(stored()).toEqual(before);
  });
});

describe('SEAL (P-1.18, P-4.5)', () => {
  it('a board refuses SEAL without a secret, then without a board key; sealed, it answers FLAGS and only its key unlocks the planes', () => {
    const { token, stored } = rig();
    call(token, 'FACTORY_RESET');
    expect(call(token, 'SEAL')).toMatchObject({ sw: '6985', detail: 'no secret: PUT_SECRET before SEAL' });
    call(token, 'PUT_SECRET', [[TAG.SECRET, SECRET]]);
    expect(call(token, 'SEAL')).toMatchObject({ sw: '6985', detail: expect.stringMatching(/^no board key: PUT_AUTH_KEY before SEAL/) });
    expect(stored().sealed).toBe(false);
    call(token, 'PUT_AUTH_KEY', [[TAG.AUTH_KEY, new Uint8Array(16).fill(1)]]);
    const sealed = call(token, 'SEAL');
    expect([sealed.sw, sealed.num(TAG.FLAGS)]).toEqual(['9000', FLAG.SEALED | FLAG.PROVISIONED | FLAG.POWERED]);
    expect(stored().sealed).toBe(true);
    expect(call(token, 'PUT_COUNTER', [[TAG.COUNTER, 1]], { session: newSession(2) }).sw).toBe('6982');
  });

  it('a token served by a host seals without a board key (the lab key authenticates)', () => {
    const { token, stored } = rig({ model: 'dscplus' }, { labKey: new Uint8Array(32) });
    expect(call(token, 'SEAL').sw).toBe('9000');
    expect(stored().sealed).toBe(true);
  });

  it('sealed, every write answers 6985 naming the way out, and stores nothing; FACTORY_RESET opens it again', () => {
    const { token, stored } = rig({ model: 'dscplus', sealed: true });
    const before = stored();
    for (const [name, fields] of WRITES)
      expect(call(token, name, fields), name).toMatchObject({
        sw: '6985',
        detail: 'the token is sealed; FACTORY_RESET it before provisioning',
      });
    expect(stored()).toEqual(before);
    call(token, 'FACTORY_RESET');
    for (const [name, fields] of WRITES.filter(([n]) => n !== 'SEAL')) expect(call(token, name, fields).sw, name).toBe('9000');
  });
});

describe('a locked token stays locked whatever is provisioned', () => {
  it('PUT_PIN and PUT_PIN_POLICY answer 6983; the other writes still work', () => {
    const { token, stored } = rig({ model: 'dscplus', maxTries: 1 });
    compute(token, '0000');
    expect(call(token, 'PUT_PIN', [[TAG.PIN, '1111']])).toMatchObject({
      sw: '6983',
      detail: 'the PIN is locked: provisioning a PIN does not unlock it; FACTORY_RESET the token (or use the unlock flow)',
    });
    expect(
      call(token, 'PUT_PIN_POLICY', [
        [TAG.PIN_LENGTH, 4],
        [TAG.LOCK_THRESHOLD, 3],
      ]).sw,
    ).toBe('6983');
    expect(stored().tries).toBe(0);
    expect(call(token, 'PUT_COUNTER', [[TAG.COUNTER, 4]]).sw).toBe('9000');
    expect(call(token, 'PUT_SUITE', [[TAG.SUITE, 'OCRA-1:HOTP-SHA1-8:QN06']]).sw).toBe('9000');
    expect(stored().tries).toBe(0);
  });
});
