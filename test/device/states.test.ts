/**
 * The transitions of docs/devices.md's state diagram that the session tests pass by: PRESS and the
 * battery in every state (D-1.4, D-1.9, D-2.5), a device without a secret (D-1.13), the order of
 * the PIN try's write and its result (D-1.3, D-1.7), the lock, the unlock entry and the new PIN
 * prompts (D-1.10, D-1.14), a used-up counter, and keys a model does not have.
 */
import { describe, expect, it } from 'vitest';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { computePasscode } from '../../firmware/device/dsc.ts';
import { computeResponse } from '../../firmware/device/dscplus.ts';
import { type Effect, unlockCode } from '../../firmware/device/engine.ts';
import { COUNTER_MAX, deriveUnlockKey, hashPin, UNLOCK_LIMIT } from '../../firmware/device/nv.ts';
import { InputError } from '../../firmware/errors.ts';
import { Bench, SECRET } from './helpers.ts';

const code = (shown: string) => unlockCode(deriveUnlockKey(SECRET), shown.slice(2));
const plus = (extra = {}) => Bench.create({ model: 'dscplus', ...extra });
const list = (fx: Effect[]) =>
  fx.map((e) =>
    e.type === 'display' ? `display ${e.text}` : `store tries=${e.nv.tries} fails=${e.nv.unlockFails ?? 0} counter=${e.nv.counter}`,
  );

/** Every on state of a DSC+ with one try (so the unlock states are reachable), by the script that reaches it. */
function onStates(): { name: string; b: Bench }[] {
  const mk = (script: string | ((b: Bench) => void)) => {
    const b = plus({ maxTries: 1 });
    if (typeof script === 'string') b.keys(script);
    else script(b);
    return b;
  };
  const toNewPin = (b: Bench) => {
    b.keys('PRESS 0000 OK');
    b.keys(`OK OK ${code(b.keys('OK'))} OK`);
  };
  return [
    { name: 'PIN entry', b: mk('PRESS 12') },
    { name: 'challenge entry', b: mk('PRESS 1234 OK 12') },
    { name: 'response', b: mk('PRESS 1234 OK 123456 OK') },
    { name: 'locked', b: mk('PRESS 0000 OK') },
    { name: 'unlock challenge', b: mk('PRESS 0000 OK OK') },
    { name: 'unlock entry', b: mk('PRESS 0000 OK OK OK 123') },
    { name: 'bad code', b: mk('PRESS 0000 OK OK OK 12345678 OK') },
    { name: 'new PIN', b: mk((b) => (toNewPin(b), b.keys('12'))) },
    { name: 'confirm PIN', b: mk((b) => (toNewPin(b), b.keys('1111 OK 1'))) },
    { name: 'mismatch', b: mk((b) => (toNewPin(b), b.keys('1111 OK 2222 OK'))) },
    { name: 'PIN set', b: mk((b) => (toNewPin(b), b.keys('1111 OK 1111 OK'))) },
  ];
}

describe('PRESS and the battery in every state', () => {
  it('PRESS turns every on state off, and the next PRESS starts afresh (D-2.5)', () => {
    for (const { name, b } of onStates()) {
      expect(b.display(), name).not.toBe('');
      expect(b.keys('PRESS'), name).toBe('');
      expect(b.device.state.mode, name).toBe('off');
      const tries = b.stored.tries;
      expect(b.keys('PRESS'), name).toBe(tries === 0 ? 'LOCKED' : 'PIN>');
    }
  });

  it('a battery pull loses what was typed and keeps the record; keys do nothing until it is back (D-1.9)', () => {
    for (const { name, b } of onStates()) {
      const before = b.stored;
      expect(b.keys('BATTERY:OUT'), name).toBe('');
      expect(b.device.state).toMatchObject({ mode: 'dead', entry: '', pin: '', newPin: '', challenge: '' });
      expect(b.keys('PRESS 1 OK WAIT:120000'), name).toBe('');
      expect(b.keys('BATTERY:IN'), name).toBe('');
      expect(b.stored, name).toEqual(before);
      expect(b.keys('PRESS'), name).toBe(before.tries === 0 ? 'LOCKED' : 'PIN>');
    }
  });

  it('pulling the battery twice, or inserting it while on, changes nothing', () => {
    const b = plus();
    expect(b.device.input({ type: 'power', on: false }, b.t)).toEqual([]); // off: the display is blank already
    expect(b.device.input({ type: 'power', on: true }, b.t)).toEqual([]);
    b.keys('PRESS 12');
    expect(b.device.input({ type: 'power', on: true }, b.t)).toEqual([]);
    expect(b.keys('3')).toBe('PIN>---');
    b.keys('BATTERY:OUT');
    expect(b.device.input({ type: 'power', on: false }, b.t)).toEqual([]);
    expect(b.device.state.mode).toBe('dead');
  });

  it('a new unlock challenge at each power-on, the same one after BAD CODE (D-1.10, D-1.11)', () => {
    const b = plus({ maxTries: 1 });
    b.keys('PRESS 0000 OK');
    const first = b.keys('OK');
    expect(b.keys('OK 00000000 OK WAIT:2000')).toBe(first);
    const second = b.keys('PRESS PRESS OK');
    expect(second).toMatch(/^U-\d{6}$/);
    expect(second).not.toBe(first);
    expect(b.keys(`OK ${code(first)} OK`)).toBe('BAD CODE'); // the old challenge's code no longer unlocks
    expect(b.keys(`WAIT:2000 OK ${code(second)} OK`)).toBe('NEW>');
  });

  it('DSC: a PRESS held when the battery goes is forgotten (D-1.9)', () => {
    const b = Bench.create({ model: 'dsc' }, 0); // device clock 0: a stale hold would fall due within the test
    b.device.input({ type: 'down', key: 'PRESS' }, b.t);
    b.wait(1000);
    b.keys('BATTERY:OUT BATTERY:IN');
    expect(b.wait(5000)).toBe('');
    expect(b.device.state.mode).toBe('off');
  });

  it('DSC: a PRESS that goes down while the battery is out does nothing', () => {
    const b = Bench.create({ model: 'dsc' });
    b.keys('BATTERY:OUT');
    b.device.input({ type: 'down', key: 'PRESS' }, b.t);
    b.keys('BATTERY:IN');
    expect(b.wait(5000)).toBe('');
  });
});

describe('a device without a secret (D-1.13)', () => {
  for (const model of ['dscplus', 'dsc'] as const) {
    it(`${model}: shows NO KEY when on, ignores its keys, and PRESS turns it off`, () => {
      const b = Bench.blank(model);
      const press = model === 'dsc' ? 'PRESS:2000' : 'PRESS';
      expect(b.keys(press)).toBe('NO KEY');
      expect(b.keys('1234 OK 1 OK')).toBe('NO KEY');
      expect(b.device.state.entry).toBe('');
      expect(b.keys(press)).toBe('');
    });
  }
});

describe('the PIN try, the lock (D-1.3, D-1.7)', () => {
  it('each wrong PIN writes the spent try before it shows FAIL n or LOCKED', () => {
    const b = plus();
    b.keys('PRESS 1111');
    b.down('OK');
    expect(list(b.effects)).toEqual(['store tries=2 fails=0 counter=0', 'display FAIL 2']);
    b.keys('WAIT:2000 2222');
    b.down('OK');
    expect(list(b.effects)).toEqual(['store tries=1 fails=0 counter=0', 'display FAIL 1']);
    b.keys('WAIT:2000 3333');
    b.down('OK');
    expect(list(b.effects)).toEqual(['store tries=0 fails=0 counter=0', 'display LOCKED']);
    expect(b.device.state.mode).toBe('locked');
  });

  it('follows the lock threshold provisioned: FAIL 4 first with 5 tries', () => {
    const b = plus({ maxTries: 5 });
    expect(b.keys('PRESS 1111 OK')).toBe('FAIL 4');
  });

  it('an OK on a PIN prompt whose last try went elsewhere meanwhile shows LOCKED and spends nothing', () => {
    const b = plus();
    b.keys('PRESS 1234');
    b.device.write({ ...b.stored, tries: 0 }); // as TEST_COMPUTE does with a wrong PIN
    b.down('OK');
    expect(list(b.effects)).toEqual(['display LOCKED']);
    expect(b.stored.tries).toBe(0);
    expect(b.device.state.entry).toBe('');
    expect(b.keys('OK')).toMatch(/^U-\d{6}$/);
  });

  it('digits, C and a second OK do nothing while LOCKED', () => {
    const b = plus({ maxTries: 1 });
    b.keys('PRESS 0000 OK');
    expect(b.keys('1 2 C')).toBe('LOCKED');
    expect(b.device.state.entry).toBe('');
    expect(b.keys('OK')).toMatch(/^U-/);
  });
});

describe('unlock entry and the new PIN (D-1.10, D-1.12, D-1.14)', () => {
  const atUnlock = () => {
    const b = plus({ maxTries: 2 });
    b.keys('PRESS 0000 OK WAIT:2000 0000 OK');
    const shown = b.keys('OK');
    b.keys('OK');
    return { b, shown };
  };

  it('shows the code as typed, C removes a digit, an empty entry shows UNLOCK>, OK waits for 8 digits', () => {
    const { b, shown } = atUnlock();
    expect(b.keys('12')).toBe('12');
    expect(b.keys('C')).toBe('1');
    expect(b.keys('C')).toBe('UNLOCK>');
    expect(b.keys('C')).toBe('UNLOCK>');
    expect(b.keys('1234567')).toBe('1234567');
    b.down('OK');
    expect(b.effects).toEqual([]); // 7 digits: nothing is counted or compared
    expect(b.keys('89')).toBe('12345678'); // a ninth digit is ignored
    expect(b.keys('C C C C C C C C')).toBe('UNLOCK>');
    expect(b.keys(`${code(shown)} OK`)).toBe('NEW>');
  });

  it('the right code writes the count, then clears it, and the token stays locked until the new PIN is set', () => {
    const { b, shown } = atUnlock();
    b.keys(code(shown));
    b.down('OK');
    expect(list(b.effects)).toEqual(['store tries=0 fails=1 counter=0', 'store tries=0 fails=0 counter=0', 'display NEW>']);
    const again = b.reboot();
    expect(again.keys('PRESS')).toBe('LOCKED');
  });

  it('the new PIN: dashes, C, OK only with all digits; equal entries are written with full tries in one record', () => {
    const { b, shown } = atUnlock();
    b.keys(`${code(shown)} OK`);
    expect(b.keys('12')).toBe('NEW>--');
    expect(b.keys('C')).toBe('NEW>-');
    expect(b.keys('OK')).toBe('NEW>-');
    expect(b.keys('9999')).toBe('NEW>----');
    expect(b.keys('OK')).toBe('CNF>');
    expect(b.keys('199')).toBe('CNF>---');
    expect(b.keys('OK C')).toBe('CNF>--');
    expect(b.keys('99')).toBe('CNF>----');
    b.down('OK');
    expect(b.effects.map((e) => e.type)).toEqual(['store', 'display']);
    const nv = b.stored;
    expect(nv.tries).toBe(2);
    expect(nv.pinHash).toBe(hashPin('T0001', '1999'));
    expect(b.display()).toBe('PIN SET');
  });

  it('a wrong code after nine does not block when the right one came between: the count is of codes in a row', () => {
    const { b, shown } = atUnlock();
    for (let i = 0; i < UNLOCK_LIMIT - 1; i++) b.keys('00000000 OK WAIT:2000 OK');
    b.keys(`${code(shown)} OK 1111 OK 1111 OK WAIT:2000`);
    b.keys('0000 OK WAIT:2000 0000 OK');
    const next = b.keys('OK');
    expect(next).toMatch(/^U-/);
    expect(b.keys('OK 00000000 OK')).toBe('BAD CODE');
    expect(b.stored.unlockFails).toBe(1);
  });

  it('BLOCKED forgets the challenge and offers none again', () => {
    const { b } = atUnlock();
    for (let i = 1; i < UNLOCK_LIMIT; i++) b.keys('00000000 OK WAIT:2000 OK');
    expect(b.keys('00000000 OK')).toBe('BLOCKED');
    expect(b.device.state).toMatchObject({ mode: 'locked', challenge: '' });
    expect(b.keys('OK OK')).toBe('BLOCKED');
    expect(b.keys('PRESS PRESS')).toBe('BLOCKED');
  });

  it('DSC: the new PIN prompts mask like its PIN prompt', () => {
    const b = Bench.create({ model: 'dsc', maxTries: 1 });
    b.keys('PRESS:2000 0000 OK');
    const shown = b.keys('OK');
    b.keys(`OK ${code(shown)} OK`);
    expect(b.keys('123')).toBe('N[--3_]');
    expect(b.keys('OK')).toBe('N[--3_]');
    expect(b.keys('4 OK')).toBe('C[____]');
    expect(b.keys('1')).toBe('C[1___]');
    expect(b.keys('235 OK')).toBe('MISMATCH');
    expect(b.wait(2000)).toBe('N[____]');
  });
});

describe('challenge entry, the counter and keys a model lacks', () => {
  it('DSC+: C back to nothing shows CHALLNG>; OK waits for all of the suite digits (QN08)', () => {
    const b = plus({ suite: 'OCRA-1:HOTP-SHA1-8:QN08' });
    b.keys('PRESS 1234 OK 1');
    expect(b.keys('C')).toBe('CHALLNG>');
    expect(b.keys('C')).toBe('CHALLNG>');
    expect(b.keys('1234567 OK')).toBe('1234567');
    expect(b.keys('89')).toBe('12345678');
    expect(b.keys('OK')).toMatch(/^\d{8}$/);
  });

  it('DSC+: with the counter used up, OK in challenge entry does nothing and nothing is written', () => {
    const b = plus({ suite: 'OCRA-1:HOTP-SHA1-8:C-QN06', counter: COUNTER_MAX });
    b.keys('PRESS 1234 OK 123456');
    b.down('OK');
    expect(b.effects).toEqual([]);
    expect(b.display()).toBe('123456');
    expect(b.stored.counter).toBe(COUNTER_MAX);
    const one = plus({ suite: 'OCRA-1:HOTP-SHA1-8:C-QN06', counter: COUNTER_MAX - 1 });
    expect(one.keys('PRESS 1234 OK 123456 OK')).toMatch(/^\d{8}$/);
    expect(one.stored.counter).toBe(COUNTER_MAX);
  });

  it('DSC: with the HOTP counter used up, the passcode is blank for 15 s and nothing is written', () => {
    const b = Bench.create({ model: 'dsc', otp: { mode: 'hotp' }, counter: COUNTER_MAX });
    b.keys('PRESS:2000 1234');
    b.down('OK');
    expect(list(b.effects)).toEqual([
      'store tries=2 fails=0 counter=9007199254740991',
      'store tries=3 fails=0 counter=9007199254740991',
      'display ',
    ]);
    expect(b.device.state.mode).toBe('response');
    expect(b.wait(14_999)).toBe('');
    expect(b.device.state.mode).toBe('response');
    expect(b.wait(1)).toBe('');
    expect(b.device.state.mode).toBe('off');
    const one = Bench.create({ model: 'dsc', otp: { mode: 'hotp' }, counter: COUNTER_MAX - 1 });
    expect(one.keys('PRESS:2000 1234 OK')).toBe(hotp(SECRET, COUNTER_MAX - 1));
  });

  it('DSC: C is not one of its keys; it is ignored', () => {
    const b = Bench.create({ model: 'dsc' });
    b.keys('PRESS:2000 12');
    b.device.input({ type: 'down', key: 'C' }, b.t);
    expect(b.display()).toBe('[-2__]');
  });

  it('DSC: the passcode at RFC 6238 time 59 s (SHA-1, 8 digits) is 94287082', () => {
    const b = Bench.create({ model: 'dsc', otp: { digits: 8 } }, 57_000);
    expect(b.keys('PRESS:2000 1234 OK')).toBe('94287082');
    const sha256 = Bench.create(
      { model: 'dsc', secret: new TextEncoder().encode('12345678901234567890123456789012'), otp: { digits: 8, algorithm: 'sha256' } },
      57_000,
    );
    expect(sha256.keys('PRESS:2000 1234 OK')).toBe('46119246');
  });

  it('DSC: the passcode follows the provisioned time step', () => {
    const b = Bench.create({ model: 'dsc', otp: { step: 60 } }, 57_000);
    const shown = b.keys('PRESS:2000 1234 OK');
    expect(shown).toBe(totp(SECRET, 59, { step: 60 }));
    expect(shown).not.toBe(totp(SECRET, 59, { step: 30 }));
  });

  it('the computations refuse a challenge the keypad could not type', () => {
    const plusNv = plus().stored;
    const dscNv = Bench.create({ model: 'dsc' }).stored;
    for (const bad of ['12345', '1234567', '12345a', 'a23456', '12 456']) {
      expect(() => computeResponse(plusNv, bad, '1234', 0), bad).toThrow(InputError);
      expect(() => computeResponse(plusNv, bad, '1234', 0)).toThrow('challenge must be exactly 6 digits for suite OCRA-1:HOTP-SHA1-8:QN06');
    }
    expect(() => computePasscode(dscNv, '123456', '', 0)).toThrow('a DSC takes no challenge');
    for (const f of [() => computePasscode(dscNv, '1', '', 0), () => computeResponse(plusNv, '1', '', 0)]) {
      expect(f).toThrow(expect.objectContaining({ part: 'challenge' }));
    }
    expect(computeResponse(plusNv, '123456', '1234', 0).nv).toBeNull();
    expect(computePasscode(dscNv, '', '', 0).nv).toBeNull();
  });
});
