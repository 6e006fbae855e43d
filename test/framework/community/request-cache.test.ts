import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AbortError, LifecycleError, MAX_STALL_GRACE_MS, ManualClock, RequestCache, STALL_LATE_MS, SeededRandom, TimeoutError } from '../../../framework/index.js';
import { stallingClock } from '../../helpers/stalling-clock.js';

describe('RequestCache', () => {
  it('resolves by id and tag, with distinct random 64-bit ids', async () => {
    const clock = new ManualClock(0);
    const cache = new RequestCache(clock, new SeededRandom(1));
    const ids = new Set<bigint>();
    const reqs = Array.from({ length: 1_000 }, () => cache.register<string>({ timeoutMs: 1_000, tag: 'a' }));
    for (const r of reqs) ids.add(r.id);
    expect(ids.size).toBe(1_000);
    expect([...ids].some((id) => id > 2n ** 32n)).toBe(true);
    const first = reqs[0]!;
    expect(cache.resolve(first.id, 'x', 'wrong-tag')).toBe(false);
    expect(cache.resolve(first.id, 'ok', 'a')).toBe(true);
    expect(cache.resolve(first.id, 'again', 'a')).toBe(false);
    await expect(first.promise).resolves.toBe('ok');
    cache.clear();
    for (const r of reqs.slice(1)) await expect(r.promise).rejects.toBeInstanceOf(AbortError);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('times out on the injected clock and clears the timer on resolve', async () => {
    const clock = new ManualClock(0);
    const cache = new RequestCache(clock, new SeededRandom(2));
    const slow = cache.register<number>({ timeoutMs: 2_000 });
    const fast = cache.register<number>({ timeoutMs: 2_000 });
    cache.resolve(fast.id, 7);
    expect(clock.pendingTimers()).toBe(1);
    const rejected = expect(slow.promise).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(1_999);
    expect(cache.size).toBe(1);
    await clock.advance(1);
    await rejected;
    await expect(fast.promise).resolves.toBe(7);
    expect(cache.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a timeout that fires late (the process stalled) waits as long again, once, at most MAX_STALL_GRACE_MS; an on-time one fails at once', async () => {
    const { clock, manual, stall } = stallingClock();
    const cache = new RequestCache(clock, new SeededRandom(5));
    const onTime = cache.register<number>({ timeoutMs: 1_000 });
    const answered = cache.register<number>({ timeoutMs: 2_000 });
    const unanswered = cache.register<number>({ timeoutMs: 3_000 });
    const onTimeFailed = expect(onTime.promise).rejects.toBeInstanceOf(TimeoutError);
    stall(STALL_LATE_MS); // exactly the threshold: on time
    await manual.advance(1_000);
    await onTimeFailed;
    expect(cache.stalledTimeouts).toBe(0);

    stall(700); // the loop was 700 ms late when the 2 s timeout fired
    await manual.advance(1_000);
    expect(cache.has(answered.id)).toBe(true); // not failed: the answer may be in the socket
    expect(cache.stalledTimeouts).toBe(1);
    await manual.advance(699);
    expect(cache.resolve(answered.id, 42)).toBe(true); // read within the grace
    await expect(answered.promise).resolves.toBe(42);

    stall(5_000); // far later: the grace is capped
    const unansweredFailed = expect(unanswered.promise).rejects.toBeInstanceOf(TimeoutError);
    await manual.advance(301); // 3 s after registering
    expect(cache.has(unanswered.id)).toBe(true);
    expect(cache.stalledTimeouts).toBe(2);
    await manual.advance(MAX_STALL_GRACE_MS - 1);
    expect(cache.has(unanswered.id)).toBe(true);
    await manual.advance(1); // one grace only, even though this firing is late again
    await unansweredFailed;
    expect(cache.size).toBe(0);
    expect(manual.pendingTimers()).toBe(0);
  });

  it('honours AbortSignal, before and after registering', async () => {
    const clock = new ManualClock(0);
    const cache = new RequestCache(clock, new SeededRandom(3));
    const ac = new AbortController();
    const r = cache.register({ timeoutMs: 5_000, signal: ac.signal });
    ac.abort();
    await expect(r.promise).rejects.toBeInstanceOf(AbortError);
    expect(clock.pendingTimers()).toBe(0);
    expect(() => cache.register({ timeoutMs: 5_000, signal: ac.signal })).toThrow(AbortError);
    cache.clear();
    expect(() => cache.register({ timeoutMs: 1 })).toThrow(LifecycleError);
  });

  it('holds one abort listener per signal however many requests share it, and drops it when the last settles', async () => {
    const clock = new ManualClock(0);
    const cache = new RequestCache(clock, new SeededRandom(3));
    const shared = new AbortController();
    const other = new AbortController();
    const reqs = Array.from({ length: 50 }, () => cache.register<number>({ timeoutMs: 1_000, signal: shared.signal }));
    const apart = cache.register<number>({ timeoutMs: 1_000, signal: other.signal });
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(1);
    // settle 10 normally: the listener stays for the 40 left
    for (const r of reqs.slice(0, 10)) cache.resolve(r.id, 1);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    shared.abort();
    for (const r of reqs.slice(10)) await expect(r.promise).rejects.toBeInstanceOf(AbortError);
    for (const r of reqs.slice(0, 10)) await expect(r.promise).resolves.toBe(1);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(cache.size).toBe(1); // the other signal's request is untouched
    cache.resolve(apart.id, 2);
    await expect(apart.promise).resolves.toBe(2);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
