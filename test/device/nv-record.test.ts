/**
 * The stored record (docs/devices.md "Stored record"): what provisioning writes, how it is encoded,
 * and that a record which is not valid JSON or fails any field check is refused with a message
 * naming the field. Hashes and keys are recomputed here with node:crypto, independently of nv.ts.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { unlockCode } from '../../firmware/device/engine.ts';
import {
  blankNv,
  COUNTER_MAX,
  counterUsedUp,
  decodeNv,
  deriveUnlockKey,
  encodeNv,
  hashPin,
  type Nv,
  otpText,
  parseOtpText,
  provision,
  secretOf,
  unlockBlocked,
  unlockKeyOf,
} from '../../firmware/device/nv.ts';
import { InputError } from '../../firmware/errors.ts';
import { SECRET } from './helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const plusNv = (extra = {}) => provision({ model: 'dscplus', secret: SECRET, serial: 'T0001', ...extra });
const dscNv = (extra = {}) => provision({ model: 'dsc', secret: SECRET, serial: 'T0001', ...extra });
/** The record as stored bytes, with some fields replaced (undefined deletes one). */
const bytesOf = (nv: Nv, patch: Record<string, unknown>) => {
  const o: Record<string, unknown> = { ...nv, ...patch };
  for (const k of Object.keys(patch)) if (patch[k] === undefined) delete o[k];
  return new TextEncoder().encode(JSON.stringify(o));
};
const refused = (bytes: Uint8Array): string => {
  try {
    decodeNv(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).part).toBe('nv');
    return (err as Error).message;
  }
  throw new Error('the record was accepted');
};

describe('provisioning writes the documented record', () => {
  it('a DSC+ leaves the factory sealed, with PIN 1234, 3 tries, counter 0 and the default suite', () => {
    const nv = plusNv();
    const pinHash = createHash('sha256').update('tokenbench-pin\u0000T0001\u00001234').digest('hex');
    expect(nv).toEqual({
      v: 1,
      model: 'dscplus',
      serial: 'T0001',
      secret: hex(SECRET),
      unlockKey: '',
      sealed: true,
      pinHash,
      pinSalt: 'T0001',
      pinLength: 4,
      maxTries: 3,
      tries: 3,
      counter: 0,
      suite: 'OCRA-1:HOTP-SHA1-8:QN06',
    });
    expect(hashPin('T0001', '1234')).toBe(pinHash);
  });

  it('a DSC takes TOTP-SHA1, 6 digits, 30 s by default, and its settings are merged over that', () => {
    expect(dscNv().otp).toEqual({ mode: 'totp', algorithm: 'sha1', digits: 6, step: 30 });
    expect(dscNv({ otp: { mode: 'hotp', algorithm: 'sha256' } }).otp).toEqual({ mode: 'hotp', algorithm: 'sha256', digits: 6, step: 30 });
    expect(dscNv().suite).toBeUndefined();
    expect(plusNv().otp).toBeUndefined();
  });

  it('keeps the given settings: PIN, PIN length, lock threshold, counter, unlock key, seal', () => {
    const unlockKey = new Uint8Array(16).fill(7);
    const nv = plusNv({ pin: '987654', pinLength: 6, maxTries: 15, counter: 41, unlockKey, sealed: false });
    expect(nv).toMatchObject({ pinLength: 6, maxTries: 15, tries: 15, counter: 41, unlockKey: hex(unlockKey), sealed: false });
    expect(nv.pinHash).toBe(createHash('sha256').update('tokenbench-pin\u0000T0001\u0000987654').digest('hex'));
  });

  it('a serial derived from the secret when none is given, and it salts the PIN hash', () => {
    const nv = provision({ model: 'dsc', secret: SECRET });
    const serial = 'TB' + createHash('sha256').update(SECRET).digest('hex').slice(0, 8).toUpperCase();
    expect(nv.serial).toBe(serial);
    expect(nv.pinSalt).toBe(serial);
    expect(nv.pinHash).toBe(hashPin(serial, '1234'));
  });

  it('keeps the suite in canonical form however it was written (docs/devices.md, DSC+ suite)', () => {
    expect(plusNv({ suite: 'ocra-1:hotp-sha1-6:qn6' }).suite).toBe('OCRA-1:HOTP-SHA1-6:QN06');
  });

  it('takes any suite the keypad and the 8-character display can serve (docs/devices.md, DSC+ suite)', () => {
    expect(plusNv({ suite: 'OCRA-1:HOTP-SHA1-4:QN08' }).suite).toBe('OCRA-1:HOTP-SHA1-4:QN08');
    expect(plusNv({ suite: 'OCRA-1:HOTP-SHA512-8:C-QN04-PSHA256-T30S' }).suite).toBe('OCRA-1:HOTP-SHA512-8:C-QN04-PSHA256-T30S');
    expect(() => plusNv({ suite: 'OCRA-1:HOTP-SHA1-0:QN06' })).toThrow(
      'a DSC+ shows responses of 4 to 8 digits, suite OCRA-1:HOTP-SHA1-0:QN06 gives untruncated',
    );
    expect(() => plusNv({ suite: 'OCRA-1:HOTP-SHA1-8:QN09' })).toThrow(
      'a DSC+ shows at most 8 challenge digits, suite OCRA-1:HOTP-SHA1-8:QN09 asks for 9',
    );
    expect(() => plusNv({ suite: 'OCRA-1:HOTP-SHA1-8:QH08' })).toThrow(
      'a DSC+ keypad can only type numeric challenges (QN..), suite OCRA-1:HOTP-SHA1-8:QH08 asks for QH',
    );
    expect(() => plusNv({ suite: 'OCRA-1:HOTP-SHA1-8:QN08-S064' })).toThrow(
      'a DSC+ has no session information to give, suite OCRA-1:HOTP-SHA1-8:QN08-S064 uses S',
    );
  });

  it('refuses each setting out of range with a message naming it', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ model: 'dsx' }, 'model', /model must be dscplus or dsc, got "dsx"/],
      [{ secret: 'abc' }, 'secret', /secret must be bytes/],
      [{ secret: new Uint8Array(9) }, 'secret', /secret must be 10 to 128 bytes, got 9/],
      [{ secret: new Uint8Array(129) }, 'secret', /secret must be 10 to 128 bytes, got 129/],
      [{ serial: 'T 1' }, 'serial', /serial must be 1 to 32 letters, digits or dashes/],
      [{ pinLength: 3 }, 'pinLength', /PIN length must be 4 to 6, got 3/],
      [{ pinLength: 7 }, 'pinLength', /PIN length must be 4 to 6, got 7/],
      [{ pinLength: 4.5 }, 'pinLength', /PIN length must be 4 to 6, got 4.5/],
      [{ pin: '12345' }, 'pin', /pin must be exactly 4 digits/],
      [{ pin: '12a4' }, 'pin', /pin must be exactly 4 digits/],
      [{ maxTries: 0 }, 'maxTries', /lock threshold must be 1 to 15 tries, got 0/],
      [{ maxTries: 16 }, 'maxTries', /lock threshold must be 1 to 15 tries, got 16/],
      [{ maxTries: 2.5 }, 'maxTries', /lock threshold must be 1 to 15 tries/],
      [{ counter: -1 }, 'counter', /counter must be a whole number, 0 or more, got -1/],
      [{ counter: 1.5 }, 'counter', /counter must be a whole number/],
      [{ counter: COUNTER_MAX + 1 }, 'counter', /counter must be a whole number/],
      [{ unlockKey: new Uint8Array(9) }, 'unlockKey', /unlock key must be 10 to 128 bytes, got 9/],
      [{ unlockKey: new Uint8Array(129) }, 'unlockKey', /unlock key must be 10 to 128 bytes, got 129/],
      [{ otp: { digits: 6 } }, 'otp', /a DSC\+ uses an OCRA suite, not a passcode setting/],
    ];
    for (const [extra, part, message] of cases) {
      let err: unknown;
      try {
        plusNv(extra);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(extra)).toBeInstanceOf(InputError);
      expect((err as InputError).part, JSON.stringify(extra)).toBe(part);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('accepts every setting at the ends of its range', () => {
    expect(plusNv({ secret: new Uint8Array(10) }).secret).toBe('00'.repeat(10));
    expect(plusNv({ secret: new Uint8Array(128) }).secret).toBe('00'.repeat(128));
    expect(plusNv({ pinLength: 6 }).pinLength).toBe(6);
    expect(plusNv({ pinLength: 6 }).pinHash).toBe(hashPin('T0001', '123400')); // the default PIN, padded
    expect(plusNv({ maxTries: 1 }).tries).toBe(1);
    expect(plusNv({ counter: COUNTER_MAX }).counter).toBe(COUNTER_MAX);
    expect(plusNv({ unlockKey: new Uint8Array(10) }).unlockKey).toBe('00'.repeat(10));
    expect(plusNv({ unlockKey: new Uint8Array(128) }).unlockKey).toBe('00'.repeat(128));
  });

  it('names the setting that is wrong, so the protocol and the CLI can say which (errors.ts InputError.part)', () => {
    const partOf = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        return (err as InputError).part;
      }
      return 'accepted';
    };
    expect(partOf(() => dscNv({ suite: 'OCRA-1:HOTP-SHA1-8:QN06' }))).toBe('suite');
    expect(partOf(() => dscNv({ otp: { mode: 'motp' } }))).toBe('otp');
    expect(partOf(() => dscNv({ otp: { digits: 9 } }))).toBe('digits');
    expect(partOf(() => dscNv({ otp: { step: 0 } }))).toBe('step');
    expect(partOf(() => parseOtpText('TOTP'))).toBe('suite');
    expect(partOf(() => parseOtpText('HOTP-SHA1-6-30'))).toBe('suite');
    for (const suite of ['OCRA-1:HOTP-SHA1-8:QA08', 'OCRA-1:HOTP-SHA1-8:QN09', 'OCRA-1:HOTP-SHA1-0:QN06', 'OCRA-1:HOTP-SHA1-8:QN08-S064']) {
      expect(
        partOf(() => plusNv({ suite })),
        suite,
      ).toBe('suite');
    }
  });

  it('checks the passcode setting of a DSC: mode, 6 to 8 digits, a step of 1 to 3600 s', () => {
    expect(() => dscNv({ otp: { mode: 'motp' } })).toThrow(/passcode mode must be totp or hotp, got "motp"/);
    expect(() => dscNv({ otp: { digits: 5 } })).toThrow(/a DSC shows passcodes of 6 to 8 digits, got 5/);
    expect(() => dscNv({ otp: { digits: 9 } })).toThrow(/a DSC shows passcodes of 6 to 8 digits, got 9/);
    expect(() => dscNv({ otp: { step: 0 } })).toThrow(/passcode step must be 1 to 3600 seconds, got 0/);
    expect(() => dscNv({ otp: { step: 3601 } })).toThrow(/passcode step must be 1 to 3600 seconds, got 3601/);
    expect(() => dscNv({ otp: { step: 1.5 } })).toThrow(/passcode step must be 1 to 3600 seconds/);
    expect(() => dscNv({ otp: { algorithm: 'md5' } })).toThrow(InputError);
    expect(dscNv({ otp: { digits: 8, step: 3600 } }).otp).toMatchObject({ digits: 8, step: 3600 });
    expect(dscNv({ otp: { step: 1 } }).otp?.step).toBe(1);
  });
});

describe('the DSC passcode setting as text', () => {
  it('writes TOTP with its step and HOTP without', () => {
    expect(otpText({ mode: 'totp', algorithm: 'sha1', digits: 6, step: 30 })).toBe('TOTP-SHA1-6-30');
    expect(otpText({ mode: 'hotp', algorithm: 'sha256', digits: 8, step: 30 })).toBe('HOTP-SHA256-8');
  });

  it('reads it in any case, TOTP with or without a step (30 s), and round-trips', () => {
    expect(parseOtpText('totp-sha512-7-60')).toEqual({ mode: 'totp', algorithm: 'sha512', digits: 7, step: 60 });
    expect(parseOtpText('TOTP-SHA1-6')).toEqual({ mode: 'totp', algorithm: 'sha1', digits: 6, step: 30 });
    expect(parseOtpText('HOTP-SHA256-8')).toEqual({ mode: 'hotp', algorithm: 'sha256', digits: 8, step: 30 });
    for (const text of ['TOTP-SHA1-6-30', 'HOTP-SHA512-6', 'TOTP-SHA256-8-3600']) expect(otpText(parseOtpText(text))).toBe(text);
  });

  it('refuses other texts, naming the suite', () => {
    for (const bad of ['', 'TOTP', 'TOTP-MD5-6-30', 'xTOTP-SHA1-6-30', 'TOTP-SHA1-6-30x', 'TOTP-SHA1-123-30', 'TOTP-SHA1-6-12345']) {
      expect(() => parseOtpText(bad), bad).toThrow(/a DSC algorithm looks like TOTP-SHA1-6-30 or HOTP-SHA1-6/);
    }
    expect(() => parseOtpText('HOTP-SHA1-6-30')).toThrow(/an HOTP setting has no time step/);
    expect(() => parseOtpText('TOTP-SHA1-9-30')).toThrow(/6 to 8 digits/);
    expect(() => parseOtpText('TOTP-SHA1-6-0')).toThrow(/step must be 1 to 3600/);
    expect(() => parseOtpText('TOTP-SHA1-10-30')).toThrow(/a DSC shows passcodes of 6 to 8 digits, got 10/);
  });
});

describe('encoding and decoding the record', () => {
  it('round-trips the records of both models, a factory-reset one and one with every optional field', () => {
    const full: Nv = { ...plusNv({ unlockKey: new Uint8Array(20).fill(1) }), tries: 0, unlockFails: 10, authKey: 'ab'.repeat(16) };
    for (const nv of [plusNv(), dscNv({ otp: { mode: 'hotp', digits: 8 } }), blankNv('dsc', 'T9'), full]) {
      const bytes = encodeNv(nv);
      expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(nv);
      expect(decodeNv(bytes)).toEqual(nv);
    }
  });

  it('a factory-reset record: no secret, no unlock key, PIN 1234, full tries, counter 0, unsealed', () => {
    const nv = blankNv('dscplus', 'T7');
    expect(nv).toMatchObject({ model: 'dscplus', serial: 'T7', secret: '', unlockKey: '', sealed: false, tries: 3, counter: 0 });
    expect(nv.pinHash).toBe(hashPin('T7', '1234'));
    expect(nv.suite).toBe('OCRA-1:HOTP-SHA1-8:QN06');
    expect(blankNv('dsc', 'T7').otp).toEqual({ mode: 'totp', algorithm: 'sha1', digits: 6, step: 30 });
  });

  it('refuses a record that is not JSON, or not an object', () => {
    expect(refused(new Uint8Array([0x7b, 0x22]))).toBe('stored token record is not valid JSON');
    expect(refused(new Uint8Array([0xff, 0xfe]))).toBe('stored token record is not valid JSON');
    for (const v of ['null', '[]', '7', '"nv"']) expect(refused(new TextEncoder().encode(v))).toBe('stored token record has a bad shape');
  });

  it('refuses each damaged field, naming it', () => {
    const nv = plusNv();
    const cases: [Record<string, unknown>, string][] = [
      [{ v: 2 }, 'version'],
      [{ v: undefined }, 'version'],
      [{ model: 'card' }, 'model'],
      [{ serial: '' }, 'serial'],
      [{ serial: 7 }, 'serial'],
      [{ pinSalt: 7 }, 'pinSalt'],
      [{ pinSalt: 'x'.repeat(65) }, 'pinSalt'],
      [{ sealed: 'yes' }, 'sealed flag'],
      [{ secret: undefined }, 'secret'],
      [{ secret: 'abc' }, 'secret'],
      [{ secret: 'zz'.repeat(10) }, 'secret'],
      [{ secret: '00'.repeat(9) }, 'secret'],
      [{ secret: '00'.repeat(129) }, 'secret'],
      [{ secret: '' }, 'secret'], // a sealed token always has one
      [{ unlockKey: '00'.repeat(9) }, 'unlockKey'],
      [{ unlockKey: '00'.repeat(129) }, 'unlockKey'],
      [{ unlockKey: 5 }, 'unlockKey'],
      [{ pinHash: '00'.repeat(31) }, 'pinHash'],
      [{ pinHash: '00'.repeat(33) }, 'pinHash'],
      [{ pinHash: '' }, 'pinHash'],
      [{ pinHash: '', secret: '', sealed: false }, 'pinHash'], // only the secret may be empty, and only unsealed
      [{ authKey: '00'.repeat(15) }, 'authKey'],
      [{ authKey: '00'.repeat(65) }, 'authKey'],
      [{ authKey: 16 }, 'authKey'],
      [{ pinLength: 3 }, 'pinLength'],
      [{ pinLength: 7 }, 'pinLength'],
      [{ pinLength: '4' }, 'pinLength'],
      [{ maxTries: 0 }, 'maxTries'],
      [{ maxTries: 16 }, 'maxTries'],
      [{ tries: -1 }, 'tries'],
      [{ tries: 4 }, 'tries'], // more than maxTries (3)
      [{ tries: 1.5 }, 'tries'],
      [{ counter: -1 }, 'counter'],
      [{ counter: COUNTER_MAX + 1 }, 'counter'],
      [{ counter: '0' }, 'counter'],
      [{ tries: 0, unlockFails: 11 }, 'unlockFails'],
      [{ tries: 0, unlockFails: -1 }, 'unlockFails'],
      [{ tries: 1, unlockFails: 1 }, 'unlockFails (only a locked token counts wrong unlock codes)'],
      [{ suite: 'OCRA-1:HOTP-SHA1-8:QA08' }, 'suite'],
      [{ suite: undefined }, 'suite'],
    ];
    for (const [patch, field] of cases) {
      expect(refused(bytesOf(nv, patch)), JSON.stringify(patch)).toBe(`stored token record has a bad ${field}`);
    }
    expect(refused(bytesOf(dscNv(), { otp: { mode: 'totp', algorithm: 'sha1', digits: 9, step: 30 } }))).toBe(
      'stored token record has a bad otp',
    );
    expect(refused(bytesOf(dscNv(), { otp: undefined }))).toBe('stored token record has a bad otp');
  });

  it('accepts every field at the ends of its range', () => {
    const nv = plusNv();
    const cases: Record<string, unknown>[] = [
      { secret: '', sealed: false }, // unprovisioned, allowed only unsealed
      { secret: '00'.repeat(10) },
      { secret: '00'.repeat(128) },
      { unlockKey: '' },
      { unlockKey: '00'.repeat(10) },
      { unlockKey: '00'.repeat(128) },
      { authKey: '' },
      { authKey: '00'.repeat(16) },
      { authKey: '00'.repeat(64) },
      { pinSalt: 'x'.repeat(64) },
      { pinSalt: '' },
      { pinLength: 6 },
      { maxTries: 15, tries: 15 },
      { maxTries: 1, tries: 0 },
      { counter: COUNTER_MAX },
      { tries: 0, unlockFails: 10 },
      { tries: 0, unlockFails: 0 },
      { tries: 2, unlockFails: 0 },
    ];
    for (const patch of cases) expect(decodeNv(bytesOf(nv, patch)), JSON.stringify(patch)).toMatchObject(patch);
  });

  it('reads a DSC passcode setting in its checked form', () => {
    const nv = decodeNv(bytesOf(dscNv(), { otp: { mode: 'hotp', algorithm: 'SHA256', digits: 8, step: 30 } }));
    expect(nv.otp).toEqual({ mode: 'hotp', algorithm: 'sha256', digits: 8, step: 30 });
  });

  it('reads a DSC+ suite in its canonical form, whatever spelling the record holds', () => {
    const nv = decodeNv(bytesOf(plusNv(), { suite: 'ocra-1:hotp-sha1-8:c-qn6' }));
    expect(nv.suite).toBe('OCRA-1:HOTP-SHA1-8:C-QN06');
    expect(counterUsedUp({ ...nv, counter: COUNTER_MAX })).toBe(true);
  });
});

describe('keys and limits derived from the record', () => {
  it('derives the unlock key as HMAC-SHA256(secret, "tokenbench-unlock-key") unless one is provisioned', () => {
    const derived = createHmac('sha256', SECRET).update('tokenbench-unlock-key').digest();
    expect(hex(deriveUnlockKey(SECRET))).toBe(derived.toString('hex'));
    expect(hex(unlockKeyOf(plusNv()))).toBe(derived.toString('hex'));
    const own = new Uint8Array(12).fill(9);
    expect(unlockKeyOf(plusNv({ unlockKey: own }))).toEqual(own);
  });

  it('the unlock code is OCRA-1:HOTP-SHA1-8:QN06 over the challenge under the unlock key', () => {
    const key = createHmac('sha256', SECRET).update('tokenbench-unlock-key').digest();
    const code = unlockCode(new Uint8Array(key), '123456');
    expect(code).toBe(ocra('OCRA-1:HOTP-SHA1-8:QN06', new Uint8Array(key), { question: '123456' }));
    expect(code).toMatch(/^\d{8}$/);
  });

  it('reads the secret as bytes, whichever secret the record holds', () => {
    const nv = plusNv();
    expect(secretOf(nv)).toEqual(SECRET);
    // More secrets than the cache keeps: each still reads as its own bytes.
    const wrong: number[] = [];
    for (let i = 0; i < 1030; i++) {
      const text = i.toString(16).padStart(20, '0');
      if (hex(secretOf({ ...nv, secret: text })) !== text) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect(secretOf(nv)).toEqual(SECRET);
  });

  it('a counter is used up at 2^53 - 1 only for suites and passcodes that use it', () => {
    const c = plusNv({ suite: 'OCRA-1:HOTP-SHA1-8:C-QN06' });
    expect(counterUsedUp({ ...c, counter: COUNTER_MAX })).toBe(true);
    expect(counterUsedUp({ ...c, counter: COUNTER_MAX - 1 })).toBe(false);
    expect(counterUsedUp({ ...plusNv(), counter: COUNTER_MAX })).toBe(false);
    const h = dscNv({ otp: { mode: 'hotp' } });
    expect(counterUsedUp({ ...h, counter: COUNTER_MAX })).toBe(true);
    expect(counterUsedUp({ ...h, counter: COUNTER_MAX - 1 })).toBe(false);
    expect(counterUsedUp({ ...dscNv(), counter: COUNTER_MAX })).toBe(false);
  });

  it('the unlock flow is blocked from the 10th wrong code on', () => {
    const locked = { ...plusNv(), tries: 0 };
    expect(unlockBlocked(locked)).toBe(false);
    expect(unlockBlocked({ ...locked, unlockFails: 9 })).toBe(false);
    expect(unlockBlocked({ ...locked, unlockFails: 10 })).toBe(true);
  });
});
