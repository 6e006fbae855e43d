/**
 * The local value cache: a repeated find answered without a packet while fresh, bounds in entries and
 * bytes, the max cache age and value expiry, refresh before expiry for keys read from the cache (bounded,
 * on the ManualClock), `cache: false`, the setting that turns it off, `latest` bypassing it, and this
 * node's own store dropping its entry. In-memory network.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { ValueCache, resolveValueCacheSettings } from '../../../communities/dht/value-cache.js';
import type { FoundValue } from '../../../communities/dht/index.js';
import { InvalidArgumentError, ManualClock, utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

describe('value cache on the network', () => {
  it('a repeated find is answered from the cache without a packet while fresh, and counted', async () => {
    const net = await dhtNet(16, 1601, { valueCache: { enabled: true } });
    const [publisher, reader] = [net.dhts[2]!, net.dhts[11]!];
    await net.clock.settle(publisher.storeValue('cached', utf8('v1'), { sign: true }));
    const first = await net.clock.settle(reader.findValues('cached'));
    expect(first.map((v) => text(v.data))).toEqual(['v1']);
    expect(reader.statistics.cacheMisses).toBe(1);
    const sent = net.network.stats.sent;
    for (let i = 0; i < 5; i++) {
      const again = await reader.findValues('cached');
      expect(again.map((v) => text(v.data))).toEqual(['v1']);
    }
    expect(net.network.stats.sent).toBe(sent); // not one datagram
    expect(reader.statistics.cacheHits).toBe(5);
    expect(reader.valueCache.size).toBe(1);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('stale after maxAgeMs: an update published elsewhere is seen once the cached answer ages out', async () => {
    const net = await dhtNet(16, 1602, { valueCache: { enabled: true, maxAgeMs: 30_000, refreshBeforeMs: 0 } });
    const [publisher, reader] = [net.dhts[2]!, net.dhts[11]!];
    await net.clock.settle(publisher.storeValue('moving', utf8('v1'), { sign: true }));
    await net.clock.settle(reader.findValues('moving'));
    await net.clock.advance(1_000);
    await net.clock.settle(publisher.storeValue('moving', utf8('v2'), { sign: true }));
    // Within maxAgeMs the cached answer is stale (the documented trade-off)...
    expect((await net.clock.settle(reader.findValues('moving'))).map((v) => text(v.data))).toEqual(['v1']);
    // ...`cache: false` asks the network...
    expect((await net.clock.settle(reader.findValues('moving', { cache: false }))).map((v) => text(v.data))).toEqual(['v2']);
    // ...and once maxAgeMs has passed, so does a plain find.
    await net.clock.advance(30_000);
    const misses = reader.statistics.cacheMisses;
    expect((await net.clock.settle(reader.findValues('moving'))).map((v) => text(v.data))).toEqual(['v2']);
    expect(reader.statistics.cacheMisses).toBe(misses + 1);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a key read from the cache is refreshed shortly before it goes stale; one never read again is not', async () => {
    const net = await dhtNet(16, 1603, { valueCache: { enabled: true, maxAgeMs: 60_000, refreshBeforeMs: 5_000 } });
    const [publisher, reader] = [net.dhts[2]!, net.dhts[11]!];
    await net.clock.settle(publisher.storeValue('hot', utf8('h1'), { sign: true }));
    await net.clock.settle(publisher.storeValue('cold', utf8('c1'), { sign: true }));
    await net.clock.settle(reader.findValues('hot'));
    await net.clock.settle(reader.findValues('cold'));
    await reader.findValues('hot'); // a hit: 'hot' is read often
    await net.clock.settle(publisher.storeValue('hot', utf8('h2'), { sign: true }));
    await net.clock.advance(56_000); // past 55 s: the refresh ran
    expect(reader.statistics.cacheRefreshes).toBe(1);
    const sent = net.network.stats.sent;
    const hot = await reader.findValues('hot'); // 57 s after the first fetch: answered by the refreshed entry
    expect(hot.map((v) => text(v.data))).toEqual(['h2']);
    expect(net.network.stats.sent).toBe(sent);
    await net.clock.advance(10_000);
    const misses = reader.statistics.cacheMisses;
    await net.clock.settle(reader.findValues('cold'));
    expect(reader.statistics.cacheMisses).toBe(misses + 1); // 'cold' aged out unrefreshed
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('cache: false, valueCache.enabled false, latest, and our own store all go to the network', async () => {
    const net = await dhtNet(12, 1604, { valueCache: { enabled: true } });
    const [publisher, reader] = [net.dhts[2]!, net.dhts[9]!];
    await net.clock.settle(publisher.storeValue('k', utf8('v'), { sign: true }));
    await net.clock.settle(reader.findValues('k'));
    const sent = net.network.stats.sent;
    await net.clock.settle(reader.findValues('k', { cache: false }));
    expect(net.network.stats.sent).toBeGreaterThan(sent);
    const s2 = net.network.stats.sent;
    await net.clock.settle(reader.findValues('k', { latest: true }));
    expect(net.network.stats.sent).toBeGreaterThan(s2);
    // This node's own store under the key drops its entry.
    await net.clock.settle(reader.storeValue('k', utf8('mine'), { sign: true }));
    expect(reader.valueCache.size).toBe(0);
    const both = await net.clock.settle(reader.findValues('k'));
    expect(both.map((v) => text(v.data)).sort()).toEqual(['mine', 'v']);
    expect(reader.statistics.cacheHits).toBe(0);
    await net.stopAndDrain();

    const quiet = await dhtNet(8, 1605, { valueCache: { enabled: false } });
    await quiet.clock.settle(quiet.dhts[1]!.storeValue('k', utf8('v')));
    await quiet.clock.settle(quiet.dhts[5]!.findValues('k'));
    const before = quiet.network.stats.sent;
    await quiet.clock.settle(quiet.dhts[5]!.findValues('k'));
    expect(quiet.network.stats.sent).toBeGreaterThan(before);
    expect(quiet.dhts[5]!.statistics.cacheHits + quiet.dhts[5]!.statistics.cacheMisses).toBe(0);
    expect(await quiet.stopAndDrain()).toBe(0);
  });
});

describe('ValueCache', () => {
  const value = (data: string, expiresAt: number): FoundValue => ({ data: utf8(data), publicKey: null, version: 0, expiresAt });
  const make = (settings: Parameters<typeof resolveValueCacheSettings>[0]): { cache: ValueCache; clock: ManualClock; refreshed: string[] } => {
    const clock = new ManualClock();
    const refreshed: string[] = [];
    const cache = new ValueCache(resolveValueCacheSettings(settings), {
      clock,
      after: (ms, fn) => clock.setTimeout(fn, ms),
      cancel: (h) => clock.clear(h),
      counters: { cacheHits: 0, cacheMisses: 0, cacheRefreshes: 0 },
      refresh: async (key) => void refreshed.push(text(key)),
    });
    return { cache, clock, refreshed };
  };

  it('is bounded in entries and bytes, least recently used out first', () => {
    const { cache, clock } = make({ maxEntries: 3, maxBytes: 10_000 });
    const far = clock.now() + 3_600_000;
    for (const k of ['a', 'b', 'c']) cache.put(utf8(k), undefined, [value(k, far)], 10);
    cache.get(utf8('a'), undefined, 10); // a is now the most recent
    cache.put(utf8('d'), undefined, [value('d', far)], 10);
    expect(cache.size).toBe(3);
    expect(cache.get(utf8('b'), undefined, 10)).toBeUndefined();
    expect(cache.get(utf8('a'), undefined, 10)?.map((v) => text(v.data))).toEqual(['a']);

    const small = make({ maxEntries: 100, maxBytes: 1_000 }).cache;
    for (let i = 0; i < 20; i++) small.put(utf8(`k${i}`), undefined, [value('x'.repeat(100), far)], 10);
    expect(small.byteSize).toBeLessThanOrEqual(1_000);
    expect(small.size).toBe(3); // 100 data + 186 overhead + key bytes each
    small.put(utf8('huge'), undefined, [value('x'.repeat(2_000), far)], 10);
    expect(small.get(utf8('huge'), undefined, 10)).toBeUndefined(); // larger than the whole cache: not kept
  });

  it('answers only while every value lives, and only as many values as it holds unless it has them all', async () => {
    const { cache, clock } = make({});
    cache.put(utf8('k'), undefined, [value('a', clock.now() + 10_000), value('b', clock.now() + 100_000)], 2);
    expect(cache.get(utf8('k'), undefined, 5)).toBeUndefined(); // asked 2, got 2: there may be more
    cache.put(utf8('k'), undefined, [value('a', clock.now() + 10_000)], 5);
    expect(cache.get(utf8('k'), undefined, 50)?.length).toBe(1); // fewer than asked: all there is
    expect(cache.get(utf8('k'), utf8('publisher-mid-20-byte'), 5)).toBeUndefined(); // another publisher filter
    await clock.advance(10_000);
    expect(cache.get(utf8('k'), undefined, 5)).toBeUndefined(); // a value expired
    cache.put(utf8('e'), undefined, [], 5);
    expect(cache.size).toBe(0); // empty answers are not kept
  });

  it('refreshes an entry read since its fetch, at most maxRefreshing at once, and no timer is left after clear', async () => {
    const { cache, clock, refreshed } = make({ maxAgeMs: 10_000, refreshBeforeMs: 2_000, maxRefreshing: 1 });
    const far = clock.now() + 3_600_000;
    cache.put(utf8('r1'), undefined, [value('x', far)], 5);
    cache.put(utf8('r2'), undefined, [value('x', far)], 5);
    cache.put(utf8('idle'), undefined, [value('x', far)], 5);
    cache.get(utf8('r1'), undefined, 5);
    cache.get(utf8('r2'), undefined, 5);
    await clock.advance(8_000);
    expect(refreshed).toEqual(['r1']); // both due at the same instant, one at a time: the second is skipped
    expect(clock.pendingTimers()).toBe(0);
    cache.put(utf8('again'), undefined, [value('x', far)], 5);
    cache.get(utf8('again'), undefined, 5);
    expect(clock.pendingTimers()).toBe(1);
    cache.clear();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rejects bad settings with a named error', () => {
    expect(() => resolveValueCacheSettings({ maxEntries: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveValueCacheSettings({ maxAgeMs: 1_000, refreshBeforeMs: 1_000 })).toThrow(/refreshBeforeMs/);
  });
});
