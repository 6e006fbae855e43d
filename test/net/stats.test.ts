import { describe, expect, it } from 'vitest';
import { formatTable, pathSummary, pool, quantile, scaledMin, summarize } from './stats.mjs';

describe('test:net statistics', () => {
  it('takes nearest-rank quantiles', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([30, 10, 20], 0.5)).toBe(20);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(quantile([7], 0.9)).toBe(7);
  });

  it('judges a case against its targets, counting only successes for latency', () => {
    const tries = [
      { success: true, ms: 100, path: 'punched' },
      { success: true, ms: 200, path: 'relayed' },
      { success: true, ms: 150, path: 'punched' },
      { success: false, ms: 9_000 },
    ];
    const s = summarize('x', tries, { minSuccesses: 3, maxMedianMs: 300 });
    expect(s).toMatchObject({ successes: 3, tries: 4, medianMs: 150, p90Ms: 200, paths: 'punched 2, relayed 1', pass: true, target: '>= 3/4, median < 300 ms' });
    expect(summarize('x', tries, { minSuccesses: 4 }).pass).toBe(false);
    expect(summarize('x', tries, { maxMedianMs: 150 }).pass).toBe(false);
    expect(summarize('x', [], { minSuccesses: 0 }).pass).toBe(false);
    expect(pathSummary([{ success: true, ms: 1 }])).toBe('-');
  });

  it('scales a target out of 20 to fewer tries, rounding up', () => {
    expect(scaledMin(19, 20)).toBe(19);
    expect(scaledMin(19, 5)).toBe(5);
    expect(scaledMin(18, 10)).toBe(9);
  });

  it('prints an aligned Markdown table', () => {
    const table = formatTable([summarize('cone-cone-0', [{ success: true, ms: 104 }], { minSuccesses: 1 }), summarize('sym-sym', [{ success: false, ms: null }], { minSuccesses: 1 })]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toContain('| cone-cone-0 |      1/1 |       104 |');
    expect(lines[3]).toMatch(/\| FAIL +\|$/);
  });

  it('runs at most `limit` at once and keeps the order', async () => {
    let running = 0;
    let most = 0;
    const out = await pool(7, 3, async (i) => {
      running++;
      most = Math.max(most, running);
      await Promise.resolve();
      await Promise.resolve();
      running--;
      return i * 2;
    });
    expect(out).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(most).toBe(3);
  });
});
