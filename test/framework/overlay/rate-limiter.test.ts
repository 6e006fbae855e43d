import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ManualClock, RateLimiter, SeededRandom } from '../../../framework/index.js';
import type { RateVerdict } from '../../../framework/index.js';

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

/** The limiter's rules written plainly: one bucket per source for ever (nothing forgotten or evicted). */
class KeepingLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number; drops: number; bannedUntil: number }>();
  constructor(
    private readonly now: () => number,
    private readonly rate: number,
    private readonly burst: number,
    private readonly banAfterDrops: number,
    private readonly banMs: number,
  ) {}
  check(source: string): RateVerdict {
    const now = this.now();
    let b = this.buckets.get(source);
    if (b === undefined) this.buckets.set(source, (b = { tokens: this.burst, updated: now, drops: 0, bannedUntil: 0 }));
    if (b.bannedUntil > now) return 'banned';
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.updated) * this.rate) / 1_000);
    b.updated = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.drops = 0;
      return 'allowed';
    }
    if (++b.drops >= this.banAfterDrops) {
      b.bannedUntil = now + this.banMs;
      b.drops = 0;
    }
    return 'limited';
  }
}

describe('RateLimiter forgets full buckets early', () => {
  it('a source whose bucket is full again is forgotten at the next sweep, before idleMs; a partly drained or banned one is kept', async () => {
    const clock = new ManualClock(0);
    const rl = new RateLimiter(clock, { ratePerSecond: 10, burst: 10, banAfterDrops: 2, banMs: 60_000, idleMs: 60_000 });
    rl.allow('one'); // 9 tokens: full again after 100 ms
    for (let i = 0; i < 10; i++) rl.allow('drained'); // 0 tokens: full again after 1 s
    for (let i = 0; i < 12; i++) rl.allow('banned'); // 2 drops in a row: banned for 60 s
    await clock.advance(500);
    expect(rl.sweep()).toBe(1); // 'one' is full again; 'drained' is half full
    await clock.advance(500);
    expect(rl.sweep()).toBe(1); // 'drained' is full again, long before idleMs
    expect(rl.size).toBe(1);
    expect(rl.isBanned('banned')).toBe(true);
    await clock.advance(60_000); // the next sweep (every idleMs / 4) comes with the next packet
    expect(rl.allow('late')).toBe(true);
    expect(rl.size).toBe(1); // 'late' only: the ban ended
    expect(rl.stats.forgotten).toBe(3);
  });

  it('decides exactly as a limiter that keeps every bucket, over 3 x 6,000 random packets (bursts, drops, bans)', async () => {
    for (const seed of [1, 2, 3]) {
      const random = new SeededRandom(seed);
      const clock = new ManualClock(0);
      const rl = new RateLimiter(clock, { ratePerSecond: 20, burst: 6, banAfterDrops: 5, banMs: 2_000 }); // idle 300 ms, sweeps every 75 ms
      const keeping = new KeepingLimiter(() => clock.now(), 20, 6, 5, 2_000);
      const counts: Record<RateVerdict, number> = { allowed: 0, limited: 0, banned: 0 };
      let before = 0;
      let forgotten = 0;
      for (let step = 0; step < 6_000; step++) {
        const source = `s${random.int(10)}`;
        for (let n = random.int(4) === 0 ? 1 + random.int(12) : 1; n > 0; n--) {
          const verdict = rl.check(source);
          expect(verdict).toBe(keeping.check(source));
          counts[verdict]++;
        }
        if (random.int(3) === 0) await clock.advance([1, 10, 40, 80, 200, 1_000][random.int(6)]!);
        if (rl.size < before) forgotten += before - rl.size;
        before = rl.size;
      }
      expect(counts.limited).toBeGreaterThan(100);
      expect(counts.banned).toBeGreaterThan(100);
      expect(forgotten).toBeGreaterThan(500); // ... and buckets were forgotten all along
    }
  });
});
