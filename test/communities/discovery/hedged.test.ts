/** `hedged`: a find asked once more when its first copy is slow (a lost packet), and no more than that. */
import { describe, expect, it } from 'vitest';
import { hedged } from '../../../communities/discovery/hedged.js';
import type { TimerHandle } from '../../../framework/index.js';

/** Timers run by hand: `fire()` runs every timer due, like a clock advanced past them. */
function manualTimers(): { schedule(ms: number, fn: () => void): TimerHandle; unschedule(h: TimerHandle): void; fire(): void; readonly pending: number } {
  const due = new Map<TimerHandle, () => void>();
  let next = 0;
  return {
    schedule: (_ms, fn) => {
      const h = ++next as unknown as TimerHandle;
      due.set(h, fn);
      return h;
    },
    unschedule: (h) => void due.delete(h),
    fire: () => {
      const fns = [...due.values()];
      due.clear();
      for (const fn of fns) fn();
    },
    get pending() {
      return due.size;
    },
  };
}

/** A request whose outcome the test decides. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('hedged', () => {
  it('an answer within the soft timeout: one request, the timer cleared', async () => {
    const timers = manualTimers();
    const first = deferred<string>();
    let calls = 0;
    const p = hedged(() => (++calls, first.promise), 500, timers);
    first.resolve('a');
    expect(await p).toBe('a');
    expect(calls).toBe(1);
    expect(timers.pending).toBe(0);
  });

  it('a slow first request: asked again, and the second answer wins while the first is lost', async () => {
    const timers = manualTimers();
    const asks = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const p = hedged(() => asks[calls++]!.promise, 500, timers);
    timers.fire();
    expect(calls).toBe(2);
    asks[1]!.resolve('second');
    expect(await p).toBe('second');
    asks[0]!.reject(new Error('timeout'));
    await tick();
    expect(calls).toBe(2);
  });

  it('both failing rejects with the second error; a first that fails before the soft timeout is not asked again', async () => {
    const timers = manualTimers();
    const asks = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const both = hedged(() => asks[calls++]!.promise, 500, timers);
    timers.fire();
    asks[0]!.reject(new Error('first'));
    await tick();
    asks[1]!.reject(new Error('second'));
    await expect(both).rejects.toThrow('second');

    const early = manualTimers();
    const only = deferred<string>();
    let earlyCalls = 0;
    const fast = hedged(() => (++earlyCalls, only.promise), 500, early);
    only.reject(new Error('impostor'));
    await expect(fast).rejects.toThrow('impostor');
    expect(early.pending).toBe(0);
    expect(earlyCalls).toBe(1);
  });
});
