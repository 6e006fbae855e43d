// Pure helpers of `npm run test:net`: statistics of a case's tries, its verdict and the printed table.

/** The q-quantile (0..1) of numbers by the nearest-rank method, or null for none. */
export function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** How many tries of each connection path, e.g. "punched 18, relayed 2", or "-" when no answer named one. */
export function pathSummary(tries) {
  const counts = new Map();
  for (const t of tries) if (t.success && t.path) counts.set(t.path, (counts.get(t.path) ?? 0) + 1);
  return counts.size === 0 ? '-' : [...counts].map(([p, n]) => `${p} ${n}`).join(', ');
}

/**
 * A case's summary from its tries (`{ success, ms, path? }`) and target.
 * A target is `{ minSuccesses }` (at least that many successes), `{ maxMedianMs }` (the successes' median
 * latency under that), or both.
 */
export function summarize(name, tries, target, extra = {}) {
  const ok = tries.filter((t) => t.success);
  const latencies = ok.map((t) => t.ms).filter((ms) => typeof ms === 'number');
  const median = quantile(latencies, 0.5);
  const p90 = quantile(latencies, 0.9);
  let pass = true;
  const wanted = [];
  if (target.minSuccesses !== undefined) {
    wanted.push(target.minSuccesses === tries.length ? `${tries.length}/${tries.length}` : `>= ${target.minSuccesses}/${tries.length}`);
    pass &&= ok.length >= target.minSuccesses;
  }
  if (target.maxMedianMs !== undefined) {
    wanted.push(`median < ${target.maxMedianMs} ms`);
    pass &&= median !== null && median < target.maxMedianMs;
  }
  if (tries.length === 0) pass = false;
  return { case: name, successes: ok.length, tries: tries.length, medianMs: median, p90Ms: p90, paths: pathSummary(tries), target: wanted.join(', '), pass, ...extra };
}

/** The successes needed for a target stated out of 20 tries, scaled to `tries` (rounded up). */
export function scaledMin(of20, tries) {
  return Math.ceil((of20 * tries) / 20);
}

/** A Markdown table of case summaries. */
export function formatTable(summaries) {
  const rows = [['case', 'ok/tries', 'median ms', 'p90 ms', 'paths', 'target', 'result']];
  for (const s of summaries) {
    rows.push([s.case, `${s.successes}/${s.tries}`, s.medianMs === null ? '-' : String(s.medianMs), s.p90Ms === null ? '-' : String(s.p90Ms), s.paths, s.target, s.pass ? 'pass' : 'FAIL']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const right = new Set([1, 2, 3]);
  const line = (r) => `| ${r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

/** Runs `fn(i)` for i in 0..count-1 with at most `limit` at once; resolves all results in order. */
export async function pool(count, limit, fn) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
