/**
 * Records operation outcomes and latencies and summarises them (success rate, percentiles, hops), for the
 * demo's table and the benchmarks' JSON.
 * @module
 */

/** Summary of one kind of operation. */
export interface OperationSummary {
  /** Operation name. */
  readonly operation: string;
  /** Attempts. */
  readonly total: number;
  /** Successful attempts. */
  readonly success: number;
  /** success / total (1 when total is 0). */
  readonly success_rate: number;
  /** Median latency of all attempts, ms. */
  readonly median_ms: number;
  /** 95th percentile latency, ms. */
  readonly p95_ms: number;
  /** Worst latency, ms. */
  readonly max_ms: number;
  /** Median lookup hops, when recorded. */
  readonly hops_median: number | null;
}

/** The `q` quantile (0..1) of `values` by nearest rank; 0 for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** Collects outcomes per operation name. */
export class Recorder {
  private readonly ops = new Map<string, { ms: number[]; ok: number; hops: number[] }>();

  /** Records one attempt. */
  record(operation: string, ms: number, ok: boolean, hops?: number): void {
    const entry = this.ops.get(operation) ?? { ms: [], ok: 0, hops: [] };
    entry.ms.push(ms);
    if (ok) entry.ok++;
    if (hops !== undefined) entry.hops.push(hops);
    this.ops.set(operation, entry);
  }

  /** Times `run` and records its outcome (a thrown error or a false result is a failure). */
  async time<T>(operation: string, run: () => Promise<T>, ok: (value: T) => boolean = () => true, hops?: (value: T) => number | undefined): Promise<T | undefined> {
    const started = performance.now();
    try {
      const value = await run();
      this.record(operation, performance.now() - started, ok(value), hops?.(value));
      return value;
    } catch {
      this.record(operation, performance.now() - started, false);
      return undefined;
    }
  }

  /** One summary per operation, in first-recorded order. */
  summary(): OperationSummary[] {
    return [...this.ops.entries()].map(([operation, e]) => ({
      operation,
      total: e.ms.length,
      success: e.ok,
      success_rate: e.ms.length === 0 ? 1 : e.ok / e.ms.length,
      median_ms: round(quantile(e.ms, 0.5)),
      p95_ms: round(quantile(e.ms, 0.95)),
      max_ms: round(quantile(e.ms, 1)),
      hops_median: e.hops.length === 0 ? null : quantile(e.hops, 0.5),
    }));
  }

  /** True when every recorded attempt succeeded (and at least one was recorded). */
  allSucceeded(): boolean {
    const s = this.summary();
    return s.length > 0 && s.every((o) => o.success === o.total);
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
