/**
 * A ManualClock whose `now()` runs `stall` ms ahead while a test says so: timers then fire that late, as
 * after a stalled event loop (for the stall grace of `stallAwareTimeout`).
 */
import { ManualClock } from '../../framework/index.js';
import type { Clock } from '../../framework/index.js';

/** The clock to hand the code under test, the ManualClock that drives it, and the stall setter. */
export interface StallingClock {
  readonly clock: Clock;
  readonly manual: ManualClock;
  /** From now on, `clock.now()` reads `ms` ahead of the timers. */
  stall(ms: number): void;
}

/** @returns a fresh {@link StallingClock} at time 0. */
export function stallingClock(): StallingClock {
  const manual = new ManualClock(0);
  let extra = 0;
  const clock: Clock = {
    now: () => manual.now() + extra,
    setTimeout: (fn, ms) => manual.setTimeout(fn, ms),
    setInterval: (fn, ms) => manual.setInterval(fn, ms),
    clear: (h) => manual.clear(h),
    pendingTimers: () => manual.pendingTimers(),
  };
  return { clock, manual, stall: (ms) => void (extra = ms) };
}
