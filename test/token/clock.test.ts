/**
 * A token's clock (firmware/token/clock.ts): device time as a function of host time, set, advanced,
 * paused, resumed and run at another rate; and when the host must wake for a device time.
 */
import { describe, expect, it } from 'vitest';
import { TokenClock } from '../../firmware/token/clock.ts';
import { refusal } from '../input-error.ts';

describe('TokenClock', () => {
  it('runs with the host by default, from the host time it was made at', () => {
    const c = new TokenClock(undefined, 1000);
    expect(c.state).toEqual({ deviceAt: 1000, hostAt: 1000, rate: 1, paused: false });
    expect(c.now(1000)).toBe(1000);
    expect(c.now(1250)).toBe(1250);
    expect(new TokenClock().now(5)).toBe(5);
  });

  it('is set to a device time that then runs on', () => {
    const c = new TokenClock(undefined, 0);
    c.set(1_700_000_000_000, 100);
    expect(c.now(100)).toBe(1_700_000_000_000);
    expect(c.now(130)).toBe(1_700_000_000_030);
    c.set(0, 200);
    expect(c.now(200)).toBe(0);
  });

  it('refuses a device time that is negative, fractional or unsafe, naming the clock', () => {
    const c = new TokenClock(undefined, 0);
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN])
      expect(refusal(() => c.set(bad, 0))).toEqual({ part: 'clock', message: `clock must be Unix milliseconds (0 or more), got ${bad}` });
    expect(c.now(0)).toBe(0);
  });

  it('advances by whole milliseconds from the running time; 0 is allowed, negative is not', () => {
    const c = new TokenClock(undefined, 0);
    c.advance(500, 100);
    expect(c.now(100)).toBe(600);
    c.advance(0, 100);
    expect(c.now(100)).toBe(600);
    for (const bad of [-1, 0.5])
      expect(refusal(() => c.advance(bad, 100))).toEqual({
        part: 'duration',
        message: `advance must be 0 or more milliseconds, got ${bad}`,
      });
    expect(c.now(100)).toBe(600);
  });

  it('stands still while paused, at the time it was paused, and runs on from there when resumed', () => {
    const c = new TokenClock(undefined, 0);
    c.pause(40);
    expect(c.state.paused).toBe(true);
    expect(c.now(40)).toBe(40);
    expect(c.now(10_000)).toBe(40);
    c.advance(60, 10_000); // a held clock still moves when told to
    expect(c.now(20_000)).toBe(100);
    c.resume(20_000);
    expect(c.state.paused).toBe(false);
    expect(c.now(20_000)).toBe(100);
    expect(c.now(20_005)).toBe(105);
  });

  it('runs at another rate from the moment it is set, rounding down', () => {
    const c = new TokenClock(undefined, 0);
    c.setRate(10, 100);
    expect(c.now(100)).toBe(100);
    expect(c.now(101)).toBe(110);
    c.setRate(0.5, 101);
    expect(c.now(101)).toBe(110);
    expect(c.now(102)).toBe(110); // 110.5, rounded down
    expect(c.now(103)).toBe(111);
    c.setRate(10_000, 103);
    expect(c.now(104)).toBe(10_111);
  });

  it('refuses a rate of 0, below 0, above 10000 or not finite, naming the rate', () => {
    const c = new TokenClock(undefined, 0);
    for (const bad of [0, -1, 10_000.5, Infinity, NaN])
      expect(refusal(() => c.setRate(bad, 0))).toEqual({
        part: 'rate',
        message: `clock speed must be above 0 and at most 10000, got ${bad}`,
      });
    expect(c.state.rate).toBe(1);
  });

  it('says when the host must wake for a device time: never while paused, now for a time passed', () => {
    const c = new TokenClock(undefined, 0);
    expect(c.hostTimeOf(500, 100)).toBe(500);
    expect(c.hostTimeOf(50, 100)).toBe(100);
    expect(c.hostTimeOf(100, 100)).toBe(100);
    c.setRate(4, 100);
    expect(c.hostTimeOf(110, 100)).toBe(103); // 2.5 host ms, rounded up
    expect(c.hostTimeOf(108, 100)).toBe(102);
    c.pause(100);
    expect(c.hostTimeOf(500, 100)).toBeNull();
  });

  it('keeps its state as plain JSON that a new clock takes up', () => {
    const c = new TokenClock(undefined, 0);
    c.set(9_000, 10);
    c.setRate(2, 20);
    const again = new TokenClock(JSON.parse(JSON.stringify(c.state)), 999);
    expect(again.now(30)).toBe(c.now(30));
  });
});
