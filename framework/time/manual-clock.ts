import { InvalidArgumentError } from '../errors.js';
import type { Clock, TimerHandle } from './clock.js';

interface Timer {
  id: number;
  due: number;
  seq: number;
  fn: () => void;
  interval: number | undefined;
}

/** Yields to the event loop once, so promise continuations queued by a timer callback run. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A virtual clock: time moves only when {@link ManualClock.advance} or {@link ManualClock.runUntil} is called.
 * Timers fire in due order (ties in scheduling order); after each batch of timers due at the same instant
 * the event loop is yielded so `await` continuations run before time moves on.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log('fired'), 1_000);
 * await clock.advance(1_000); // prints "fired" at once
 * ```
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private seq = 0;
  private readonly heap: Timer[] = [];
  private readonly live = new Map<number, Timer>();

  /** @param startMs the initial virtual time in ms since the epoch (rounded down to a whole ms). @default 1_700_000_000_000 */
  constructor(startMs = 1_700_000_000_000) {
    this.current = Math.floor(startMs);
  }

  /** @inheritDoc */
  now(): number {
    return this.current;
  }

  /** @inheritDoc */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.schedule(fn, ms, undefined);
  }

  /** @inheritDoc */
  setInterval(fn: () => void, ms: number): TimerHandle {
    if (!(ms > 0)) throw new InvalidArgumentError(`interval must be > 0 ms, got ${ms}`);
    return this.schedule(fn, ms, ms);
  }

  /** @inheritDoc */
  clear(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.live.delete(handle.id);
  }

  /** @inheritDoc */
  pendingTimers(): number {
    return this.live.size;
  }

  /**
   * Moves virtual time forward by `ms`, firing every timer that falls due on the way.
   * @param ms how far to move, in milliseconds (>= 0).
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new InvalidArgumentError(`advance needs ms >= 0, got ${ms}`);
    const target = this.current + Math.ceil(ms);
    await yieldToEventLoop();
    for (;;) {
      const next = this.peek();
      if (next === undefined || next.due > target) break;
      this.current = Math.max(this.current, next.due);
      this.fireDueAt(this.current);
      await yieldToEventLoop();
    }
    this.current = target;
    await yieldToEventLoop();
  }

  /**
   * Advances time in steps until `done()` is true or `maxMs` of virtual time have passed.
   * @returns true if `done()` became true.
   */
  async runUntil(done: () => boolean, maxMs: number, stepMs = 50): Promise<boolean> {
    const end = this.current + maxMs;
    while (!done()) {
      if (this.current >= end) return false;
      await this.advance(Math.min(stepMs, end - this.current));
    }
    return true;
  }

  /**
   * Awaits `promise` while advancing virtual time, so a protocol operation that waits on timers completes.
   * @param maxMs virtual time budget; past it the promise is still awaited after time stops moving.
   */
  async settle<T>(promise: Promise<T>, maxMs = 600_000, stepMs = 20): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    tracked.catch(() => undefined);
    await this.runUntil(() => done, maxMs, stepMs);
    return tracked;
  }

  private schedule(fn: () => void, ms: number, interval: number | undefined): TimerHandle {
    // Whole milliseconds, like real timers: keeps now() an integer (timestamps go on the wire as uints).
    const delay = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
    const timer: Timer = { id: this.nextId++, due: this.current + delay, seq: this.seq++, fn, interval };
    this.live.set(timer.id, timer);
    this.push(timer);
    return { id: timer.id };
  }

  private fireDueAt(at: number): void {
    for (;;) {
      const next = this.peek();
      if (next === undefined || next.due > at) return;
      this.pop();
      if (next.interval !== undefined) {
        next.due += next.interval;
        next.seq = this.seq++;
        this.push(next);
      } else {
        this.live.delete(next.id);
      }
      next.fn();
    }
  }

  /** Smallest live timer, discarding cleared ones lazily. */
  private peek(): Timer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return undefined;
      if (this.live.get(top.id) === top) return top;
      this.pop();
    }
  }

  private less(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(t, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = t;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      if (!this.less(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
