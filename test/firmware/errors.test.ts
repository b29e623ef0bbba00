/**
 * The one error type of the golden models (firmware/errors.ts): callers turn its `part` into a
 * one-line message, a status word or a 4xx naming the field, so part, message and type must
 * hold. `withinDepth` guards the JSON that restores a token (GET .../snapshot) against nesting
 * deep enough to overflow the stack.
 */
import { describe, expect, it } from 'vitest';
import { check, InputError, withinDepth } from '../../firmware/errors.ts';

describe('InputError and check', () => {
  it('carries the part and the message, and is a RangeError named InputError', () => {
    const e = new InputError('counter', 'counter must be 0 to 2^64-1');
    expect(e).toBeInstanceOf(RangeError);
    expect([e.name, e.part, e.message]).toEqual(['InputError', 'counter', 'counter must be 0 to 2^64-1']);
    expect(String(e)).toBe('InputError: counter must be 0 to 2^64-1');
  });

  it('check passes when the condition holds and throws the named InputError when it does not', () => {
    expect(() => check(true, 'suite', 'never')).not.toThrow();
    let caught: unknown;
    try {
      check(false, 'suite', 'suite is not an OCRA suite');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect([(caught as InputError).part, (caught as InputError).message]).toEqual(['suite', 'suite is not an OCRA suite']);
  });
});

describe('withinDepth', () => {
  /** `levels` objects (or arrays) nested inside each other. */
  const nest = (levels: number, array = false): unknown => {
    let v: unknown = 'leaf';
    for (let i = 0; i < levels; i++) v = array ? [1, v] : { a: 1, b: v };
    return v;
  };

  it('counts each nested object or array as a level, up to the bound exactly', () => {
    for (const array of [false, true]) {
      expect(withinDepth(nest(6, array), 6), `6 in 6 (${array})`).toBe(true);
      expect(withinDepth(nest(7, array), 6), `7 in 6 (${array})`).toBe(false);
      expect(withinDepth(nest(1, array), 1)).toBe(true);
      expect(withinDepth(nest(2, array), 1)).toBe(false);
    }
    expect(withinDepth({ a: [{ b: 1 }] }, 3)).toBe(true);
    expect(withinDepth({ a: [{ b: {} }] }, 3)).toBe(false);
  });

  it('looks at every branch, not only the first or the last', () => {
    expect(withinDepth({ deep: nest(5), flat: 1 }, 3)).toBe(false);
    expect(withinDepth({ flat: 1, deep: nest(5) }, 3)).toBe(false);
    expect(withinDepth([nest(5), 1, 2], 3)).toBe(false);
    expect(withinDepth([1, { x: null }, 2], 2)).toBe(true);
  });

  it('values that are not objects have no depth; null is not an object', () => {
    for (const v of [null, undefined, 0, 'text', true]) expect(withinDepth(v, 0), String(v)).toBe(true);
    expect(withinDepth({}, 0)).toBe(false);
    expect(withinDepth({ a: null, b: 'x' }, 1)).toBe(true);
  });

  it('refuses a document 100,000 levels deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(withinDepth(deep, 8)).toBe(false);
    expect(withinDepth(nest(100_000), 100_000)).toBe(true);
  });
});
