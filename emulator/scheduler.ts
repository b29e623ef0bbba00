/** The Node scheduler for protocol links: real timers. */
import type { Scheduler } from '../protocol/link.ts';

export const nodeScheduler: Scheduler = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
