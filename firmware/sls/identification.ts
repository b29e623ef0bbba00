/**
 * Identification data: checking it when an entity is registered, and comparing two entities'
 * data for device sharing (KB2481: the users must have the same identification information).
 */
import { check } from '../errors.ts';
import type { Identification } from './model.ts';

const COUNTRY = /^[A-Z]{2}$/;
const ID_TYPES = ['ssn', 'passport', 'national-id', 'driver-license'] as const;

/** Days in a month of a year (Gregorian). */
function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** A YYYY-MM-DD date that exists, from 1900 on. */
export function checkDate(text: unknown, part: string): asserts text is string {
  const m = typeof text === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) : null;
  check(m !== null, part, `${part} must be a date written YYYY-MM-DD`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  check(y >= 1900 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo), part, `${part} "${text}" is not a date`);
}

/** The ID number as compared: letters upper case, spaces and dashes dropped. */
export function normalId(idNumber: string): string {
  return idNumber.replace(/[\s-]/g, '').toUpperCase();
}

/** Checks identification data; US citizens and US residents are identified by their SSN. */
export function checkIdentification(i: Identification): void {
  check(typeof i === 'object' && i !== null, 'identification', 'identification must be an object');
  checkDate(i.dateOfBirth, 'identification.dateOfBirth');
  check(
    typeof i.citizenship === 'string' && COUNTRY.test(i.citizenship),
    'identification.citizenship',
    'identification.citizenship must be a two-letter country code in capitals (e.g. US, GB)',
  );
  check(
    typeof i.residence === 'string' && COUNTRY.test(i.residence),
    'identification.residence',
    'identification.residence must be a two-letter country code in capitals (e.g. US, GB)',
  );
  check(
    (ID_TYPES as readonly string[]).includes(i.idType),
    'identification.idType',
    `identification.idType must be one of ${ID_TYPES.join(', ')}`,
  );
  const us = i.citizenship === 'US' || i.residence === 'US';
  check(!us || i.idType === 'ssn', 'identification.idType', 'US citizens and US residents are identified by their SSN (idType "ssn")');
  check(
    us || i.idType !== 'ssn',
    'identification.idType',
    'an SSN identifies US citizens and residents only; use passport, national-id or driver-license',
  );
  check(typeof i.idNumber === 'string', 'identification.idNumber', 'identification.idNumber must be text');
  const n = normalId(i.idNumber);
  if (i.idType === 'ssn') check(/^\d{9}$/.test(n), 'identification.idNumber', 'an SSN has 9 digits (dashes allowed: 123-45-6789)');
  else check(/^[A-Z0-9]{4,20}$/.test(n), 'identification.idNumber', 'identification.idNumber must be 4 to 20 letters or digits');
}

/** Same date of birth, citizenship, residence, document type and number (normalised). */
export function sameIdentification(a: Identification, b: Identification): boolean {
  return (
    a.dateOfBirth === b.dateOfBirth &&
    a.citizenship === b.citizenship &&
    a.residence === b.residence &&
    a.idType === b.idType &&
    normalId(a.idNumber) === normalId(b.idNumber)
  );
}
