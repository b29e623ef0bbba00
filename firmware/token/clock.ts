/**
 * A token's clock: device time as a function of host time. Real time by default (rate 1, no
 * offset); it can be set, advanced, paused and run faster or slower. Plain JSON, so a snapshot
 * of a token carries its clock.
 */
import { check } from '../errors.ts';

export interface ClockState {
  /** Device time at `hostAt`. */
  deviceAt: number;
  hostAt: number;
  /** Device ms per host ms; 0 while paused. */
  rate: number;
  paused: boolean;
}

export class TokenClock {
  state: ClockState;

  constructor(state?: ClockState, hostNow = 0) {
    this.state = state ?? { deviceAt: hostNow, hostAt: hostNow, rate: 1, paused: false };
  }

  now(hostNow: number): number {
    const s = this.state;
    if (s.paused) return s.deviceAt;
    return Math.floor(s.deviceAt + (hostNow - s.hostAt) * s.rate);
  }

  set(deviceMs: number, hostNow: number): void {
    check(Number.isSafeInteger(deviceMs) && deviceMs >= 0, 'clock', `clock must be Unix milliseconds (0 or more), got ${deviceMs}`);
    this.state = { ...this.state, deviceAt: deviceMs, hostAt: hostNow };
  }

  advance(ms: number, hostNow: number): void {
    check(Number.isSafeInteger(ms) && ms >= 0, 'duration', `advance must be 0 or more milliseconds, got ${ms}`);
    this.set(this.now(hostNow) + ms, hostNow);
  }

  pause(hostNow: number): void {
    this.state = { ...this.state, deviceAt: this.now(hostNow), hostAt: hostNow, paused: true };
  }

  resume(hostNow: number): void {
    this.state = { ...this.state, hostAt: hostNow, paused: false };
  }

  setRate(rate: number, hostNow: number): void {
    check(Number.isFinite(rate) && rate > 0 && rate <= 10_000, 'rate', `clock speed must be above 0 and at most 10000, got ${rate}`);
    this.state = { ...this.state, deviceAt: this.now(hostNow), hostAt: hostNow, rate };
  }

  /** The host time at which the device clock reaches `deviceMs`, or null while paused. */
  hostTimeOf(deviceMs: number, hostNow: number): number | null {
    const s = this.state;
    if (s.paused) return null;
    const device = this.now(hostNow);
    return hostNow + Math.max(0, Math.ceil((deviceMs - device) / s.rate));
  }
}
