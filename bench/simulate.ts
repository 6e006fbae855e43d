/**
 * `npm run bench -- simulate`: a large DHT on the in-memory network and simulated time. Builds N nodes,
 * stores signed values, runs L lookups from random nodes and reports success, hops, simulated latency,
 * messages, bytes, memory and wall time; optionally replaces nodes at a churn rate for some simulated
 * hours (republishing and replication on) and reports how many values are still found.
 * @module
 */
import type { LatencyModel } from '../framework/index.js';
import { equalBytes, utf8 } from '../framework/index.js';
import type { DHTCommunity, DHTSettings } from '../communities/dht/index.js';
import type { Percentiles } from './report.js';
import { BenchError, Stopwatch, percentiles, progress, round3 } from './report.js';
import { SETTLE_FOREVER_MS, SimDht } from './sim-net.js';
import { runChurn } from './sim-churn.js';
import type { ChurnResult } from './sim-churn.js';

/** Options of {@link runSimulate}. */
export interface SimulateOptions {
  /** Nodes. @default 1_000 */
  nodes?: number;
  /** Lookups of stored values from random nodes. @default 1_000 */
  lookups?: number;
  /** Signed values stored (by random nodes) before the lookups. @default min(100, nodes) */
  values?: number;
  /** Round-trip time range in ms. @default [20, 200] */
  rttMs?: readonly [number, number];
  /** Fraction of nodes replaced per simulated hour; 0 = no churn phase. @default 0 */
  churn?: number;
  /** Simulated hours of churn. @default 4 */
  hours?: number;
  /** Seed of every random draw. @default 1 */
  seed?: number;
  /** Wide far buckets in every node's routing table (the DHT setting `wideBuckets`). @default 0 */
  wideBuckets?: number;
  /** Every node's DHT setting `rttSlackBits` (proximity routing; -1 turns it off). @default the DHT's default */
  rttSlackBits?: number;
  /** The simulator's latency model (see `SimulationOptions.latency`). @default 'per-packet' */
  latency?: LatencyModel;
  /** Joins (and lookups) in flight at once. @default 32 */
  concurrency?: number;
  /** No progress lines on stderr. @default false */
  quiet?: boolean;
}

/** Network traffic of one phase, from the {@link MemoryNetwork} counters. */
export interface Traffic {
  /** Packets sent. */
  readonly messages: number;
  /** Bytes delivered. */
  readonly bytes: number;
}

/** JSON result of the simulation benchmark. */
export interface SimulateResult {
  /** Nodes built. */
  readonly nodes: number;
  /** Round-trip range in ms. */
  readonly rtt_ms: readonly [number, number];
  /** The latency model: per-packet draws, or a fixed delay per node (see `SimulationOptions.latency`). */
  readonly latency: LatencyModel;
  /** Wide far buckets of every node's routing table (the DHT setting `wideBuckets`). */
  readonly wide_buckets: number;
  /** The seed. */
  readonly seed: number;
  /** Building the network: wall and simulated seconds, traffic. */
  readonly build: { readonly wall_s: number; readonly sim_s: number } & Traffic;
  /** Storing the values: attempts, successes, traffic. */
  readonly store: { readonly total: number; readonly success: number; readonly success_rate: number } & Traffic;
  /** The lookups of stored values (default `findValues`: returns at the quorum). */
  readonly lookup: LookupPhase;
  /**
   * The same number of lookups with `findValues(key, { first: true })`: returns at the first plausible
   * storer's answer. `lookup` finds the even-numbered values, `lookup_first` the odd ones.
   */
  readonly lookup_first: LookupPhase;
  /** Bytes delivered by the network in all phases. */
  readonly bytes_total: number;
  /** (heapUsed after building − before) / nodes, after a full GC when `--expose-gc` is on. */
  readonly memory_per_node_bytes: number;
  /** Same with off-heap memory (`external`: array buffers, native key objects) added. */
  readonly memory_per_node_with_external_bytes: number;
  /** True when memory was measured after forced GCs. */
  readonly memory_after_gc: boolean;
  /** The churn phase, when `churn > 0`. */
  readonly churn: ChurnResult | null;
  /** Process CPU seconds. */
  readonly cpu_s: number;
  /** Wall seconds. */
  readonly wall_s: number;
}

/** What one lookup phase measured. */
export interface LookupPhase extends Traffic {
  /** Lookups run. */
  readonly total: number;
  /** Lookups that found the stored value. */
  readonly success: number;
  /** `success / total`. */
  readonly success_rate: number;
  /** Hops to the first node holding the value (seeds are hop 1). */
  readonly hops: Percentiles;
  /** Simulated time from `findValues` to its result, ms. */
  readonly latency_ms: Percentiles;
  /** The same in mean round trips (latency / the mean RTT of the model, `(A + B) / 2`). */
  readonly latency_rtt: Percentiles;
  /** Find queries sent by each lookup (paging included, caching stores not). */
  readonly queries: Percentiles;
  /** Every packet on the network during the lookup phase / lookups (responses, caching stores and any maintenance included). */
  readonly messages_per_lookup: number;
  /** Bytes delivered during the lookup phase / lookups. */
  readonly bytes_per_lookup: number;
  /** Packets sent per lookup during the lookup phase, by message name (all nodes, all communities). */
  readonly messages_by_type: Readonly<Record<string, number>>;
  /** Wall seconds of the lookup phase. */
  readonly wall_s: number;
  /** Simulated seconds of the lookup phase. */
  readonly sim_s: number;
}

/** A value stored during the simulation. */
export interface StoredValue {
  /** Key string. */
  readonly key: string;
  /** Data stored. */
  readonly data: Uint8Array;
  /** The publisher's DHT. */
  readonly publisher: DHTCommunity;
}

/**
 * Runs the simulation benchmark.
 * @example
 * ```ts
 * const result = await runSimulate({ nodes: 1_000, lookups: 1_000, rttMs: [20, 200] });
 * console.log(result.lookup.success_rate, result.lookup.hops.median);
 * ```
 */
export async function runSimulate(options: SimulateOptions = {}): Promise<SimulateResult> {
  const n = Math.max(2, options.nodes ?? 1_000);
  const lookups = Math.max(0, options.lookups ?? 1_000);
  const valueCount = Math.max(1, options.values ?? Math.min(100, n));
  const rtt = options.rttMs ?? [20, 200];
  const seed = options.seed ?? 1;
  const concurrency = options.concurrency ?? 32;
  const say = (line: string): void => progress(options.quiet, line);
  const watch = new Stopwatch();
  const wideBuckets = options.wideBuckets ?? 0;
  const latency = options.latency ?? 'per-packet';
  const settings: DHTSettings = {};
  if (wideBuckets > 0) settings.wideBuckets = wideBuckets;
  if (options.rttSlackBits !== undefined) settings.rttSlackBits = options.rttSlackBits;
  const sim = new SimDht({ seed, rttMs: rtt, latency, settings });
  const net = sim.network.stats;
  const traffic = (since: Traffic): Traffic => ({ messages: net.sent - since.messages, bytes: net.bytes - since.bytes });
  const snapshot = (): Traffic => ({ messages: net.sent, bytes: net.bytes });

  const memBefore = memory();
  const simStart = sim.clock.now();
  const buildStart = snapshot();
  const buildWatch = new Stopwatch();
  const step = Math.max(1, Math.ceil(n / 10));
  say(`simulate: building ${n} nodes (RTT ${rtt[0]}..${rtt[1]} ms, ${concurrency} joins at once)`);
  await sim.grow(n, concurrency, (size) => {
    if (size % step === 0) say(`simulate: ${size}/${n} joined, ${buildWatch.wallSeconds().toFixed(1)} s`);
  });
  const build = { wall_s: buildWatch.wallSeconds(), sim_s: round3((sim.clock.now() - simStart) / 1_000), ...traffic(buildStart) };
  const memAfter = memory();

  say(`simulate: storing ${valueCount} signed values`);
  const storeStart = snapshot();
  const values: StoredValue[] = [];
  let stored = 0;
  await pool(sim, valueCount, concurrency, async (i) => {
    const publisher = sim.pick().dht;
    const value = { key: `sim/${seed}/value-${i}`, data: utf8(`value ${i}`), publisher };
    const acks = await publisher.storeValue(value.key, value.data, { sign: true }).catch(() => 0);
    if (acks === 0) return;
    stored++;
    values.push(value);
  });
  const store = { total: valueCount, success: stored, success_rate: stored / valueCount, ...traffic(storeStart) };

  if (values.length === 0) throw new BenchError('simulate: no value could be stored');
  say(`simulate: ${lookups} lookups (findValues), then ${lookups} with { first: true }`);
  const meanRtt = (rtt[0] + rtt[1]) / 2;
  // Each mode finds its own half of the keys, so neither meets caches the other's finds left on the way.
  const half = (parity: number): StoredValue[] => (values.length < 2 ? values : values.filter((_, i) => i % 2 === parity));
  const lookup = await measureLookups(sim, half(0), lookups, concurrency, false, meanRtt);
  const lookupFirst = await measureLookups(sim, half(1), lookups, concurrency, true, meanRtt);

  let churn: ChurnResult | null = null;
  if ((options.churn ?? 0) > 0) {
    churn = await runChurn(sim, values, { rate: options.churn!, hours: options.hours ?? 4, concurrency, say });
  }
  const bytesTotal = net.bytes;
  await sim.stop();
  return {
    nodes: n,
    rtt_ms: rtt,
    latency,
    wide_buckets: wideBuckets,
    seed,
    build,
    store,
    lookup,
    lookup_first: lookupFirst,
    bytes_total: bytesTotal,
    memory_per_node_bytes: Math.round((memAfter.heap - memBefore.heap) / n),
    memory_per_node_with_external_bytes: Math.round((memAfter.heap + memAfter.external - memBefore.heap - memBefore.external) / n),
    memory_after_gc: memAfter.gc,
    churn,
    cpu_s: watch.cpuSeconds(),
    wall_s: watch.wallSeconds(),
  };
}

/**
 * Runs `lookups` finds of the stored values from random nodes (never the publisher, never a node with a
 * find of this phase still running, its background lookup included) and measures them. With `first`, the
 * finds return at the first plausible storer's answer; queries and hops are counted when the background
 * lookup has ended too (or after 10 simulated seconds).
 */
async function measureLookups(sim: SimDht, values: readonly StoredValue[], lookups: number, concurrency: number, first: boolean, meanRtt: number): Promise<LookupPhase> {
  const net = sim.network.stats;
  const start = { messages: net.sent, bytes: net.bytes };
  const sentBefore = sentByType(sim);
  const watch = new Stopwatch();
  const simStart = sim.clock.now();
  const hops: number[] = [];
  const latency: number[] = [];
  const queries: number[] = [];
  let found = 0;
  const busy = new Set<DHTCommunity>();
  await pool(sim, lookups, concurrency, async (i) => {
    const value = values[i % values.length]!;
    let finder = sim.pick().dht;
    while (busy.has(finder) || finder === value.publisher) finder = sim.pick().dht;
    busy.add(finder);
    const s = finder.statistics;
    const before = { lookups: s.lookups, hops: s.hopsTotal, queries: s.queries, at: sim.clock.now() };
    let quorum: Promise<void> = Promise.resolve();
    let options = {};
    if (first) {
      let done = (): void => undefined;
      quorum = new Promise<void>((resolve) => (done = resolve));
      const timer = sim.clock.setTimeout(done, 10_000);
      options = { first: true, onQuorum: () => { sim.clock.clear(timer); done(); } };
    }
    const result = await finder.findValues(value.key, { cache: false, ...options }).catch(() => []);
    latency.push(sim.clock.now() - before.at);
    if (result.some((v) => equalBytes(v.data, value.data))) found++;
    await quorum;
    if (s.lookups - before.lookups === 1) {
      hops.push(s.hopsTotal - before.hops);
      queries.push(s.queries - before.queries);
    }
    busy.delete(finder);
  });
  const traffic = { messages: net.sent - start.messages, bytes: net.bytes - start.bytes };
  return {
    total: lookups,
    success: found,
    success_rate: lookups === 0 ? 1 : found / lookups,
    hops: percentiles(hops),
    latency_ms: percentiles(latency),
    latency_rtt: percentiles(latency.map((ms) => round3(ms / meanRtt))),
    queries: percentiles(queries),
    messages_per_lookup: lookups === 0 ? 0 : round3(traffic.messages / lookups),
    bytes_per_lookup: lookups === 0 ? 0 : Math.round(traffic.bytes / lookups),
    messages_by_type: perLookup(sentBefore, sentByType(sim), lookups),
    wall_s: watch.wallSeconds(),
    sim_s: round3((sim.clock.now() - simStart) / 1_000),
    ...traffic,
  };
}

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight while advancing the simulation's clock
 * until every task has finished.
 */
export async function pool(sim: SimDht, count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker);
  await sim.clock.settle(Promise.all(workers), SETTLE_FOREVER_MS);
}

/** Packets sent by every live node, by message name. */
function sentByType(sim: SimDht): Map<string, number> {
  const out = new Map<string, number>();
  for (const { host } of sim.live) {
    for (const c of host.communities()) for (const [name, n] of Object.entries(c.stats.sent)) out.set(name, (out.get(name) ?? 0) + n);
  }
  return out;
}

function perLookup(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, lookups: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0);
    if (d > 0 && lookups > 0) out[name] = round3(d / lookups);
  }
  return out;
}

function memory(): { heap: number; external: number; gc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, gc: gc !== undefined };
}
