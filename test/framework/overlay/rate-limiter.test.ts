import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ManualClock, RateLimiter } from '../../../framework/index.js';

describe('RateLimiter', () => {
  it('allows a burst, refills at the rate, bans a persistent flooder and lifts the ban', async () => {
    const clock = new ManualClock(0);
    const rl = new RateLimiter(clock, { ratePerSecond: 10, burst: 5, banAfterDrops: 3, banMs: 1_000 });
    const results = Array.from({ length: 7 }, () => rl.allow('a'));
    expect(results).toEqual([true, true, true, true, true, false, false]);
    await clock.advance(100); // +1 token
    expect(rl.allow('a')).toBe(true);
    expect(rl.allow('b')).toBe(true); // other sources unaffected
    expect([rl.allow('a'), rl.allow('a')]).toEqual([false, false]);
    expect(rl.stats.bans).toBe(0); // a success in between reset the count of drops in a row
    expect(rl.check('a')).toBe('limited'); // third drop in a row → ban
    expect(rl.stats.bans).toBe(1);
    expect(rl.isBanned('a')).toBe(true);
    await clock.advance(999);
    expect(rl.check('a')).toBe('banned');
    expect(rl.stats.banned).toBe(1);
    await clock.advance(1);
    expect(rl.isBanned('a')).toBe(false);
    expect(rl.check('a')).toBe('allowed');
    // 'b' (idle since 100 ms, longer than burst / rate = 500 ms: its bucket is full again) was forgotten.
    expect(rl.stats).toEqual({ allowed: 8, limited: 5, banned: 1, bans: 1, evicted: 0, forgotten: 1 });
  });

  it('keeps at most maxSources buckets, evicting the idlest, and rejects bad options', () => {
    const rl = new RateLimiter(new ManualClock(0), { maxSources: 100 });
    for (let i = 0; i < 10_000; i++) {
      rl.allow(`10.0.${i >> 8}.${i & 255}:1`);
      if (i % 10 === 0) rl.allow('keeps-sending'); // seen recently, so never the idlest
    }
    expect(rl.size).toBe(100);
    expect(rl.stats.evicted).toBe(10_000 + 1 - 100);
    // its 1,000 packets (200 allowed, then 400 dropped in a row) earned a ban that the churn did not flush
    expect(rl.isBanned('keeps-sending')).toBe(true);
    expect(() => new RateLimiter(new ManualClock(0), { burst: 0 })).toThrow(InvalidArgumentError);
    expect(() => new RateLimiter(new ManualClock(0), { idleMs: Number.NaN })).toThrow(InvalidArgumentError);
  });

  it('forgets idle sources, but keeps a ban until it ends', async () => {
    const clock = new ManualClock(0);
    const rl = new RateLimiter(clock, { ratePerSecond: 10, burst: 2, banAfterDrops: 2, banMs: 120_000, idleMs: 10_000 });
    for (let i = 0; i < 50; i++) rl.allow(`s${i}`);
    for (let i = 0; i < 4; i++) rl.allow('flooder'); // 2 allowed, 2 dropped → banned for 120 s
    expect(rl.isBanned('flooder')).toBe(true);
    expect(rl.size).toBe(51);
    await clock.advance(10_000);
    expect(rl.allow('late')).toBe(true); // a packet after idleMs sweeps on the way
    expect(rl.size).toBe(2); // 'flooder' (still banned) and 'late'
    expect(rl.stats.forgotten).toBe(50);
    expect(rl.isBanned('flooder')).toBe(true);
    await clock.advance(120_000);
    expect(rl.sweep()).toBe(2);
    expect(rl.size).toBe(0);
  });

  it('stays bounded under 100,000 distinct (spoofed) sources and empties once they stop', async () => {
    const clock = new ManualClock(0);
    const rl = new RateLimiter(clock); // defaults: 50,000 sources, 60 s idle
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      rl.allow(`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}:${7000 + (i % 7)}`);
      if (i % 1_000 === 999) await clock.advance(1); // 100,000 packets/s
    }
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    expect(rl.size).toBe(50_000);
    expect(rl.stats.evicted).toBe(50_000);
    expect(heapGrowthMb).toBeLessThan(64);
    await clock.advance(60_000);
    expect(rl.sweep()).toBe(50_000);
    expect(rl.size).toBe(0);
  });
});
