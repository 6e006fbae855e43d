/**
 * Micro-benchmark of the body codec on a DHT store-like message: 20-byte key, 200-byte value,
 * u64 version, 74-byte public key, 64-byte signature. Returns numbers; printing is the runner's job.
 * @module
 */
import { decodeBody, encodeBody } from '../framework/wire/codec.js';
import { defineSchema, t } from '../framework/wire/schema.js';
import type { Infer, Schema } from '../framework/wire/schema.js';

/** Options of {@link benchWire}. */
export interface BenchWireOptions {
  /** Measuring time per case, in milliseconds (after a short warm-up). @default 1000 */
  readonly durationMs?: number;
}

/** One benchmark result. */
export interface BenchResult {
  /** Case name, e.g. `wire.encodeBody(store)`. */
  readonly name: string;
  /** Operations per second. */
  readonly opsPerSec: number;
}

const StoreLike = defineSchema({
  key: t.bytes({ length: 20 }),
  data: t.bytes({ max: 1000 }),
  version: t.u64(),
  publicKey: t.bytes({ max: 128 }),
  signature: t.bytes({ length: 64 }),
});

function sampleValue(): Infer<typeof StoreLike> {
  const fill = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
  return { key: fill(20, 1), data: fill(200, 2), version: 1_700_000_000_123n, publicKey: fill(74, 3), signature: fill(64, 4) };
}

function measure(durationMs: number, op: () => unknown): number {
  let sink: unknown;
  const warmUpEnd = performance.now() + Math.min(200, durationMs / 4);
  while (performance.now() < warmUpEnd) for (let i = 0; i < 1000; i++) sink = op();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 1000; i++) sink = op();
    ops += 1000;
    now = performance.now();
  }
  if (sink === Symbol.for('never')) throw new Error('unreachable');
  return Math.round((ops * 1000) / (now - start));
}

/**
 * Measures `encodeBody` and `decodeBody` throughput on a store-like body.
 * @example
 * ```ts
 * console.table(benchWire({ durationMs: 500 }));
 * ```
 */
export function benchWire(opts: BenchWireOptions = {}): BenchResult[] {
  const durationMs = opts.durationMs ?? 1000;
  const schema: Schema<Infer<typeof StoreLike>> = StoreLike;
  const value = sampleValue();
  const bytes = encodeBody(schema, value);
  const check = decodeBody(schema, bytes);
  if (!check.ok) throw new Error(`benchmark body does not decode: ${check.reason}`);
  return [
    { name: 'wire.encodeBody(store)', opsPerSec: measure(durationMs, () => encodeBody(schema, value)) },
    { name: 'wire.decodeBody(store)', opsPerSec: measure(durationMs, () => decodeBody(schema, bytes)) },
  ];
}
