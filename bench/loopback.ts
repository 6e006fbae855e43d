/**
 * `npm run bench -- loopback`: N nodes on real UDP over 127.0.0.1 in one process (a {@link LoopbackCluster}),
 * node 0 stores K signed values, the other nodes find them (first and repeated finds), all find one fresh
 * key at once, look up absent keys, and connect to each other by mid.
 * @module
 */
import { loadavg } from 'node:os';
import { CryptoRandom, equalBytes, shuffle, utf8 } from '../framework/index.js';
import { DHTCommunity } from '../communities/dht/index.js';
import type { FoundValue } from '../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../communities/discovery/index.js';
import { LoopbackCluster } from '../cli/cluster.js';
import { Recorder } from '../cli/recorder.js';
import type { OperationStats } from './report.js';
import { Stopwatch, progress, statsOf } from './report.js';

/** Options of {@link runLoopback}. */
export interface LoopbackOptions {
  /** Nodes. @default 50 */
  nodes?: number;
  /** Signed values stored by node 0. @default 20 */
  keys?: number;
  /** Rounds of finds: round 1 is `find_first`, rounds 2.. are `find_sequential`. @default 2 */
  rounds?: number;
  /** Quiet time after the cluster joined, before measuring, in ms. @default 1_000 */
  settleMs?: number;
  /** Finds of absent keys. @default min(nodes - 1, 50) */
  missing?: number;
  /** `connectPeer` calls between random distinct pairs. @default min(nodes - 1, 50) */
  connects?: number;
  /** Discovery keepalive interval, ms (the demo cluster uses 2 s; this is the community's default). @default 10_000 */
  keepaliveIntervalMs?: number;
  /** No progress lines on stderr. @default false */
  quiet?: boolean;
}

/** JSON result of the loopback benchmark. */
export interface LoopbackResult {
  /** Nodes in the cluster. */
  readonly nodes: number;
  /** Signed stores by node 0 (K values plus the fresh key). */
  readonly store: OperationStats;
  /** Repeated finds (rounds 2..R): every node but node 0 finds every key, one after another. */
  readonly find_sequential: OperationStats;
  /** The first find of each key on each node (round 1), same order. */
  readonly find_first: OperationStats;
  /** All nodes but node 0 find one freshly stored key at the same time. */
  readonly find_concurrent: OperationStats;
  /** Finds of keys nobody stored; success = an empty result without error. */
  readonly find_missing: OperationStats;
  /** `connectPeer(mid)` between random distinct pairs; success = the right peer, verified. */
  readonly connect_peer: OperationStats;
  /** Process CPU seconds for the whole run (join included). */
  readonly cpu_s: number;
  /** Wall seconds for the whole run (join included). */
  readonly wall_s: number;
  /** Wall seconds spent starting and joining the cluster. */
  readonly join_s: number;
  /** Rounds of finds run. */
  readonly rounds: number;
  /**
   * Process CPU ms per operation in each phase (all nodes' work for one operation, both ends): unlike
   * latencies it hardly changes when other processes compete for the CPU.
   */
  readonly cpu_ms_per_op: Readonly<Record<string, number>>;
  /** The 1-minute load average when the run ended (the machine is shared; latencies grow with it). */
  readonly load_average: number;
  /** Why operations failed: `operation: reason` (a DHTError reason or `empty`/`wrong-value`) to a count. */
  readonly failures: Readonly<Record<string, number>>;
}

/** Discovery keepalive of the benchmark clusters: the discovery community's default. */
export const KEEPALIVE_INTERVAL_MS = 10_000;

/** Names under which {@link runLoopback} records operations, in table order. */
export const LOOPBACK_OPERATIONS = ['store', 'find_first', 'find_sequential', 'find_concurrent', 'find_missing', 'connect_peer'] as const;

/**
 * Runs the loopback benchmark.
 * @returns the JSON result and the recorder (for a table of every operation).
 * @example
 * ```ts
 * const { result } = await runLoopback({ nodes: 50, keys: 20 });
 * console.log(result.find_sequential.median_ms);
 * ```
 */
export async function runLoopback(options: LoopbackOptions = {}): Promise<{ result: LoopbackResult; recorder: Recorder }> {
  const n = Math.max(2, options.nodes ?? 50);
  const keyCount = Math.max(1, options.keys ?? 20);
  const rounds = Math.max(1, options.rounds ?? 2);
  const watch = new Stopwatch();
  const random = new CryptoRandom();
  const say = (line: string): void => progress(options.quiet, line);
  say(`loopback: starting ${n} nodes on 127.0.0.1`);
  const cluster = await LoopbackCluster.start({ nodes: n, keepaliveIntervalMs: options.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS });
  const joinS = watch.wallSeconds();
  say(`loopback: joined in ${joinS.toFixed(1)} s; settling ${options.settleMs ?? 1_000} ms`);
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 1_000));
  const rec = new Recorder();
  const hosts = cluster.hosts;
  const dhts = hosts.map((h) => h.get(DHTCommunity));
  const publisher = dhts[0]!;
  const failures: Record<string, number> = {};
  const fail = (what: string): false => {
    failures[what] = (failures[what] ?? 0) + 1;
    return false;
  };
  const isPublished = (text: string, operation: string) => (found: FoundValue[]) =>
    (found.length === 1 && new TextDecoder().decode(found[0]!.data) === text && equalBytes(found[0]!.publicKey?.mid ?? new Uint8Array(), publisher.nodeId)) ||
    fail(`${operation}: ${found.length === 0 ? 'empty' : 'wrong-value'}`);
  /** Counts the reason of a rejected operation, then rethrows (the recorder counts the failure). */
  const noting = <T>(operation: string, run: () => Promise<T>) => (): Promise<T> =>
    run().catch((error: unknown) => {
      fail(`${operation}: ${(error as { reason?: string }).reason ?? (error instanceof Error ? error.name : String(error))}`);
      throw error;
    });
  const tag = random.int(2 ** 31).toString(36);
  const cpuPerOp: Record<string, number> = {};
  const phase = async (operation: string, run: () => Promise<void>): Promise<void> => {
    const before = process.cpuUsage();
    const count = rec.summary().find((o) => o.operation === operation)?.total ?? 0;
    await run();
    const d = process.cpuUsage(before);
    const ops = (rec.summary().find((o) => o.operation === operation)?.total ?? 0) - count;
    if (ops > 0) cpuPerOp[operation] = Math.round(((d.user + d.system) / 1_000 / ops) * 100) / 100;
  };
  try {
    const keys = Array.from({ length: keyCount }, (_, i) => ({ key: `bench/${tag}/key-${i}`, text: `value ${i}` }));
    await phase('store', async () => {
      for (const { key, text } of keys) await rec.time('store', noting('store', () => publisher.storeValue(key, utf8(text), { sign: true })), (acks) => acks > 0);
    });
    say(`loopback: stored ${keyCount} keys; ${n - 1} nodes find each key ${rounds}x`);
    for (let round = 1; round <= rounds; round++) {
      const operation = round === 1 ? 'find_first' : 'find_sequential';
      await phase(operation, async () => {
        for (const finder of dhts.slice(1)) {
          for (const { key, text } of keys) {
            const before = finder.statistics.hopsTotal;
            await rec.time(operation, noting(operation, () => finder.findValues(key, { cache: false })), isPublished(text, operation), () => finder.statistics.hopsTotal - before);
          }
        }
      });
    }
    const fresh = { key: `bench/${tag}/fresh`, text: 'fresh value' };
    await rec.time('store', () => publisher.storeValue(fresh.key, utf8(fresh.text), { sign: true }), (acks) => acks > 0);
    say(`loopback: ${n - 1} concurrent finds`);
    await phase('find_concurrent', async () => {
      await Promise.all(
        dhts.slice(1).map((d) => rec.time('find_concurrent', noting('find_concurrent', () => d.findValues(fresh.key)), isPublished(fresh.text, 'find_concurrent'))),
      );
    });
    const missing = options.missing ?? Math.min(n - 1, 50);
    await phase('find_missing', async () => {
      for (let i = 0; i < missing; i++) {
        const finder = dhts[1 + (i % (n - 1))]!;
        await rec.time('find_missing', noting('find_missing', () => finder.findValues(`bench/${tag}/absent-${i}`)), (found) => found.length === 0 || fail('find_missing: not-empty'));
      }
    });
    say(`loopback: connectPeer between random pairs`);
    const connects = options.connects ?? Math.min(n - 1, 50);
    const pairs = shuffle(random, hosts.flatMap((a, i) => hosts.map((b, j) => [i, j] as const).filter(([, j]) => j !== i))).slice(0, connects);
    await phase('connect_peer', async () => {
      for (const [i, j] of pairs) {
        const target = hosts[j]!;
        await rec.time(
          'connect_peer',
          noting('connect_peer', () => hosts[i]!.get(DHTDiscoveryCommunity).connectPeer(target.key.publicKey.mid)),
          (peers) => peers.some((p) => p.midHex === target.midHex) || fail('connect_peer: wrong-peer'),
        );
      }
    });
  } finally {
    await cluster.stop();
  }
  const result: LoopbackResult = {
    nodes: n,
    store: statsOf(rec, 'store'),
    find_sequential: statsOf(rec, 'find_sequential'),
    find_first: statsOf(rec, 'find_first'),
    find_concurrent: statsOf(rec, 'find_concurrent'),
    find_missing: statsOf(rec, 'find_missing'),
    connect_peer: statsOf(rec, 'connect_peer'),
    cpu_s: watch.cpuSeconds(),
    wall_s: watch.wallSeconds(),
    join_s: joinS,
    rounds,
    cpu_ms_per_op: cpuPerOp,
    load_average: Math.round(loadavg()[0]! * 100) / 100,
    failures,
  };
  return { result, recorder: rec };
}
