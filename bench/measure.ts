/**
 * Shared helpers for benchmarks: a time-boxed rate measurement and a plain-text table printer.
 * @module
 */

/** Runs `op` repeatedly for about `durationMs` (after a short warm-up) and returns operations per second. */
export function measureRate(durationMs: number, op: () => unknown): number {
  const warmUpEnd = performance.now() + Math.min(50, durationMs / 10);
  while (performance.now() < warmUpEnd) op();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 32; i++) op();
    ops += 32;
    now = performance.now();
  }
  return Math.round((ops * 1_000) / (now - start));
}

/** Formats rows of objects as an aligned text table with the given columns. */
export function table<R extends object>(rows: readonly R[], columns: ReadonlyArray<keyof R & string>): string {
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function formatCell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2);
  return String(v ?? '');
}
