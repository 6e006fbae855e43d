/**
 * A request asked twice when the first copy is slow: under loss, a find whose request or answer was lost
 * would otherwise hold a lookup until its hard timeout (2 s toward a node whose round trip is unknown),
 * which is all of a lookup that has only one or two nodes to ask (a node that just joined).
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';

/** The timers a hedged request uses (the caller's, cleared when it ends). */
export interface HedgeTimers {
  /** Schedules a timer. */
  schedule(ms: number, fn: () => void): TimerHandle;
  /** Clears one. */
  unschedule(handle: TimerHandle): void;
}

/**
 * Calls `ask()`, and once more if the first call has not settled within `afterMs`. Resolves with the
 * first answer; rejects when the first call failed before the second was made (an answer that failed a
 * check is not worth asking again), or when both failed (with the second's error).
 * @param ask sends one request.
 * @param afterMs when to ask again, in ms (the node's soft timeout).
 * @param timers the caller's timers.
 */
export function hedged<T>(ask: () => Promise<T>, afterMs: number, timers: HedgeTimers): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let calls = 1;
    let failed = 0;
    const settle = (p: Promise<T>): void => {
      p.then(
        (value) => {
          if (done) return;
          done = true;
          timers.unschedule(timer);
          resolve(value);
        },
        (error: unknown) => {
          failed++;
          if (done || failed < calls) return;
          done = true;
          timers.unschedule(timer);
          reject(error);
        },
      );
    };
    const timer = timers.schedule(afterMs, () => {
      if (done) return;
      calls++;
      settle(ask());
    });
    settle(ask());
  });
}
