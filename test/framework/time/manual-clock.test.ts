import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../framework/index.js';

describe('ManualClock', () => {
  it('fires timers in due order, ties in scheduling order, and only when time reaches them', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@10'), 10);
    await clock.advance(9);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(['a@10', 'c@10']);
    await clock.advance(10);
    expect(fired).toEqual(['a@10', 'c@10', 'b@20']);
    expect(clock.now()).toBe(20);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('runs intervals until cleared, and cleared timers never fire', async () => {
    const clock = new ManualClock(0);
    let ticks = 0;
    const h = clock.setInterval(() => ticks++, 100);
    const t = clock.setTimeout(() => ticks += 1000, 50);
    clock.clear(t);
    await clock.advance(1_000);
    expect(ticks).toBe(10);
    clock.clear(h);
    await clock.advance(1_000);
    expect(ticks).toBe(10);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('lets await continuations schedule further timers within one advance', async () => {
    const clock = new ManualClock(0);
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    const order: number[] = [];
    const task = (async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(100);
        order.push(clock.now());
      }
    })();
    await clock.advance(500);
    await task;
    expect(order).toEqual([100, 200, 300, 400, 500]);
  });

  it('settle() drives virtual time until a promise settles', async () => {
    const clock = new ManualClock(0);
    const value = await clock.settle(new Promise<string>((r) => clock.setTimeout(() => r('done'), 3_600_000)), 4_000_000, 60_000);
    expect(value).toBe('done');
    expect(clock.now()).toBeGreaterThanOrEqual(3_600_000);
  });
});

describe('ManualClock whole milliseconds', () => {
  it('keeps now() an integer when delays and advances are fractional', async () => {
    const clock = new ManualClock(0);
    let firedAt = -1;
    clock.setTimeout(() => (firedAt = clock.now()), 2.3);
    await clock.advance(2.1);
    expect(Number.isInteger(clock.now())).toBe(true);
    await clock.advance(1);
    expect(firedAt).toBe(3);
    expect(Number.isInteger(clock.now())).toBe(true);
  });
});
