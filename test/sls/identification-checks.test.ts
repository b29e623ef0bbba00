/**
 * Identification data as an entity is registered (firmware/sls/identification.ts; issue 12's
 * model: date of birth, citizenship, residence, document type and number, SSN for US citizens and
 * residents). The rule is called from the API, the CLI and the seeded lab alike, so it must refuse
 * values that only look right once converted to text, check the whole ID number, and name the
 * field with a message a user can act on.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../firmware/errors.ts';
import { checkDate, checkIdentification } from '../../firmware/sls/identification.ts';
import type { Identification } from '../../firmware/sls/model.ts';
import { ID } from './fixtures.ts';

const US: Identification = { ...ID, citizenship: 'US', residence: 'US', idType: 'ssn', idNumber: '123-45-6789' };

/** The InputError checking `i` throws, as [part, message]. */
function refusal(i: unknown): [string, string] {
  try {
    checkIdentification(i as Identification);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return [(e as InputError).part, (e as InputError).message];
  }
  throw new Error(`expected ${JSON.stringify(i)} to be refused`);
}

describe('identification: values that are not text', () => {
  it('a one-element array that reads as a valid value is still refused, naming the field', () => {
    expect(refusal({ ...ID, citizenship: ['GB'] })[0]).toBe('identification.citizenship');
    expect(refusal({ ...ID, residence: ['GB'] })[0]).toBe('identification.residence');
    expect(refusal({ ...ID, dateOfBirth: ['1980-04-17'] })[0]).toBe('identification.dateOfBirth');
    expect(refusal({ ...ID, idType: ['passport'] })[0]).toBe('identification.idType');
    expect(refusal({ ...ID, idNumber: ['AB123456'] })).toEqual(['identification.idNumber', 'identification.idNumber must be text']);
    expect(() => checkDate(['1980-04-17'], 'd')).toThrow('d must be a date written YYYY-MM-DD');
  });

  it('not an object at all', () => {
    for (const v of [null, undefined, 'GB', 42])
      expect(refusal(v), String(v)).toEqual(['identification', 'identification must be an object']);
  });
});

describe('identification: ID numbers are checked whole', () => {
  it('an SSN has exactly 9 digits: more, or a letter before or after, is refused', () => {
    expect(() => checkIdentification(US)).not.toThrow();
    expect(() => checkIdentification({ ...US, idNumber: '123456789' })).not.toThrow();
    for (const idNumber of ['1234567890', '0123-45-6789', '123-45-67890', 'A123456789', '123456789A', '12345678'])
      expect(refusal({ ...US, idNumber }), idNumber).toEqual([
        'identification.idNumber',
        'an SSN has 9 digits (dashes allowed: 123-45-6789)',
      ]);
  });

  it('other documents: 4 to 20 letters or digits, nothing else before or after', () => {
    for (const idNumber of ['AB12', 'a'.repeat(20), 'ab-12 cd'])
      expect(() => checkIdentification({ ...ID, idNumber }), idNumber).not.toThrow();
    for (const idNumber of ['AB1', '_AB123', 'AB123_', 'AB123.', '', 'B'.repeat(21), 'Å1234'])
      expect(refusal({ ...ID, idNumber }), idNumber).toEqual([
        'identification.idNumber',
        'identification.idNumber must be 4 to 20 letters or digits',
      ]);
  });
});

describe('identification: what each refusal says', () => {
  it('country codes', () => {
    const code = 'must be a two-letter country code in capitals (e.g. US, GB)';
    expect(refusal({ ...ID, citizenship: 'gb' })).toEqual(['identification.citizenship', `identification.citizenship ${code}`]);
    expect(refusal({ ...ID, residence: 'GBR' })).toEqual(['identification.residence', `identification.residence ${code}`]);
  });

  it('document types, and the SSN rule both ways', () => {
    expect(refusal({ ...ID, idType: 'visa' })).toEqual([
      'identification.idType',
      'identification.idType must be one of ssn, passport, national-id, driver-license',
    ]);
    const usOnly = 'US citizens and US residents are identified by their SSN (idType "ssn")';
    expect(refusal({ ...ID, citizenship: 'US' })).toEqual(['identification.idType', usOnly]);
    expect(refusal({ ...ID, residence: 'US' })).toEqual(['identification.idType', usOnly]);
    expect(refusal({ ...ID, idType: 'ssn', idNumber: '123456789' })).toEqual([
      'identification.idType',
      'an SSN identifies US citizens and residents only; use passport, national-id or driver-license',
    ]);
    // A US resident of another citizenship uses an SSN too.
    expect(() => checkIdentification({ ...US, citizenship: 'FR' })).not.toThrow();
    for (const idType of ['passport', 'national-id', 'driver-license'] as const)
      expect(() => checkIdentification({ ...ID, idType }), idType).not.toThrow();
  });
});
