/**
 * Shared output helpers of the scenario benchmarks: the per-operation JSON shape, quantile summaries of
 * plain samples, and CPU/wall time accounting.
 * @module
 */
import type { OperationSummary, Recorder } from '../cli/recorder.js';
import { quantile } from '../cli/recorder.js';

/** One operation in a benchmark's JSON: attempts, successes and latency percentiles (ms). */
export interface OperationStats {
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
}

/** The empty summary of an operation that was never attempted. */
export const NO_OPERATIONS: OperationStats = { total: 0, success: 0, success_rate: 1, median_ms: 0, p95_ms: 0, max_ms: 0 };

/** Strips a {@link Recorder} summary down to the benchmark JSON shape. */
export function toStats(s: OperationSummary | undefined): OperationStats {
  if (s === undefined) return NO_OPERATIONS;
  return { total: s.total, success: s.success, success_rate: s.success_rate, median_ms: s.median_ms, p95_ms: s.p95_ms, max_ms: s.max_ms };
}

/** The summary of `operation` in `rec`, in the benchmark JSON shape. */
export function statsOf(rec: Recorder, operation: string): OperationStats {
  return toStats(rec.summary().find((s) => s.operation === operation));
}

/** Median, p95 and p99 of a list of samples (nearest rank), rounded to 2 decimals. */
export interface Percentiles {
  /** Samples summarised. */
  readonly samples: number;
  /** Median. */
  readonly median: number;
  /** 95th percentile. */
  readonly p95: number;
  /** 99th percentile. */
  readonly p99: number;
  /** Largest sample. */
  readonly max: number;
}

/** Summarises `values` as {@link Percentiles}. */
export function percentiles(values: readonly number[]): Percentiles {
  const r = (v: number): number => Math.round(v * 100) / 100;
  return {
    samples: values.length,
    median: r(quantile(values, 0.5)),
    p95: r(quantile(values, 0.95)),
    p99: r(quantile(values, 0.99)),
    max: r(quantile(values, 1)),
  };
}

/** Measures process CPU seconds and wall seconds from the moment it is made. */
export class Stopwatch {
  private readonly cpu = process.cpuUsage();
  private readonly wall = performance.now();

  /** CPU seconds (user + system) used by the process since construction. */
  cpuSeconds(): number {
    const d = process.cpuUsage(this.cpu);
    return round3((d.user + d.system) / 1e6);
  }

  /** Wall-clock seconds since construction. */
  wallSeconds(): number {
    return round3((performance.now() - this.wall) / 1_000);
  }
}

/** Rounds to 3 decimals. */
export function round3(v: number): number {
  return Math.round(v * 1_000) / 1_000;
}

/** Writes a progress line to stderr (kept off stdout so the table and JSON stay clean), unless quiet. */
export function progress(quiet: boolean | undefined, line: string): void {
  if (quiet !== true) process.stderr.write(line + '\n');
}

/** A benchmark could not run as asked (bad option, nothing stored, a dependency missing). */
export class BenchError extends Error {
  /** @param message what went wrong. @param options `cause` when wrapping. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
  }
}
