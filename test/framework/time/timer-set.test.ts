import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../framework/time/manual-clock.js';
import { TimerSet } from '../../../framework/time/timer-set.js';

describe('TimerSet', () => {
  it('forgets fired and cancelled timers, and clear() cancels the rest on the clock', async () => {
    const clock = new ManualClock(0);
    const set = new TimerSet({ after: (ms, fn) => clock.setTimeout(fn, ms), cancel: (h) => clock.clear(h) });
    const fired: number[] = [];
    set.schedule(10, () => fired.push(10));
    const b = set.schedule(20, () => fired.push(20));
    set.schedule(30, () => fired.push(30));
    expect(set.size).toBe(3);
    await clock.advance(10);
    expect(fired).toEqual([10]);
    expect(set.size).toBe(2);
    set.unschedule(b);
    set.unschedule(undefined);
    expect(set.size).toBe(1);
    set.clear();
    expect(set.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(100);
    expect(fired).toEqual([10]);
  });
});
