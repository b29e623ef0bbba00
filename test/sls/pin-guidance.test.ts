/**
 * PIN guidance (help page KB2269; firmware/sls/pin-guidance.ts, docs/sls.md "Rules we chose"):
 * every written form of the date of birth, the thresholds below which a datum is too short to
 * count (street number 2 digits, postal code, city and names 3 characters, initials 2 letters,
 * digit data 4 digits), and names written with stray blanks or not given at all.
 */
import { describe, expect, it } from 'vitest';
import { checkPin, type PinContext } from '../../firmware/sls/pin-guidance.ts';

const why = (pin: string, ctx: PinContext) => checkPin(pin, ctx).refusals;
const DOB = 'the PIN contains your date of birth';

describe('PIN guidance: the date of birth in every written form', () => {
  it('a 4-digit PIN found in only one of the long forms is refused', () => {
    const ctx = { dateOfBirth: '1980-04-17' };
    // DDMMYY 170480, MMDDYY 041780, DDMMYYYY 17041980, MMDDYYYY 04171980, YYYYMMDD 19800417:
    // each of these PINs lies in that one form and in no shorter one.
    for (const pin of ['0480', '1780', '4198', '1719', '9800']) expect(why(pin, ctx), pin).toEqual([DOB]);
    // The two-digit year is the last two digits of the year, not the first two.
    expect(why('1704', { dateOfBirth: '2003-04-17' })).toEqual([DOB]);
    expect(why('0403', { dateOfBirth: '2003-04-17' })).toEqual([DOB]);
    expect(why('2004', { dateOfBirth: '2003-04-17' })).toEqual([]);
  });

  it('a date of birth that is not written YYYY-MM-DD gives no forms (no refusal, no crash)', () => {
    for (const dateOfBirth of ['17/04/1980', '1980-4-17', 'x1980-04-17', '1980-04-17x', '']) {
      expect(why('1980', { dateOfBirth }), dateOfBirth).toEqual([]);
      expect(why('0417', { dateOfBirth }), dateOfBirth).toEqual([]);
    }
  });
});

describe('PIN guidance: how short a datum may be and still count', () => {
  it('digit data of fewer than 4 digits never clash, however the PIN contains them', () => {
    expect(why('91234', { idNumber: 'AB-123' })).toEqual([]);
    expect(why('91234', { phones: ['123'] })).toEqual([]);
    expect(why('91234', { idNumber: 'AB-1234' })).toEqual(['the PIN contains digits of your ID or SSN']);
    expect(why('91234', { phones: ['1234'] })).toEqual(['the PIN contains a phone number of yours']);
    // A PIN of fewer than 4 digits is not matched against the data either.
    expect(why('x123', { phones: ['0123456'] })).toEqual([]);
  });

  it('a postal code, a city and a name of 3 characters count; shorter ones do not', () => {
    expect(why('xe16x', { address: { postalCode: 'E1 6' } })).toEqual(['the PIN contains your postal code']);
    expect(why('xe1x', { address: { postalCode: 'E 1' } })).toEqual([]);
    expect(why('ely1', { address: { city: 'Ely' } })).toEqual(['the PIN contains part of your address']);
    expect(why('ann9', { names: ['Ann'] })).toEqual(['the PIN contains your name or a family name']);
    expect(why('bo99', { names: ['Bo Li'] })).toEqual([]);
    // A hyphenated family name counts part by part.
    expect(why('xlee7', { names: ['Ann Smith-Lee'] })).toEqual(['the PIN contains your name or a family name']);
  });

  it('a street number of 2 digits is refused only as the whole PIN', () => {
    expect(why('42', { address: { street: '42 Elm Road' } })).toEqual(['the PIN is your street number']);
    expect(why('4242', { address: { street: '42 Elm Road' } })).toEqual([]);
    expect(why('42', { address: { street: 'Elm Road' } })).toEqual([]);
  });
});

describe('PIN guidance: names as people write them', () => {
  it('blanks before, after and between names are ignored for names and initials', () => {
    const r = checkPin('Qas7', { names: ['  Ann  Smith '] });
    expect(r).toEqual({ ok: true, refusals: [], warnings: ['the PIN contains your initials'] });
    expect(why('smith1', { names: [' Ann Smith'] })).toEqual(['the PIN contains your name or a family name']);
    expect(checkPin('Qjl7', { names: ['Jean-Luc Picard'] }).warnings).toEqual([]);
    expect(checkPin('Qjlp7', { names: ['Jean-Luc Picard'] }).warnings).toEqual(['the PIN contains your initials']);
  });

  it('no names, no address, nothing at all: only the mix of characters is judged', () => {
    expect(checkPin('Qx7z', {})).toEqual({ ok: true, refusals: [], warnings: [] });
    expect(checkPin('Qx7z', { names: [], address: {}, phones: [] })).toEqual({ ok: true, refusals: [], warnings: [] });
    expect(checkPin('qx7z', { address: {} })).toEqual({
      ok: true,
      refusals: [],
      warnings: ['mix upper case, lower case letters and digits'],
    });
  });

  it('refusals come in a fixed order and each names its reason once', () => {
    const ctx: PinContext = {
      dateOfBirth: '1980-04-17',
      address: { city: 'Leeds', postalCode: 'LS1 4AB' },
      names: ['Ann Smith'],
      phones: ['01419801'],
      idNumber: 'X-14-1980',
    };
    expect(why('ls14ab1980smithleeds', ctx)).toEqual([
      DOB,
      'the PIN contains your postal code',
      'the PIN contains digits of your ID or SSN',
      'the PIN contains a phone number of yours',
      'the PIN contains your name or a family name',
      'the PIN contains part of your address',
    ]);
  });
});
