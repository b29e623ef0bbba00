/**
 * Catching the InputError that firmware/ refuses bad input with (firmware/errors.ts): the tests of
 * every part that checks its input read the refused part and the one-line message from it.
 */
import { expect } from 'vitest';
import { InputError } from '../firmware/errors.ts';

/** The InputError `fn` throws; fails the test when it throws something else or nothing. */
export function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

/** The part and message of the InputError `fn` throws, as plain data for `toEqual`. */
export function refusal(fn: () => unknown): { part: string; message: string } {
  const e = inputErrorOf(fn);
  return { part: e.part, message: e.message };
}
