import { describe, expect, it } from 'vitest';
import { runLoopback } from '../../bench/loopback.js';
import { runSimulate } from '../../bench/simulate.js';

const OPERATION_KEYS = ['total', 'success', 'success_rate', 'median_ms', 'p95_ms', 'max_ms'];

describe('benchmarks (smoke)', () => {
  it('loopback with 8 nodes and 3 keys: every operation succeeds, JSON has the documented shape', async () => {
    const { result } = await runLoopback({ nodes: 8, keys: 3, settleMs: 100, quiet: true });
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['nodes', 'store', 'find_sequential', 'find_first', 'find_concurrent', 'find_missing', 'connect_peer', 'cpu_s', 'wall_s']),
    );
    expect(result.nodes).toBe(8);
    const expected = { store: 4, find_first: 7 * 3, find_sequential: 7 * 3, find_concurrent: 7, find_missing: 7, connect_peer: 7 };
    for (const [name, total] of Object.entries(expected)) {
      const op = result[name as keyof typeof expected];
      expect(Object.keys(op).sort(), name).toEqual([...OPERATION_KEYS].sort());
      expect(op.total, name).toBe(total);
      expect(op.success_rate, name).toBe(1);
      expect(op.median_ms, name).toBeGreaterThan(0);
      expect(op.p95_ms, name).toBeGreaterThanOrEqual(op.median_ms);
      expect(op.max_ms, name).toBeGreaterThanOrEqual(op.p95_ms);
    }
    expect(result.cpu_s).toBeGreaterThan(0);
    expect(result.wall_s).toBeGreaterThan(0);
  }, 30_000);

  it('simulate with 100 nodes and 20 lookups on simulated time: all found, hops and latency reported', async () => {
    const r = await runSimulate({ nodes: 100, lookups: 20, values: 10, seed: 7, quiet: true });
    expect(r.nodes).toBe(100);
    expect(r.store.success_rate).toBe(1);
    expect(r.lookup.total).toBe(20);
    expect(r.lookup.success_rate).toBe(1);
    expect(r.lookup.hops.samples).toBeGreaterThan(0);
    expect(r.lookup.hops.median).toBeGreaterThanOrEqual(1);
    expect(r.lookup.hops.p99).toBeGreaterThanOrEqual(r.lookup.hops.median);
    // every lookup needs at least one round trip, and RTTs are 20..200 ms of simulated time
    expect(r.lookup.latency_ms.median).toBeGreaterThanOrEqual(20);
    expect(r.lookup.latency_rtt.median).toBeCloseTo(r.lookup.latency_ms.median / 110, 1);
    // `first` returns at one storer's answer: never later than the quorum, every value still found
    expect(r.lookup_first.total).toBe(20);
    expect(r.lookup_first.success_rate).toBe(1);
    expect(r.lookup_first.latency_ms.median).toBeGreaterThanOrEqual(20);
    expect(r.lookup_first.latency_ms.median).toBeLessThanOrEqual(r.lookup.latency_ms.median);
    expect(r.lookup_first.queries.samples).toBeGreaterThan(0);
    expect(r.lookup.messages_per_lookup).toBeGreaterThan(0);
    expect(r.lookup.bytes).toBeGreaterThan(0);
    expect(r.bytes_total).toBeGreaterThanOrEqual(r.lookup.bytes);
    expect(r.memory_per_node_bytes).toBeGreaterThan(0);
    expect(r.churn).toBeNull();
    expect(r.wall_s).toBeGreaterThan(0);
    expect([r.latency, r.wide_buckets]).toEqual(['per-packet', 0]);
  }, 30_000);

  it('simulate with per-node latency, wide buckets and proximity routing: every value found, the options reported', async () => {
    const r = await runSimulate({ nodes: 100, lookups: 20, values: 10, seed: 7, quiet: true, latency: 'per-node', wideBuckets: 2, rttSlackBits: 0 });
    expect([r.latency, r.wide_buckets]).toEqual(['per-node', 2]);
    expect(r.lookup.success_rate).toBe(1);
    expect(r.lookup_first.success_rate).toBe(1);
    expect(r.lookup.latency_ms.median).toBeGreaterThanOrEqual(20);
  }, 30_000);
});
