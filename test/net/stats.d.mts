// Types of stats.mjs, for its unit test (test/net/stats.test.ts).

/** One try of a case. */
export interface Try {
  readonly success: boolean;
  readonly ms: number | null;
  readonly path?: string | undefined;
}

/** What a case wants. */
export interface Target {
  readonly minSuccesses?: number;
  readonly maxMedianMs?: number;
}

/** A case's row. */
export interface Summary {
  readonly case: string;
  readonly successes: number;
  readonly tries: number;
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
  readonly paths: string;
  readonly target: string;
  readonly pass: boolean;
  readonly [extra: string]: unknown;
}

export function quantile(values: readonly number[], q: number): number | null;
export function pathSummary(tries: readonly Try[]): string;
export function summarize(name: string, tries: readonly Try[], target: Target, extra?: Record<string, unknown>): Summary;
export function scaledMin(of20: number, tries: number): number;
export function formatTable(summaries: readonly Summary[]): string;
export function pool<T>(count: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]>;
