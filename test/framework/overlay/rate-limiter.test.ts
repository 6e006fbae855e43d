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
    expect(rl.allow('a')).toBe(false); // third drop in a row → ban
    expect(rl.stats.bans).toBe(1);
    expect(rl.isBanned('a')).toBe(true);
    await clock.advance(999);
    expect(rl.allow('a')).toBe(false);
    expect(rl.stats.banned).toBe(1);
    await clock.advance(1);
    expect(rl.isBanned('a')).toBe(false);
    expect(rl.allow('a')).toBe(true);
    expect(rl.stats).toEqual({ allowed: 8, limited: 5, banned: 1, bans: 1 });
  });

  it('keeps at most maxSources buckets and rejects bad options', () => {
    const rl = new RateLimiter(new ManualClock(0), { maxSources: 100 });
    for (let i = 0; i < 10_000; i++) rl.allow(`10.0.${i >> 8}.${i & 255}:1`);
    expect(rl.size).toBe(100);
    expect(() => new RateLimiter(new ManualClock(0), { burst: 0 })).toThrow(InvalidArgumentError);
  });
});
