import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AbortError, LifecycleError, ManualClock, RequestCache, SeededRandom, TimeoutError } from '../../../framework/index.js';

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
