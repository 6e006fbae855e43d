/**
 * The command-line side of each benchmark: parse its options, run it, print a human table to stdout,
 * and return the JSON result.
 * @module
 */
import { renderTable } from '../cli/demo.js';
import { table } from './measure.js';
import { runMicro } from './micro.js';
import type { MicroResult } from './micro.js';
import { LOOPBACK_OPERATIONS, runLoopback } from './loopback.js';
import type { LoopbackResult } from './loopback.js';
import { runSimulate } from './simulate.js';
import type { LookupPhase, SimulateResult } from './simulate.js';
import { runLibp2pComparison } from './libp2p-compare.js';
import type { ComparisonResult } from './libp2p-compare.js';
import { BenchError } from './report.js';
import type { LatencyModel } from '../framework/index.js';

/** Parsed command-line options (all strings, as typed). */
export interface BenchArgs {
  /** `micro`: ms per measurement. */
  readonly duration?: string | undefined;
  /** Nodes (loopback, simulate, libp2p). */
  readonly nodes?: string | undefined;
  /** Values stored by node 0 (loopback, libp2p). */
  readonly keys?: string | undefined;
  /** `loopback`: rounds of finds (round 1 is `find_first`). */
  readonly rounds?: string | undefined;
  /** `loopback`: quiet ms before measuring. */
  readonly settle?: string | undefined;
  /** `simulate`: lookups. */
  readonly lookups?: string | undefined;
  /** `simulate`: values stored. */
  readonly values?: string | undefined;
  /** `simulate`: round-trip range `A..B` in ms. */
  readonly 'rtt-ms'?: string | undefined;
  /** `simulate`: fraction of nodes replaced per simulated hour. */
  readonly churn?: string | undefined;
  /** `simulate`: simulated hours of churn. */
  readonly hours?: string | undefined;
  /** `simulate`: wide far buckets of every node's routing table (the DHT setting `wideBuckets`). */
  readonly wide?: string | undefined;
  /** `simulate`: the DHT setting `rttSlackBits` (-1: nearest first). */
  readonly 'rtt-slack'?: string | undefined;
  /** `simulate`: latency model, `per-packet` (default) or `per-node`. */
  readonly latency?: string | undefined;
  /** `simulate`: random seed. */
  readonly seed?: string | undefined;
  /** `libp2p`: gets per system. */
  readonly gets?: string | undefined;
  /** No progress lines on stderr. */
  readonly quiet?: boolean | undefined;
}

/** `micro`: crypto and wire throughput, plus the native/noble ratio. */
export async function benchMicro(args: BenchArgs): Promise<{ benchmark: 'micro'; durationMs: number; results: MicroResult[]; ratios: { sign: number; verify: number } }> {
  const durationMs = num(args.duration, 'duration') ?? 300;
  const rows = await runMicro(durationMs);
  console.log(table(rows, ['name', 'backend', 'opsPerSec']));
  const rate = (name: string, backend: string) => rows.find((r) => r.name === name && r.backend === backend)?.opsPerSec ?? 0;
  const ratios = { sign: rate('sign', 'node') / rate('sign', 'noble'), verify: rate('verify', 'node') / rate('verify', 'noble') };
  console.log(`\nnode:crypto / noble: sign ${ratios.sign.toFixed(1)}x, verify ${ratios.verify.toFixed(1)}x\n`);
  return { benchmark: 'micro', durationMs, results: rows, ratios };
}

/** `loopback`: real UDP on 127.0.0.1. */
export async function benchLoopback(args: BenchArgs): Promise<LoopbackResult> {
  const { result, recorder } = await runLoopback({
    nodes: num(args.nodes, 'nodes'),
    keys: num(args.keys, 'keys'),
    rounds: num(args.rounds, 'rounds'),
    settleMs: num(args.settle, 'settle'),
    quiet: args.quiet,
  });
  const rows = recorder.summary().sort((a, b) => order(a.operation) - order(b.operation));
  console.log(`loopback: ${result.nodes} nodes, 127.0.0.1 UDP, one process (join ${result.join_s} s, cpu ${result.cpu_s} s, wall ${result.wall_s} s)\n`);
  console.log(renderTable(rows) + '\n');
  const cpu = Object.entries(result.cpu_ms_per_op).map(([op, ms]) => `${op} ${ms}`).join(', ');
  console.log(`process CPU ms per operation: ${cpu}\n1-minute load average at the end: ${result.load_average} (2 cores)\n`);
  const failed = Object.entries(result.failures).map(([what, n]) => `${what} x${n}`);
  if (failed.length > 0) console.log(`failures: ${failed.join(', ')}\n`);
  return result;
}

/** `simulate`: the in-memory network on simulated time. */
export async function benchSimulate(args: BenchArgs): Promise<SimulateResult> {
  const r = await runSimulate({
    nodes: num(args.nodes, 'nodes'),
    lookups: num(args.lookups, 'lookups'),
    values: num(args.values, 'values'),
    rttMs: range(args['rtt-ms']),
    churn: num(args.churn, 'churn'),
    hours: num(args.hours, 'hours'),
    seed: num(args.seed, 'seed'),
    wideBuckets: num(args.wide, 'wide'),
    rttSlackBits: num(args['rtt-slack'], 'rtt-slack'),
    latency: latencyModel(args.latency),
    quiet: args.quiet,
  });
  const rows = [
    { metric: 'nodes / RTT ms', value: `${r.nodes} / ${r.rtt_ms[0]}..${r.rtt_ms[1]}` },
    { metric: 'build wall s / simulated s', value: `${r.build.wall_s} / ${r.build.sim_s}` },
    { metric: 'stores ok', value: `${r.store.success}/${r.store.total}` },
    ...lookupRows('', r.lookup),
    ...lookupRows('first: ', r.lookup_first),
    { metric: 'bytes on the wire (all phases)', value: r.bytes_total.toLocaleString('en-US') },
    { metric: `memory per node (heap${r.memory_after_gc ? ', after GC' : ', no GC'})`, value: `${r.memory_per_node_bytes.toLocaleString('en-US')} B` },
    { metric: 'memory per node (heap + external)', value: `${r.memory_per_node_with_external_bytes.toLocaleString('en-US')} B` },
  ];
  if (r.churn !== null) {
    const c = r.churn;
    rows.push({ metric: `churn ${c.rate_per_hour * 100}%/h x ${c.hours} h: replaced`, value: String(c.replaced) });
    rows.push({ metric: 'values found after churn', value: `${c.found}/${c.values} (${(c.found_fraction * 100).toFixed(1)}%)` });
    rows.push({ metric: 'churn phase packets / wall s', value: `${c.messages.toLocaleString('en-US')} / ${c.wall_s}` });
  }
  rows.push({ metric: 'cpu s / wall s', value: `${r.cpu_s} / ${r.wall_s}` });
  console.log(table(rows, ['metric', 'value']) + '\n');
  return r;
}

/** Table rows of one lookup phase of `simulate`. */
function lookupRows(prefix: string, l: LookupPhase): Array<{ metric: string; value: string }> {
  const p = (x: { median: number; p95: number; p99: number }): string => `${x.median} / ${x.p95} / ${x.p99}`;
  return [
    { metric: `${prefix}lookups ok`, value: `${l.success}/${l.total} (${(l.success_rate * 100).toFixed(2)}%)` },
    { metric: `${prefix}hops median / p95 / p99`, value: p(l.hops) },
    { metric: `${prefix}latency ms median / p95 / p99 (sim)`, value: p(l.latency_ms) },
    { metric: `${prefix}latency in mean RTTs median / p95 / p99`, value: p(l.latency_rtt) },
    { metric: `${prefix}queries per lookup median / p95`, value: `${l.queries.median} / ${l.queries.p95}` },
    { metric: `${prefix}packets / bytes per lookup`, value: `${l.messages_per_lookup} / ${l.bytes_per_lookup}` },
    { metric: '  by message', value: Object.entries(l.messages_by_type).map(([k, v]) => `${k} ${v}`).join(', ') },
    { metric: `${prefix}lookup phase wall s`, value: String(l.wall_s) },
  ];
}

/** `libp2p`: js-libp2p kad-dht and Peerlay, same scenario, same run. */
export async function benchLibp2p(args: BenchArgs): Promise<ComparisonResult> {
  const r = await runLibp2pComparison({ nodes: num(args.nodes, 'nodes'), keys: num(args.keys, 'keys'), gets: num(args.gets, 'gets'), quiet: args.quiet });
  const rows = [r.peerlay, r.libp2p].flatMap((s) =>
    s === null
      ? []
      : (['put', 'get'] as const).map((op) => ({ system: s.system, operation: op, 'ok/total': `${s[op].success}/${s[op].total}`, median_ms: s[op].median_ms, p95_ms: s[op].p95_ms, max_ms: s[op].max_ms })),
  );
  console.log(`put/get on 127.0.0.1, ${r.nodes} nodes each, one process\n`);
  console.log(table(rows, ['system', 'operation', 'ok/total', 'median_ms', 'p95_ms', 'max_ms']));
  if (r.libp2p_error !== null) console.log(`\nlibp2p failed: ${r.libp2p_error}`);
  if (r.get_median_ratio !== null) console.log(`\nget median: libp2p / peerlay = ${r.get_median_ratio.toFixed(1)}x\n`);
  return r;
}

function order(operation: string): number {
  const i = (LOOPBACK_OPERATIONS as readonly string[]).indexOf(operation);
  return i < 0 ? LOOPBACK_OPERATIONS.length : i;
}

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new BenchError(`--${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

function latencyModel(value: string | undefined): LatencyModel | undefined {
  if (value === undefined || value === 'per-packet' || value === 'per-node') return value;
  throw new BenchError(`--latency must be per-packet or per-node, got ${JSON.stringify(value)}`);
}

function range(value: string | undefined): readonly [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)$/.exec(value);
  if (m === null || Number(m[1]) > Number(m[2])) throw new BenchError(`--rtt-ms must look like 20..200 (A <= B), got ${JSON.stringify(value)}`);
  return [Number(m[1]), Number(m[2])];
}
