/**
 * The SLS service's lab clock: the time every rule of the service reads (Temporary Codes' 2 days,
 * the online card's 21, the 5-business-day withdrawal window, sessions, logins, activation codes).
 * Real time by default; the host-wide clock control (`POST /api/clock`, which also moves every
 * token's clock) sets, advances, pauses or speeds it, so QA can let days pass in a moment. Its
 * state is kept in the SLS database (settings key `lab-clock`), so a restart keeps the lab's time.
 * docs/sls.md, "The lab clock".
 */
import { TokenClock, type ClockState } from '../../firmware/token/clock.ts';
import type { ClockOp } from '../host/types.ts';
import type { SlsStore } from './store.ts';

export const LAB_CLOCK_KEY = 'lab-clock';

export interface LabClockView {
  clock: number;
  paused: boolean;
  rate: number;
}

export class LabClock {
  private readonly c: TokenClock;

  constructor(
    private readonly wall: () => number = Date.now,
    state?: ClockState,
  ) {
    this.c = new TokenClock(state, wall());
  }

  /** The lab's time now, Unix ms. */
  now(): number {
    return this.c.now(this.wall());
  }

  view(): LabClockView {
    return { clock: this.now(), paused: this.c.state.paused, rate: this.c.state.rate };
  }

  /** Loads the saved state (a database without one keeps real time). */
  async load(store: SlsStore): Promise<void> {
    const s = await store.transaction((tx) => tx.setting<ClockState>(LAB_CLOCK_KEY));
    if (s) this.c.state = s;
  }

  /**
   * Applies a clock operation in the order of the host's (real first, then set, advance, rate,
   * pause) and saves the new state in one transaction; a bad value throws before anything moves.
   */
  async apply(store: SlsStore, op: ClockOp): Promise<LabClockView> {
    const before = this.c.state;
    const wall = this.wall();
    try {
      if (op.real) this.c.state = { deviceAt: wall, hostAt: wall, rate: 1, paused: false };
      if (op.set !== undefined) this.c.set(op.set, wall);
      if (op.advance !== undefined) this.c.advance(op.advance, wall);
      if (op.rate !== undefined) this.c.setRate(op.rate, wall);
      if (op.pause === true) this.c.pause(wall);
      if (op.pause === false) this.c.resume(wall);
      const state = this.c.state;
      await store.transaction((tx) => tx.putSetting(LAB_CLOCK_KEY, state));
    } catch (err) {
      this.c.state = before;
      throw err;
    }
    return this.view();
  }
}
