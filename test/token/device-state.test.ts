/**
 * The DSC+ and DSC token's clock, state and compute planes at the firmware level
 * (firmware/token/device-handlers.ts, docs/protocol.md P-1.17 to P-1.23): the clock, GET_STATE and
 * FACTORY_RESET, TEST_COMPUTE, the token at the host and AUTHENTICATE challenges.
 */
import { describe, expect, it } from 'vitest';
import { readUint, uint } from '../../protocol/bytes.ts';
import { FLAG, INDICATOR, TAG } from '../../protocol/codes.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { decodeNv } from '../../firmware/device/nv.ts';
import { NV_KEY } from '../../firmware/device/runner.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { call } from './direct.ts';
import { key, keys, ms, rig, SECRET, T0 } from './device-rig.ts';

describe('clock (P-1.17)', () => {
  it('GET_CLOCK follows the host; SET_CLOCK 01 holds it still, 00 lets it run again from where it was set', () => {
    const { token } = rig({ model: 'dscplus' });
    expect(call(token, 'GET_CLOCK', [], { hostNow: T0 + 5 }).num(TAG.CLOCK)).toBe(T0 + 5);
    expect(call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(1000)]], { p1: 1, hostNow: T0 + 5 }).num(TAG.CLOCK)).toBe(1000);
    expect(call(token, 'GET_CLOCK', [], { hostNow: T0 + 9000 }).num(TAG.CLOCK)).toBe(1000);
    expect(call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(2000)]], { p1: 0, hostNow: T0 + 9000 }).num(TAG.CLOCK)).toBe(2000);
    expect(call(token, 'GET_CLOCK', [], { hostNow: T0 + 9500 }).num(TAG.CLOCK)).toBe(2500);
    expect(call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(3000)]], { p1: 0, hostNow: T0 + 9500 }).num(TAG.CLOCK)).toBe(3000);
    expect(call(token, 'GET_CLOCK', [], { hostNow: T0 + 9600 }).num(TAG.CLOCK)).toBe(3100);
    expect(call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(1)]], { p1: 2 }).sw).toBe('6A86');
    expect(call(token, 'GET_CLOCK', [], { p1: 1 }).sw).toBe('6A86');
  });

  it('SET_CLOCK fires the timeouts due before it moves the clock', () => {
    const { token } = rig({ model: 'dscplus' });
    keys(token, 'PRESS');
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1, hostNow: T0 + 60_000 });
    expect(token.display().text).toBe(''); // the PIN> timeout at T0 + 60 s fired before the clock went back
  });

  it('ADVANCE_CLOCK takes 0 to 366 days and answers the clock and display after', () => {
    const { token } = rig({ model: 'dscplus' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1 });
    keys(token, 'PRESS');
    const a = call(token, 'ADVANCE_CLOCK', [ms(59_999)]);
    expect([a.num(TAG.CLOCK), a.text(TAG.TEXT), a.num(TAG.INDICATORS)]).toEqual([T0 + 59_999, 'PIN>', INDICATOR.ON]);
    expect(call(token, 'ADVANCE_CLOCK', [ms(1)]).text(TAG.TEXT)).toBe('');
    const year = 366 * 86_400_000;
    expect(call(token, 'ADVANCE_CLOCK', [ms(year + 1)])).toMatchObject({
      sw: '6A80',
      detail: `DURATION must be a number from 0 to ${year}`,
    });
    expect(call(token, 'ADVANCE_CLOCK', [ms(year)]).num(TAG.CLOCK)).toBe(T0 + 60_000 + year);
    expect(call(token, 'ADVANCE_CLOCK', [ms(1)], { p1: 1 }).sw).toBe('6A86');
  });
});

describe('GET_STATE and FACTORY_RESET (P-1.18, P-1.19)', () => {
  it('FLAGS tell locked, sealed, provisioned, powered and on as they are', () => {
    const { token } = rig({ model: 'dscplus', maxTries: 1 });
    const state = () => {
      const a = call(token, 'GET_STATE', [], { hostNow: T0 + 7 });
      return [a.num(TAG.TRIES), a.num(TAG.COUNTER), a.num(TAG.FLAGS), a.num(TAG.BATTERY), a.num(TAG.CLOCK)];
    };
    const { LOCKED, SEALED, PROVISIONED, POWERED, ON } = FLAG;
    expect(state()).toEqual([1, 0, SEALED | PROVISIONED | POWERED, 100, T0 + 7]);
    keys(token, 'PRESS');
    expect(state()[2]).toBe(SEALED | PROVISIONED | POWERED | ON);
    keys(token, '0 0 0 0 OK');
    expect(state().slice(0, 3)).toEqual([0, 0, LOCKED | SEALED | PROVISIONED | POWERED | ON]);
    call(token, 'SET_POWER', [], { p1: 0 });
    expect(state()[2]).toBe(LOCKED | SEALED | PROVISIONED);
    expect(call(token, 'GET_STATE', [], { p1: 1 }).sw).toBe('6A86');
  });

  it('FACTORY_RESET erases secret and seal, keeps the serial, answers FLAGS, and drops key releases still due', () => {
    const { token, stored } = rig({ model: 'dsc', counter: 9, pinLength: 6, pin: '135790' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1 });
    call(token, 'KEY_HOLD', [key('PRESS'), ms(1000)]); // its release is due at +1 s
    const r = call(token, 'FACTORY_RESET');
    expect([r.sw, r.num(TAG.FLAGS)]).toEqual(['9000', FLAG.POWERED]);
    expect(token.snapshot().pendingUps).toEqual([]);
    expect(stored()).toMatchObject({ secret: '', unlockKey: '', sealed: false, counter: 0, tries: 3, serial: 'T1', pinLength: 4 });
    call(token, 'ADVANCE_CLOCK', [ms(500)]);
    call(token, 'KEY_DOWN', [key('PRESS')]); // held from +0.5 s: the release due at +1 s must not end it
    expect(call(token, 'ADVANCE_CLOCK', [ms(2000)]).text(TAG.TEXT)).toBe('NO KEY');
    expect(call(token, 'FACTORY_RESET', [], { p1: 1 }).sw).toBe('6A86');
  });
});

describe('TEST_COMPUTE (P-1.20, P-1.23)', () => {
  it('answers the code the keypad shows, and stores the advanced counter before it answers', () => {
    const suite = 'OCRA-1:HOTP-SHA1-8:C-QN06';
    const { token, stored } = rig({ model: 'dscplus', suite, counter: 41 });
    const a = call(token, 'TEST_COMPUTE', [
      [TAG.CHALLENGE, '123456'],
      [TAG.PIN, '1234'],
    ]);
    expect([a.sw, a.text(TAG.RESPONSE)]).toEqual(['9000', ocra(suite, SECRET, { question: '123456', counter: 41 })]);
    expect(stored().counter).toBe(42);
  });

  it('a DSC answers its TOTP code at the device time', () => {
    const { token } = rig({ model: 'dsc' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(59_000)]], { p1: 1 });
    expect(
      call(token, 'TEST_COMPUTE', [
        [TAG.CHALLENGE, ''],
        [TAG.PIN, '1234'],
      ]).text(TAG.RESPONSE),
    ).toBe(totp(SECRET, 59));
  });

  it('a wrong PIN spends a try, stored before the answer 63Cx; the right PIN gives every try back', () => {
    const { token, stored } = rig({ model: 'dscplus', maxTries: 4 });
    const compute = (pin: string) =>
      call(token, 'TEST_COMPUTE', [
        [TAG.CHALLENGE, '123456'],
        [TAG.PIN, pin],
      ]);
    expect(compute('0000')).toMatchObject({ sw: '63C3', detail: 'wrong PIN, 3 tries left' });
    expect(stored().tries).toBe(3);
    expect(compute('0000').sw).toBe('63C2');
    expect(compute('1234').sw).toBe('9000');
    expect(stored().tries).toBe(4);
  });

  it('a locked token answers 6983; no secret 6985; a challenge the keypad cannot type 6A80 and costs no try', () => {
    const { token, stored } = rig({ model: 'dscplus', maxTries: 1 });
    const compute = (challenge: string, pin = '1234') =>
      call(token, 'TEST_COMPUTE', [
        [TAG.CHALLENGE, challenge],
        [TAG.PIN, pin],
      ]);
    expect(compute('12345').sw).toBe('6A80');
    expect(stored().tries).toBe(1);
    expect(compute('123456', '9999').sw).toBe('63C0');
    expect(compute('123456')).toMatchObject({ sw: '6983', detail: 'the PIN is locked' });
    call(token, 'FACTORY_RESET');
    expect(compute('123456')).toMatchObject({ sw: '6985', detail: 'the token has no secret' });
  });

  it('CHALLENGE over 64 bytes, PIN over 16 bytes or P1 01 are refused before anything is spent', () => {
    const { token, stored } = rig({ model: 'dscplus' });
    expect(
      call(token, 'TEST_COMPUTE', [
        [TAG.CHALLENGE, '1'.repeat(65)],
        [TAG.PIN, '1234'],
      ]),
    ).toMatchObject({
      sw: '6A80',
      detail: 'CHALLENGE must be UTF-8 text of at most 64 bytes',
    });
    expect(
      call(token, 'TEST_COMPUTE', [
        [TAG.CHALLENGE, '123456'],
        [TAG.PIN, '1'.repeat(17)],
      ]),
    ).toMatchObject({
      sw: '6A80',
      detail: 'PIN must be UTF-8 text of at most 16 bytes',
    });
    expect(
      call(
        token,
        'TEST_COMPUTE',
        [
          [TAG.CHALLENGE, '123456'],
          [TAG.PIN, '0000'],
        ],
        { p1: 1 },
      ).sw,
    ).toBe('6A86');
    expect(stored().tries).toBe(3);
  });

  it('a storage write that fails answers 6581 and no code; the token carries on from what was stored', () => {
    const suite = 'OCRA-1:HOTP-SHA1-8:C-QN06';
    for (const cut of [0, 1, 2]) {
      const storage = new MemoryStorage();
      rig({ model: 'dscplus', suite, counter: 5 }, {}, storage);
      const failing = storage.revive({ cutAfter: cut });
      const t = DeviceToken.boot(failing, seededRng(1), T0);
      const a = call(t, 'TEST_COMPUTE', [
        [TAG.CHALLENGE, '123456'],
        [TAG.PIN, '1234'],
      ]);
      expect([a.sw, a.get(TAG.RESPONSE)], `cut after ${cut} writes`).toEqual(['6581', undefined]);
      // The try is spent first (write 1), given back (write 2), then the counter advances (write 3):
      // a cut after the first leaves the try spent; no cut leaves a counter advanced without a code shown.
      const after = decodeNv(failing.read(NV_KEY)!);
      expect([after.tries, after.counter, t.nv.tries, t.nv.counter], `cut after ${cut} writes`).toEqual([
        [3, 2, 3][cut],
        5,
        [3, 2, 3][cut],
        5,
      ]);
    }
  });
});

describe('the token at the host', () => {
  it('resetTries gives back every try and clears wrong unlock codes; a token showing LOCKED goes off', () => {
    const { token, stored } = rig({ model: 'dscplus', maxTries: 2 });
    const seen: string[] = [];
    token.onDisplay((d) => seen.push(d.text));
    keys(token, 'PRESS 0 0 0 0 OK');
    token.tick(T0 + 2000);
    keys(token, '0 0 0 0 OK', T0 + 2000);
    expect(token.display()).toEqual({ text: 'LOCKED', indicators: INDICATOR.ON | INDICATOR.LOCKED });
    token.resetTries(T0 + 2000);
    expect(stored()).toMatchObject({ tries: 2, unlockFails: 0 });
    expect(token.display()).toEqual({ text: '', indicators: 0 });
    expect(seen.at(-1)).toBe('');
    keys(token, 'PRESS', T0 + 2000);
    const events = seen.length;
    token.resetTries(T0 + 2000); // not locked: the device stays as it is, and says nothing
    expect(token.display().text).toBe('PIN>');
    expect(token.mode).toBe('pin');
    expect(seen.length).toBe(events);
  });

  it('nextWake: the earliest timeout or key release in host time, none while nothing is due', () => {
    const { token } = rig({ model: 'dsc' });
    expect(token.nextWake(T0)).toBeNull();
    token.hold('PRESS', 5000, T0);
    expect(token.nextWake(T0)).toBe(T0 + 2000); // the hold turns it on before the release
    token.tick(T0 + 2000);
    expect(token.nextWake(T0 + 2000)).toBe(T0 + 5000);
  });

  it('GET_STATE COUNTER carries a counter past one byte', () => {
    const { token } = rig({ model: 'dscplus', counter: 300 });
    expect(readUint(call(token, 'GET_STATE').get(TAG.COUNTER)!)).toBe(300);
  });
});

describe('AUTHENTICATE challenges', () => {
  it("come from the RNG the token is given, apart from the model's own, so a seeded run stays the same", () => {
    const { token } = rig({ model: 'dscplus' }, { authRng: seededRng(7) });
    const a = call(token, 'AUTHENTICATE', [[TAG.NONCE, new Uint8Array(16)]], { p1: 1 });
    expect(a.get(TAG.AUTH_CHALLENGE)).toEqual(seededRng(7)(16));
  });
});
