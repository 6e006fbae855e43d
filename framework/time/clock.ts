/**
 * Time as an injected component: every timer in Peerlay goes through a {@link Clock}, so tests and
 * simulations run protocol time as fast as the CPU allows with {@link ManualClock}.
 * @module
 */

/** An opaque handle returned by {@link Clock.setTimeout} and {@link Clock.setInterval}. */
export interface TimerHandle {
  /** Unique id of the timer within its clock. */
  readonly id: number;
}

/** The clock and scheduler every component uses. Never call the global timers directly. */
export interface Clock {
  /** Current time in milliseconds since the Unix epoch (virtual for {@link ManualClock}). */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs `fn` every `ms` milliseconds until cleared. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or interval; unknown or already-fired handles are ignored. */
  clear(handle: TimerHandle | undefined): void;
  /** Number of timers still scheduled (used by tests to assert that `stop()` released everything). */
  pendingTimers(): number;
}
