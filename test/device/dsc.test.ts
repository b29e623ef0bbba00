import { describe, expect, it } from 'vitest';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { DSC_HOLD_MS, DSC_RESPONSE_MS, maskPin } from '../../firmware/device/dsc.ts';
import { IDLE_MS, MESSAGE_MS, unlockCode } from '../../firmware/device/engine.ts';
import { deriveUnlockKey, provision } from '../../firmware/device/nv.ts';
import { Bench, SECRET } from './helpers.ts';

const dsc = (extra = {}) => Bench.create({ model: 'dsc', ...extra });

describe('DSC', () => {
  it('turns on only when PRESS is held 2 s, and shows the prompt while still held', () => {
    const b = dsc();
    expect(b.keys('PRESS')).toBe('');
    expect(b.keys(`PRESS:${DSC_HOLD_MS - 1}`)).toBe('');
    b.device.input({ type: 'down', key: 'PRESS' }, b.t);
    expect(b.wait(DSC_HOLD_MS - 1)).toBe('');
    expect(b.wait(1)).toBe('[____]');
    expect(b.wait(5000)).toBe('[____]'); // holding longer does not toggle again
    b.device.input({ type: 'up', key: 'PRESS' }, b.t);
    expect(b.keys(`PRESS:${DSC_HOLD_MS}`)).toBe(''); // and holding again turns it off
  });

  it('masks the PIN with dashes, the last digit in clear', () => {
    const b = dsc();
    b.keys('PRESS:2000');
    expect(b.keys('1')).toBe('[1___]');
    expect(b.keys('2')).toBe('[-2__]');
    expect(b.keys('3')).toBe('[--3_]');
    expect(b.keys('4')).toBe('[---4]');
    expect(maskPin('123456', 6)).toBe('[-----6]');
  });

  it('shows the TOTP passcode for 15 s, then turns off', () => {
    const b = dsc();
    const shown = b.keys('PRESS:2000 1234 OK');
    expect(shown).toBe(totp(SECRET, Math.floor(b.t / 1000)));
    expect(b.wait(DSC_RESPONSE_MS - 1)).toBe(shown);
    expect(b.wait(1)).toBe('');
  });

  it('with HOTP, writes the next counter before it shows each passcode', () => {
    const b = dsc({ otp: { mode: 'hotp', digits: 8 } });
    expect(b.keys('PRESS:2000 1234 OK')).toBe(hotp(SECRET, 0, { digits: 8 }));
    expect(b.stored.counter).toBe(1);
    expect(b.keys('WAIT:15000 PRESS:2000 1234')).toBe('[---4]');
    const fx = b.device.input({ type: 'down', key: 'OK' }, b.t);
    expect(fx.map((e) => (e.type === 'store' ? `store c=${e.nv.counter} t=${e.nv.tries}` : `display ${e.text}`))).toEqual([
      'store c=1 t=2',
      'store c=1 t=3',
      'store c=2 t=3',
      `display ${hotp(SECRET, 1, { digits: 8 })}`,
    ]);
  });

  it('has the same wrong-PIN and lock rules as the DSC+', () => {
    const b = dsc();
    expect(b.keys('PRESS:2000 1111 OK')).toBe('FAIL 2');
    expect(b.wait(MESSAGE_MS - 1)).toBe('FAIL 2');
    expect(b.wait(1)).toBe('[____]');
    expect(b.keys('2222 OK WAIT:2000 3333 OK')).toBe('LOCKED');
    expect(b.reboot().keys('PRESS:2000')).toBe('LOCKED');
  });

  it('unlocks through the same challenge and code, with its own PIN prompts', () => {
    const b = dsc({ maxTries: 1 });
    b.keys('PRESS:2000 0000 OK');
    const ch = b.keys('OK').slice(2);
    expect(b.keys('OK ' + unlockCode(deriveUnlockKey(SECRET), ch) + ' OK')).toBe('N[____]');
    expect(b.keys('55')).toBe('N[-5__]');
    expect(b.keys('55 OK')).toBe('C[____]');
    expect(b.keys('5555 OK')).toBe('PIN SET');
  });

  it('turns off after 60 s idle in PIN entry', () => {
    const b = dsc();
    b.keys('PRESS:2000 1');
    expect(b.wait(IDLE_MS - 1)).toBe('[1___]');
    expect(b.wait(1)).toBe('');
  });

  it('checks its settings when provisioned', () => {
    expect(() => provision({ model: 'dsc', secret: SECRET, suite: 'OCRA-1:HOTP-SHA1-8:QN06' })).toThrow(/set otp instead/);
    expect(() => provision({ model: 'dsc', secret: SECRET, otp: { digits: 9 } })).toThrow(/6 to 8 digits/);
    expect(() => provision({ model: 'dsc', secret: SECRET, pin: '12a4' })).toThrow(/exactly 4 digits/);
    expect(() => provision({ model: 'dsc', secret: new Uint8Array(4) })).toThrow(/10 to 128 bytes/);
  });
});
