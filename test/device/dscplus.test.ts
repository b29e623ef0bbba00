import { describe, expect, it } from 'vitest';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { unlockCode, IDLE_MS, MESSAGE_MS } from '../../firmware/device/engine.ts';
import { DSCPLUS_RESPONSE_MS } from '../../firmware/device/dscplus.ts';
import { deriveUnlockKey, provision, UNLOCK_LIMIT } from '../../firmware/device/nv.ts';
import { Bench, SECRET } from './helpers.ts';

const plus = (extra = {}) => Bench.create({ model: 'dscplus', ...extra });

describe('DSC+ PIN entry and response', () => {
  it('shows PIN>, masks digits, C removes one, and ignores OK until four digits', () => {
    const b = plus();
    expect(b.display()).toBe('');
    expect(b.keys('PRESS')).toBe('PIN>');
    expect(b.keys('1 2')).toBe('PIN>--');
    expect(b.keys('C')).toBe('PIN>-');
    expect(b.keys('OK')).toBe('PIN>-');
    expect(b.keys('2 3 4 5')).toBe('PIN>----'); // a fifth digit is ignored
    expect(b.keys('OK')).toBe('CHALLNG>');
  });

  it('shows challenge digits as typed and the OCRA-1:HOTP-SHA1-8:QN06 response on OK', () => {
    const b = plus();
    b.keys('PRESS 1234 OK');
    expect(b.keys('4 5')).toBe('45');
    expect(b.keys('C 5 6 7 8 9')).toBe('456789');
    expect(b.keys('0')).toBe('456789'); // a seventh digit is ignored
    expect(b.keys('OK')).toBe(ocra('OCRA-1:HOTP-SHA1-8:QN06', SECRET, { question: '456789' }));
  });

  it('keeps the response 30 s, then turns off', () => {
    const b = plus();
    b.keys('PRESS 1234 OK 123456 OK');
    expect(b.wait(DSCPLUS_RESPONSE_MS - 1)).toMatch(/^\d{8}$/);
    expect(b.wait(1)).toBe('');
  });

  it('turns off after 60 s without a key in PIN and challenge entry, counted from the last key', () => {
    const b = plus();
    b.keys('PRESS 1');
    expect(b.wait(IDLE_MS - 1)).toBe('PIN>-');
    expect(b.keys('2')).toBe('PIN>--');
    expect(b.wait(IDLE_MS - 1)).toBe('PIN>--');
    expect(b.wait(1)).toBe('');
    b.keys('PRESS 1234 OK 1');
    expect(b.wait(IDLE_MS - 1)).toBe('1');
    expect(b.wait(1)).toBe('');
  });

  it('PRESS turns an on device off', () => {
    const b = plus();
    expect(b.keys('PRESS 12 PRESS')).toBe('');
    expect(b.keys('PRESS')).toBe('PIN>');
  });

  it('uses the typed PIN for PSHA1 suites, the counter for C suites and the clock for T suites', () => {
    const suite = 'OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1';
    const b = plus({ suite, counter: 5 });
    expect(b.keys('PRESS 1234 OK 12345678 OK')).toBe(ocra(suite, SECRET, { question: '12345678', counter: 5, pin: '1234' }));
    expect(b.stored.counter).toBe(6);
    expect(b.keys('PRESS PRESS 1234 OK 12345678 OK')).toBe(ocra(suite, SECRET, { question: '12345678', counter: 6, pin: '1234' }));
    const t = plus({ suite: 'OCRA-1:HOTP-SHA1-6:QN06-T1M' });
    const shown = t.keys('PRESS 1234 OK 654321 OK');
    expect(shown).toBe(ocra('OCRA-1:HOTP-SHA1-6:QN06-T1M', SECRET, { question: '654321', time: Math.floor(t.t / 1000) }));
  });

  it('writes the advanced counter before showing the response', () => {
    const b = plus({ suite: 'OCRA-1:HOTP-SHA1-8:C-QN06' });
    b.keys('PRESS 1234 OK 12345');
    b.down('6');
    const fx = b.device.input({ type: 'down', key: 'OK' }, b.t);
    expect(fx.map((e) => e.type)).toEqual(['store', 'display']);
    expect(fx[0].type === 'store' && fx[0].nv.counter).toBe(1);
  });

  it('refuses suites a numeric keypad and 8-character display cannot use', () => {
    expect(() => provision({ model: 'dscplus', secret: SECRET, suite: 'OCRA-1:HOTP-SHA1-8:QA08' })).toThrow(/numeric challenges/);
    expect(() => provision({ model: 'dscplus', secret: SECRET, suite: 'OCRA-1:HOTP-SHA1-8:QN10' })).toThrow(/at most 8 challenge digits/);
    expect(() => provision({ model: 'dscplus', secret: SECRET, suite: 'OCRA-1:HOTP-SHA1-10:QN08' })).toThrow(/4 to 8 digits/);
    expect(() => provision({ model: 'dscplus', secret: SECRET, suite: 'OCRA-1:HOTP-SHA1-8:QN08-S064' })).toThrow(/session/);
  });
});

describe('DSC+ wrong PIN, lock and unlock', () => {
  it('shows FAIL n for 2 s, then PIN> again', () => {
    const b = plus();
    expect(b.keys('PRESS 1111 OK')).toBe('FAIL 2');
    expect(b.keys('5')).toBe('FAIL 2'); // keys are ignored while the message shows
    expect(b.wait(MESSAGE_MS - 1)).toBe('FAIL 2');
    expect(b.wait(1)).toBe('PIN>');
    expect(b.stored.tries).toBe(2);
  });

  it('a right PIN restores the tries', () => {
    const b = plus();
    b.keys('PRESS 1111 OK WAIT:2000 1234 OK');
    expect(b.display()).toBe('CHALLNG>');
    expect(b.stored.tries).toBe(3);
  });

  it('spends the try (written) before comparing the PIN', () => {
    const b = plus();
    b.keys('PRESS 123');
    const fx = b.device.input({ type: 'down', key: '4' }, b.t);
    expect(fx.map((e) => e.type)).toEqual(['display']);
    const ok = b.device.input({ type: 'down', key: 'OK' }, b.t);
    expect(ok.map((e) => (e.type === 'store' ? `store tries=${e.nv.tries}` : `display ${e.text}`))).toEqual([
      'store tries=2',
      'store tries=3',
      'display CHALLNG>',
    ]);
  });

  it('locks at the third wrong PIN in a row and stays locked across power and battery cycles', () => {
    const b = plus();
    expect(b.keys('PRESS 1111 OK WAIT:2000 2222 OK WAIT:2000 3333 OK')).toBe('LOCKED');
    expect(b.stored.tries).toBe(0);
    expect(b.keys('PRESS')).toBe('');
    expect(b.keys('PRESS')).toBe('LOCKED');
    expect(b.keys('BATTERY:OUT BATTERY:IN PRESS')).toBe('LOCKED');
    const again = b.reboot();
    expect(again.keys('PRESS')).toBe('LOCKED');
    expect(again.keys('1234')).toBe('LOCKED'); // digits do nothing while locked
    expect(again.keys('OK')).toMatch(/^U-\d{6}$/);
  });

  it('unlocks with the code for the shown challenge and takes a new PIN', () => {
    const b = plus({ maxTries: 1 });
    expect(b.keys('PRESS 0000 OK')).toBe('LOCKED');
    const shown = b.keys('OK');
    expect(shown).toMatch(/^U-\d{6}$/);
    const code = unlockCode(deriveUnlockKey(SECRET), shown.slice(2));
    expect(b.keys('OK')).toBe('UNLOCK>');
    const wrong = code.replace(/^./, (d) => String((Number(d) + 1) % 10));
    expect(b.keys(wrong)).toBe(wrong);
    expect(b.keys('OK')).toBe('BAD CODE');
    expect(b.wait(MESSAGE_MS)).toBe(shown);
    b.keys('OK');
    expect(b.keys(code + ' OK')).toBe('NEW>');
    expect(b.keys('9876')).toBe('NEW>----');
    expect(b.keys('OK')).toBe('CNF>');
    expect(b.keys('9875 OK')).toBe('MISMATCH');
    expect(b.wait(MESSAGE_MS)).toBe('NEW>');
    expect(b.keys('9876 OK 9876 OK')).toBe('PIN SET');
    expect(b.stored.tries).toBe(1);
    expect(b.wait(MESSAGE_MS)).toBe('PIN>');
    expect(b.keys('1234 OK')).toBe('LOCKED'); // the old PIN is gone (and one try was all it had)
    const c = plus({ maxTries: 2 });
    c.keys('PRESS 0000 OK WAIT:2000 0000 OK');
    const ch = c.keys('OK').slice(2);
    c.keys('OK ' + unlockCode(deriveUnlockKey(SECRET), ch) + ' OK 4321 OK 4321 OK WAIT:2000');
    expect(c.keys('4321 OK')).toBe('CHALLNG>');
  });

  it('uses a provisioned unlock key instead of the derived one', () => {
    const unlockKey = new TextEncoder().encode('unlock-key-0123456789');
    const b = plus({ maxTries: 1, unlockKey });
    b.keys('PRESS 0000 OK');
    const ch = b.keys('OK').slice(2);
    expect(b.keys('OK ' + unlockCode(deriveUnlockKey(SECRET), ch) + ' OK')).toBe('BAD CODE');
    b.keys('WAIT:2000 OK');
    expect(b.keys(unlockCode(unlockKey, ch) + ' OK')).toBe('NEW>');
  });
});

describe('DSC+ unlock code limit', () => {
  /** A locked DSC+ (one try) showing its unlock prompt; returns the bench and the challenge shown. */
  const lockedAtPrompt = () => {
    const b = plus({ maxTries: 1 });
    b.keys('PRESS 0000 OK');
    const ch = b.keys('OK').slice(2);
    b.keys('OK');
    return { b, ch };
  };
  const wrongFor = (ch: string) => unlockCode(deriveUnlockKey(SECRET), ch).replace(/^./, (d) => String((Number(d) + 1) % 10));

  it('counts each wrong code in the stored record, and the tenth blocks the token for good', () => {
    const { b, ch } = lockedAtPrompt();
    for (let i = 1; i < UNLOCK_LIMIT; i++) {
      expect(b.keys(wrongFor(ch) + ' OK')).toBe('BAD CODE');
      expect(b.stored.unlockFails).toBe(i);
      b.keys('WAIT:2000 OK');
    }
    expect(b.keys(wrongFor(ch) + ' OK')).toBe('BLOCKED');
    expect(b.stored.unlockFails).toBe(UNLOCK_LIMIT);
    expect(b.keys('OK')).toBe('BLOCKED'); // no unlock challenge any more
    expect(b.keys(unlockCode(deriveUnlockKey(SECRET), ch) + ' OK')).toBe('BLOCKED');
    const again = b.reboot();
    expect(again.keys('PRESS')).toBe('BLOCKED');
    expect(again.keys('OK')).toBe('BLOCKED');
  });

  it('nine wrong codes and then the right one unlock, and the count starts over', () => {
    const { b, ch } = lockedAtPrompt();
    for (let i = 1; i < UNLOCK_LIMIT; i++) b.keys(wrongFor(ch) + ' OK WAIT:2000 OK');
    expect(b.stored.unlockFails).toBe(UNLOCK_LIMIT - 1);
    expect(b.keys(unlockCode(deriveUnlockKey(SECRET), ch) + ' OK')).toBe('NEW>');
    expect(b.stored.unlockFails).toBe(0);
  });

  it('writes the count before the code is compared: the store comes before the display of either outcome', () => {
    for (const right of [true, false]) {
      const { b, ch } = lockedAtPrompt();
      const code = unlockCode(deriveUnlockKey(SECRET), ch);
      b.keys(right ? code : wrongFor(ch));
      b.down('OK');
      const firstStore = b.effects.findIndex((e) => e.type === 'store');
      const shown = b.effects.findIndex((e) => e.type === 'display');
      expect(firstStore).toBeGreaterThanOrEqual(0);
      expect(firstStore).toBeLessThan(shown);
      expect((b.effects[firstStore] as { nv: { unlockFails?: number } }).nv.unlockFails).toBe(1);
      expect(b.display()).toBe(right ? 'NEW>' : 'BAD CODE');
    }
  });
});
