import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SeededRandom } from '../../../framework/index.js';
import { Backoff, maxAttemptsWithin, nominalDelayMs } from '../../../framework/time/backoff.js';

const OPTIONS = { firstDelayMs: 500, factor: 2, maxDelayMs: 4_000, jitter: 0.2 };

describe('Backoff', () => {
  it('grows by the factor up to the cap, each delay within ± jitter of its nominal value', () => {
    expect([0, 1, 2, 3, 4, 10].map((i) => nominalDelayMs(OPTIONS, i))).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    const backoff = new Backoff(new SeededRandom(1), OPTIONS);
    const delays = Array.from({ length: 200 }, () => backoff.next());
    expect(backoff.retries).toBe(200);
    delays.forEach((d, i) => {
      const nominal = nominalDelayMs(OPTIONS, i);
      expect(d).toBeGreaterThanOrEqual(Math.round(nominal * 0.8));
      expect(d).toBeLessThanOrEqual(Math.round(nominal * 1.2));
    });
    // The jitter is drawn: not every capped delay is the same.
    expect(new Set(delays.slice(4)).size).toBeGreaterThan(50);
    backoff.reset();
    expect(backoff.retries).toBe(0);
    const first = backoff.next();
    expect(first).toBeGreaterThanOrEqual(400);
    expect(first).toBeLessThanOrEqual(600);
  });

  it('is deterministic for a seed and draws from the injected random only', () => {
    const a = new Backoff(new SeededRandom(7), OPTIONS);
    const b = new Backoff(new SeededRandom(7), OPTIONS);
    expect(Array.from({ length: 10 }, () => a.next())).toEqual(Array.from({ length: 10 }, () => b.next()));
    const fixed = new Backoff({ float: () => 0.5 }, OPTIONS);
    expect([fixed.next(), fixed.next(), fixed.next()]).toEqual([500, 1_000, 2_000]);
  });

  it('maxAttemptsWithin counts the attempts the shortest delays fit in a window', () => {
    // Shortest delays 400, 800, 1600, 3200, 3200 ...: attempts at 0, 400, 1200, 2800, 6000, 9200 (less rounding).
    expect(maxAttemptsWithin(OPTIONS, 0)).toBe(1);
    expect(maxAttemptsWithin(OPTIONS, 1_200)).toBe(3);
    expect(maxAttemptsWithin(OPTIONS, 10_000)).toBe(6);
    expect(maxAttemptsWithin(OPTIONS, 10_000, 4)).toBe(4);
  });

  it('refuses options that make no schedule', () => {
    const random = new SeededRandom(1);
    expect(() => new Backoff(random, { ...OPTIONS, firstDelayMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => new Backoff(random, { ...OPTIONS, maxDelayMs: 100 })).toThrow(/maxDelayMs/);
    expect(() => new Backoff(random, { ...OPTIONS, factor: 0.5 })).toThrow(/factor/);
    expect(() => new Backoff(random, { ...OPTIONS, jitter: 1 })).toThrow(/jitter/);
    expect(() => new Backoff(random, { ...OPTIONS, firstDelayMs: Number.NaN })).toThrow(InvalidArgumentError);
  });
});
