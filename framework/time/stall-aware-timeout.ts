/**
 * Request timeouts that do not blame a peer for our own stall. A timeout that fires more than
 * {@link STALL_LATE_MS} after it fell due finds that this process was stalled (a long GC, a busy event
 * loop, a starved machine): the answer may be waiting in the socket, and Node runs due timers before it
 * reads the sockets, so after a stall every request in flight would time out with its answer unread.
 * Such a timeout waits once more, as long as it was late (at most {@link MAX_STALL_GRACE_MS}), before it
 * fires. On the `ManualClock` timers fire on time, so simulations and tests never see the grace.
 * @module
 */
import type { Clock, TimerHandle } from './clock.js';

/** A timeout firing later than this past its due time means the process itself was stalled (ms). */
export const STALL_LATE_MS = 50;
/** The most a stalled timeout waits before it fires (ms). */
export const MAX_STALL_GRACE_MS = 1_000;

/** A pending {@link stallAwareTimeout}. */
export interface StallAwareTimeout {
  /** Cancels it (idempotent; nothing happens once it fired). */
  cancel(): void;
}

/**
 * Runs `fire` after `ms`, or, when the timer itself comes more than {@link STALL_LATE_MS} late, after a
 * grace as long as it was late (at most {@link MAX_STALL_GRACE_MS}); one grace only.
 * @param clock the clock's timers and time.
 * @param onGrace told when a late timer takes its grace (for a counter).
 * @returns the handle to cancel it.
 * @example
 * ```ts
 * const timeout = stallAwareTimeout(clock, 2_000, () => reject(new TimeoutError('...')));
 * timeout.cancel(); // the answer came
 * ```
 */
export function stallAwareTimeout(clock: Pick<Clock, 'now' | 'setTimeout' | 'clear'>, ms: number, fire: () => void, onGrace?: () => void): StallAwareTimeout {
  const due = clock.now() + ms;
  let handle: TimerHandle = clock.setTimeout(() => {
    const late = clock.now() - due;
    if (!(late > STALL_LATE_MS)) return fire();
    onGrace?.();
    handle = clock.setTimeout(fire, Math.min(late, MAX_STALL_GRACE_MS));
  }, ms);
  return { cancel: () => clock.clear(handle) };
}
