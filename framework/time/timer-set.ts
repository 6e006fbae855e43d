/**
 * The timers one piece of work owns: each is forgotten when it fires or is cancelled, and
 * {@link TimerSet.clear} cancels the rest at once, so ending the work never leaves a timer behind.
 * @module
 */
import type { TimerHandle } from './clock.js';

/** Where a {@link TimerSet} schedules: a community's `after`/`cancel`, or a clock's. */
export interface TimerSource {
  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  cancel(handle: TimerHandle | undefined): void;
}

/** A set of pending timers with one `clear()`; see the module comment. */
export class TimerSet {
  private readonly pending = new Set<TimerHandle>();

  /** @param source where the timers are scheduled. */
  constructor(private readonly source: TimerSource) {}

  /** Timers pending now. */
  get size(): number {
    return this.pending.size;
  }

  /** Runs `fn` after `ms` unless cancelled or cleared first. */
  schedule(ms: number, fn: () => void): TimerHandle {
    const handle = this.source.after(ms, () => {
      this.pending.delete(handle);
      fn();
    });
    this.pending.add(handle);
    return handle;
  }

  /** Cancels one timer of the set (ignores `undefined` and fired ones). */
  unschedule(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.source.cancel(handle);
    this.pending.delete(handle);
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const t of this.pending) this.source.cancel(t);
    this.pending.clear();
  }
}
