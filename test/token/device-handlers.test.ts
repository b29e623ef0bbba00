/**
 * The DSC+ and DSC token's own planes at the firmware level (firmware/token/device-handlers.ts,
 * docs/protocol.md P-1.6 to P-1.16): GET_INFO, keys and display, display events, power and battery,
 * each with its status words, ranges and stored state. The clock, state and TEST_COMPUTE planes are
 * in device-state.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { uint } from '../../protocol/bytes.ts';
import { FLAG, INDICATOR, type InsName, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { newSession } from '../../protocol/server.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken, type TokenDisplay } from '../../firmware/token/device-token.ts';
import { call } from './direct.ts';
import { key, keys, ms, rig, T0 } from './device-rig.ts';

describe('GET_INFO (P-1.11)', () => {
  it('a DSC answers its keys, its TOTP setting, the TOTP and HOTP algorithms and the planes it enables', () => {
    const { token } = rig({ model: 'dsc', maxTries: 5 }, { planes: ['info', 'ui', 'test'], firmwareVersion: '2.1.0' });
    const a = call(token, 'GET_INFO');
    expect(a.sw).toBe('9000');
    expect(a.num(TAG.PROTOCOL_VERSION)).toBe(1);
    expect(a.text(TAG.MODEL)).toBe('dsc');
    expect(a.text(TAG.FIRMWARE_VERSION)).toBe('2.1.0');
    expect(a.text(TAG.SERIAL)).toBe('T1');
    expect([...a.get(TAG.KEYS)!]).toEqual(['PRESS', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'OK'].map((k) => KEY_CODE[k]));
    expect(a.num(TAG.DISPLAY_WIDTH)).toBe(8);
    expect(a.num(TAG.PIN_LENGTH)).toBe(4);
    expect(a.text(TAG.SUITE)).toBe('TOTP-SHA1-6-30');
    expect(a.all(TAG.ALGORITHMS).map((v) => new TextDecoder().decode(v))).toEqual([
      'TOTP-SHA1',
      'HOTP-SHA1',
      'TOTP-SHA256',
      'HOTP-SHA256',
      'TOTP-SHA512',
      'HOTP-SHA512',
    ]);
    expect(a.num(TAG.LOCK_THRESHOLD)).toBe(5);
    expect(a.num(TAG.PLANES)).toBe(0b100011); // info, ui, test
    expect(a.num(TAG.MAX_MESSAGE)).toBe(4096);
  });

  it('takes no P1/P2 (P-1.6)', () => {
    const { token } = rig({ model: 'dscplus' });
    expect(call(token, 'GET_INFO', [], { p2: 1 }).sw).toBe('6A86');
  });
});

describe('keys and display (P-1.7, P-1.9, P-1.13)', () => {
  it('KEY_DOWN and KEY_UP answer the display after: a DSC held 1 s stays off, held 2 s turns on', () => {
    const { token } = rig({ model: 'dsc' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1, hostNow: T0 });
    const down = call(token, 'KEY_DOWN', [key('PRESS')], { hostNow: T0 });
    expect([down.sw, down.text(TAG.TEXT), down.num(TAG.INDICATORS)]).toEqual(['9000', '', 0]);
    call(token, 'ADVANCE_CLOCK', [ms(1000)], { hostNow: T0 });
    const up = call(token, 'KEY_UP', [key('PRESS')], { hostNow: T0 });
    expect([up.sw, up.text(TAG.TEXT)]).toEqual(['9000', '']);
    expect(call(token, 'ADVANCE_CLOCK', [ms(5000)], { hostNow: T0 }).text(TAG.TEXT)).toBe('');
    call(token, 'KEY_DOWN', [key('PRESS')], { hostNow: T0 });
    const on = call(token, 'ADVANCE_CLOCK', [ms(2000)], { hostNow: T0 });
    expect([on.text(TAG.TEXT), on.num(TAG.INDICATORS)]).toEqual(['[____]', INDICATOR.ON]);
  });

  it('KEY_HOLD takes 0 to 600000 ms and releases the key after that long on the device clock', () => {
    const { token } = rig({ model: 'dsc' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1 });
    expect(call(token, 'KEY_HOLD', [key('PRESS'), ms(600_001)])).toMatchObject({
      sw: '6A80',
      detail: 'DURATION must be a number from 0 to 600000',
    });
    expect(call(token, 'KEY_HOLD', [key('PRESS'), ms(1999)]).text(TAG.TEXT)).toBe('');
    expect(call(token, 'ADVANCE_CLOCK', [ms(3000)]).text(TAG.TEXT)).toBe('');
    expect(call(token, 'KEY_HOLD', [key('PRESS'), ms(600_000)]).sw).toBe('9000');
    expect(call(token, 'ADVANCE_CLOCK', [ms(2000)]).text(TAG.TEXT)).toBe('[____]');
  });

  it('a short KEY_PRESS of PRESS does not turn a DSC on (it is released at once); a key held again is released once, at the later time', () => {
    const { token } = rig({ model: 'dsc' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1 });
    call(token, 'KEY_PRESS', [key('PRESS')]);
    expect(token.snapshot().pendingUps).toEqual([]);
    expect(call(token, 'ADVANCE_CLOCK', [ms(5000)]).text(TAG.TEXT)).toBe('');
    call(token, 'KEY_HOLD', [key('5'), ms(3000)]);
    call(token, 'KEY_HOLD', [key('PRESS'), ms(1000)]);
    call(token, 'KEY_HOLD', [key('PRESS'), ms(4000)]);
    expect(token.snapshot().pendingUps).toEqual([
      { key: '5', at: T0 + 8000 },
      { key: 'PRESS', at: T0 + 9000 },
    ]);
    expect(call(token, 'ADVANCE_CLOCK', [ms(2000)]).text(TAG.TEXT)).toBe('[____]');
  });

  it('each held key is released at its own time, whatever order they were held in', () => {
    const { token } = rig({ model: 'dsc' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1 });
    call(token, 'KEY_HOLD', [key('5'), ms(5000)]);
    call(token, 'KEY_HOLD', [key('PRESS'), ms(1000)]); // released at +1 s, before the 5: the DSC stays off
    expect(call(token, 'ADVANCE_CLOCK', [ms(3000)]).text(TAG.TEXT)).toBe('');
    expect(token.snapshot().pendingUps).toEqual([{ key: '5', at: T0 + 5000 }]);
  });

  it('KEY_PRESS presses and releases at once; READ_DISPLAY reads without changing anything', () => {
    const { token } = rig({ model: 'dscplus' });
    expect(keys(token, 'PRESS 1')).toBe('PIN>-');
    const r = call(token, 'READ_DISPLAY');
    expect([r.sw, r.text(TAG.TEXT), r.num(TAG.INDICATORS)]).toEqual(['9000', 'PIN>-', INDICATOR.ON]);
    expect(token.nextWake(T0)).toBe(T0 + 60_000); // no key left down: only the entry timeout
  });

  it('a KEY field of two bytes answers 6A80, a key the model lacks 6A88, naming it and the keys there are', () => {
    const { token } = rig({ model: 'dsc' });
    expect(call(token, 'KEY_PRESS', [[TAG.KEY, Uint8Array.of(1, 2)]])).toMatchObject({ sw: '6A80', detail: 'KEY must be one byte, got 2' });
    expect(call(token, 'KEY_PRESS', [[TAG.KEY, new Uint8Array(0)]])).toMatchObject({ sw: '6A80', detail: 'KEY must be one byte, got 0' });
    expect(call(token, 'KEY_DOWN', [key('C')])).toMatchObject({
      sw: '6A88',
      detail: 'key 0x0b is not on a dsc; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK',
    });
    expect(call(token, 'KEY_UP', [[TAG.KEY, Uint8Array.of(0xff)]])).toMatchObject({
      sw: '6A88',
      detail: expect.stringMatching(/^key 0xff is not/),
    });
    expect(call(token, 'KEY_HOLD', [[TAG.KEY, Uint8Array.of(0x7f)], ms(1)]).sw).toBe('6A88');
  });

  it('every key and display command refuses P1/P2 other than 00 with 6A86, doing nothing', () => {
    const { token } = rig({ model: 'dscplus' });
    for (const name of ['KEY_DOWN', 'KEY_UP', 'KEY_PRESS', 'KEY_HOLD', 'READ_DISPLAY'] as InsName[])
      expect(call(token, name, [key('PRESS'), ms(0)], { p1: 1 }), name).toMatchObject({ sw: '6A86', detail: 'P1 and P2 must be 00' });
    expect(token.display().text).toBe('');
  });

  it('SUBSCRIBE P1 01 subscribes the session, 00 ends it, 02 is refused', () => {
    const { token } = rig({ model: 'dscplus' });
    const session = newSession(3);
    expect(call(token, 'SUBSCRIBE', [], { p1: 1, session }).sw).toBe('9000');
    expect(session.subscribed).toBe(true);
    expect(call(token, 'SUBSCRIBE', [], { p1: 2, session }).sw).toBe('6A86');
    expect(session.subscribed).toBe(true);
    call(token, 'SUBSCRIBE', [], { p1: 0, session });
    expect(session.subscribed).toBe(false);
  });
});

describe('display events (P-1.14)', () => {
  it('one event per change, whatever caused it: keys, timeouts, battery level, power, factory reset', () => {
    const { token } = rig({ model: 'dscplus', sealed: false });
    const seen: TokenDisplay[] = [];
    token.onDisplay((d) => seen.push(d));
    keys(token, 'PRESS 1');
    call(token, 'SET_BATTERY', [[TAG.BATTERY, 10]], { hostNow: T0 });
    call(token, 'SET_BATTERY', [[TAG.BATTERY, 10]], { hostNow: T0 }); // no change: no event
    token.tick(T0 + 60_000); // the entry times out
    keys(token, 'PRESS', T0 + 60_000);
    call(token, 'SET_POWER', [], { p1: 0, hostNow: T0 + 60_000 });
    call(token, 'SET_POWER', [], { p1: 1, hostNow: T0 + 60_000 });
    call(token, 'SET_BATTERY', [[TAG.BATTERY, 11]], { hostNow: T0 + 60_000 });
    keys(token, 'PRESS', T0 + 60_000);
    call(token, 'FACTORY_RESET', [], { hostNow: T0 + 60_000 });
    const { ON, BATTERY_LOW, NO_BATTERY } = INDICATOR;
    expect(seen).toEqual([
      { text: 'PIN>', indicators: ON },
      { text: 'PIN>-', indicators: ON },
      { text: 'PIN>-', indicators: ON | BATTERY_LOW },
      { text: '', indicators: BATTERY_LOW },
      { text: 'PIN>', indicators: ON | BATTERY_LOW },
      { text: '', indicators: NO_BATTERY | BATTERY_LOW },
      { text: '', indicators: BATTERY_LOW },
      { text: '', indicators: 0 },
      { text: 'PIN>', indicators: ON },
      { text: '', indicators: 0 },
    ]);
  });

  it('one ADVANCE_CLOCK across several timeouts sends each display on the way, in order', () => {
    const { token } = rig({ model: 'dscplus' });
    call(token, 'SET_CLOCK', [[TAG.CLOCK, uint(T0)]], { p1: 1 });
    const seen: string[] = [];
    token.onDisplay((d) => seen.push(d.text));
    keys(token, 'PRESS 0 0 0 0 OK'); // a wrong PIN: the spent try is stored, FAIL 2 shows
    call(token, 'ADVANCE_CLOCK', [ms(62_000)]);
    expect(seen).toEqual(['PIN>', 'PIN>-', 'PIN>--', 'PIN>---', 'PIN>----', 'FAIL 2', 'PIN>', '']);
  });

  it('a failed storage write restarts the device from storage, and the blank display is an event at once', () => {
    const storage = new MemoryStorage();
    const { token } = rig({ model: 'dscplus' }, {}, storage);
    const seen: TokenDisplay[] = [];
    token.onDisplay((d) => seen.push(d));
    keys(token, 'PRESS 1 2 3');
    call(token, 'KEY_HOLD', [key('4'), ms(5000)], { hostNow: T0 });
    seen.length = 0;
    storage.dead = true;
    expect(call(token, 'KEY_PRESS', [key('OK')], { hostNow: T0 }).sw).toBe('6581');
    expect(token.display()).toEqual({ text: '', indicators: 0 });
    expect(seen).toEqual([{ text: '', indicators: 0 }]);
    expect(token.snapshot().pendingUps).toEqual([]); // RAM starts over: the release of the held 4 is gone with it
  });

  it('a listener that unsubscribes hears nothing more; the event payload carries EVENT, TEXT and INDICATORS', () => {
    const { token } = rig({ model: 'dscplus' });
    const seen: string[] = [];
    const stop = token.onDisplay((d) => seen.push(d.text));
    keys(token, 'PRESS');
    stop();
    keys(token, '1');
    expect(seen).toEqual(['PIN>']);
    expect(Buffer.from(DeviceToken.eventPayload({ text: 'PIN>', indicators: 3 })).toString('hex')).toBe(
      'df050101' + '8d04' + Buffer.from('PIN>').toString('hex') + '8e0103',
    );
  });
});

describe('power and battery (P-1.15, P-1.16)', () => {
  it('SET_POWER 00 removes power (blank, NO_BATTERY, RAM lost); 01 restores it, the device off', () => {
    const { token } = rig({ model: 'dscplus' });
    keys(token, 'PRESS 1');
    const off = call(token, 'SET_POWER', [], { p1: 0 });
    expect([off.sw, off.text(TAG.TEXT), off.num(TAG.INDICATORS)]).toEqual(['9000', '', INDICATOR.NO_BATTERY]);
    expect(call(token, 'GET_STATE').num(TAG.FLAGS)).toBe(FLAG.SEALED | FLAG.PROVISIONED);
    const on = call(token, 'SET_POWER', [], { p1: 1 });
    expect([on.text(TAG.TEXT), on.num(TAG.INDICATORS)]).toEqual(['', 0]);
    expect(keys(token, 'PRESS')).toBe('PIN>'); // the digit typed before is gone
    expect(call(token, 'SET_POWER', [], { p1: 2 }).sw).toBe('6A86');
  });

  it('SET_BATTERY sets 0 to 100 and answers it; 0 is flat; it never puts back a battery taken out', () => {
    const { token } = rig({ model: 'dscplus' });
    expect(call(token, 'GET_BATTERY').num(TAG.BATTERY)).toBe(100);
    expect(call(token, 'SET_BATTERY', [[TAG.BATTERY, 101]])).toMatchObject({
      sw: '6A80',
      detail: 'BATTERY must be a number from 0 to 100',
    });
    expect(call(token, 'SET_BATTERY', [[TAG.BATTERY, 0]]).num(TAG.BATTERY)).toBe(0);
    expect(call(token, 'GET_BATTERY').num(TAG.BATTERY)).toBe(0);
    expect(call(token, 'READ_DISPLAY').num(TAG.INDICATORS)).toBe(INDICATOR.NO_BATTERY | INDICATOR.BATTERY_LOW);
    expect(keys(token, 'PRESS')).toBe('');
    call(token, 'SET_BATTERY', [[TAG.BATTERY, 1]]);
    expect(keys(token, 'PRESS')).toBe('PIN>');
    call(token, 'SET_POWER', [], { p1: 0 });
    call(token, 'SET_BATTERY', [[TAG.BATTERY, 100]]);
    expect(keys(token, 'PRESS')).toBe('');
    expect(call(token, 'READ_DISPLAY').num(TAG.INDICATORS)).toBe(INDICATOR.NO_BATTERY);
    for (const name of ['GET_BATTERY', 'SET_BATTERY'] as InsName[])
      expect(call(token, name, [[TAG.BATTERY, 5]], { p1: 1 }).sw).toBe('6A86');
  });
});

describe('no power, whatever comes before (P-1.15, P-1.16)', () => {
  const pressShows = (token: DeviceToken) => keys(token, 'PRESS');

  it('a token made or booted with a flat battery has no power until the level is raised', () => {
    const storage = new MemoryStorage();
    const { token } = rig({ model: 'dscplus' }, { battery: 0 }, storage);
    expect(pressShows(token)).toBe('');
    expect(call(token, 'GET_STATE').num(TAG.FLAGS)).toBe(FLAG.SEALED | FLAG.PROVISIONED);
    const booted = DeviceToken.boot(storage, seededRng(1), T0, { battery: 0 });
    expect(pressShows(booted)).toBe('');
    expect(booted.display().indicators).toBe(INDICATOR.NO_BATTERY | INDICATOR.BATTERY_LOW);
    call(booted, 'SET_BATTERY', [[TAG.BATTERY, 50]]);
    expect(pressShows(booted)).toBe('PIN>');
  });

  it("an administrator's unlock of a locked token whose battery is out does not power it", () => {
    const { token, stored } = rig({ model: 'dscplus', maxTries: 1 });
    keys(token, 'PRESS 0 0 0 0 OK');
    call(token, 'SET_POWER', [], { p1: 0 });
    token.resetTries(T0);
    expect(stored().tries).toBe(1);
    expect(token.display()).toEqual({ text: '', indicators: INDICATOR.NO_BATTERY });
    expect(pressShows(token)).toBe('');
    call(token, 'SET_POWER', [], { p1: 1 });
    expect(pressShows(token)).toBe('PIN>');
  });

  it('a storage write that fails while the battery is out leaves the token without power', () => {
    const storage = new MemoryStorage();
    const { token } = rig({ model: 'dscplus', sealed: false }, {}, storage);
    call(token, 'SET_POWER', [], { p1: 0 });
    storage.dead = true;
    expect(call(token, 'PUT_COUNTER', [[TAG.COUNTER, 5]]).sw).toBe('6581');
    storage.dead = false;
    expect(pressShows(token)).toBe('');
    expect(call(token, 'GET_STATE').num(TAG.FLAGS)).toBe(FLAG.PROVISIONED);
  });
});
