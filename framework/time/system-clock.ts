import type { Clock, TimerHandle } from './clock.js';

/** The real clock, on Node's timers. Timers are `unref`'d only when asked, so a node keeps the process alive. */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  /** @inheritDoc */
  now(): number {
    return Date.now();
  }

  /** @inheritDoc */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = globalThis.setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.set(id, t);
    return { id };
  }

  /** @inheritDoc */
  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, globalThis.setInterval(fn, ms));
    return { id };
  }

  /** @inheritDoc */
  clear(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      globalThis.clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }

  /** @inheritDoc */
  pendingTimers(): number {
    return this.timers.size;
  }
}
