/**
 * The `bulk` benchmark: what `storeMany`/`findMany` cost against the same calls one by one (`storeValue`/
 * `findValues`, 8 at a time, which is what `storeMany`/`findMany` did before they ran as one operation), on
 * the in-memory network and its ManualClock, so every figure is deterministic for a seed. Two identical
 * networks are built from the seed, one per arm; a publisher stores K signed values, then another node finds
 * them all. Counted at the node doing the work: lookups, lookup queries, datagrams and bytes it sent and
 * received.
 * @module
 */
import 'reflect-metadata';
import { DHTCommunity } from '../communities/dht/index.js';
import type { DHTSettings } from '../communities/dht/index.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom, utf8 } from '../framework/index.js';

/** Options of {@link measureBulk}. */
export interface BulkOptions {
  /** Nodes. @default 200 */
  readonly nodes?: number;
  /** Keys stored and found. @default 100 */
  readonly keys?: number;
  /** Seed of the network and its latencies. @default 1 */
  readonly seed?: number;
  /** Calls at once in the one-by-one arm, and `concurrency` of the bulk arm. @default 8 */
  readonly concurrency?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** What one phase cost at the node doing it. */
export interface PhaseCost {
  /** Lookups run. */
  readonly lookups: number;
  /** Queries those lookups sent. */
  readonly queries: number;
  /** Datagrams sent. */
  readonly sent: number;
  /** Datagrams received. */
  readonly received: number;
  /** Bytes sent and received. */
  readonly bytes: number;
  /** Items that succeeded (stored with at least one ack, or found with the value). */
  readonly ok: number;
}

/** One arm's store and find phases. */
export interface ArmCost {
  /** Storing K values. */
  readonly store: PhaseCost;
  /** Finding the K keys from another node. */
  readonly find: PhaseCost;
}

/** The benchmark's result. */
export interface BulkResult {
  /** Nodes, keys, seed, concurrency. */
  readonly setup: { nodes: number; keys: number; seed: number; concurrency: number };
  /** One by one. */
  readonly oneByOne: ArmCost;
  /** `storeMany`/`findMany`. */
  readonly bulk: ArmCost;
}

/** Runs both arms. */
export async function measureBulk(options: BulkOptions = {}): Promise<BulkResult> {
  const setup = { nodes: options.nodes ?? 200, keys: options.keys ?? 100, seed: options.seed ?? 1, concurrency: options.concurrency ?? 8 };
  const keys = Array.from({ length: setup.keys }, (_, i) => `bulk-key-${i}`);
  const arm = async (bulk: boolean): Promise<ArmCost> => {
    const net = await buildNet(setup.nodes, setup.seed, {}, options.log);
    const publisher = net.dhts[1]!;
    const reader = net.dhts[Math.floor(setup.nodes / 2)]!;
    const store = await measure(net, publisher, async () => {
      if (bulk) {
        const results = await publisher.storeMany(keys.map((key) => ({ key, data: utf8(`value of ${key}`), sign: true })), { concurrency: setup.concurrency });
        return results.filter((r) => r.ok && r.value > 0).length;
      }
      const acks = await pool(keys, setup.concurrency, (key) => publisher.storeValue(key, utf8(`value of ${key}`), { sign: true }).catch(() => 0));
      return acks.filter((a) => a > 0).length;
    });
    const find = await measure(net, reader, async () => {
      if (bulk) {
        const results = await reader.findMany(keys, { concurrency: setup.concurrency });
        return results.filter((r, i) => r.ok && r.value.some((v) => new TextDecoder().decode(v.data) === `value of ${keys[i]}`)).length;
      }
      const found = await pool(keys, setup.concurrency, (key) => reader.findValues(key).catch(() => []));
      return found.filter((f, i) => f.some((v) => new TextDecoder().decode(v.data) === `value of ${keys[i]}`)).length;
    });
    await net.stop();
    return { store, find };
  };
  const oneByOne = await arm(false);
  options.log?.('one by one done');
  const bulk = await arm(true);
  return { setup, oneByOne, bulk };
}

/** The result as a table. */
export function bulkTable(r: BulkResult): string {
  const rows: string[] = [`bulk vs one by one: ${r.setup.keys} keys, ${r.setup.nodes} nodes, seed ${r.setup.seed}, ${r.setup.concurrency} at once`];
  rows.push('phase  arm          ok  lookups  queries  sent  received  bytes     datagrams saved');
  for (const phase of ['store', 'find'] as const) {
    const one = r.oneByOne[phase];
    const bulk = r.bulk[phase];
    for (const [name, c] of [['one by one', one], ['bulk', bulk]] as const) {
      const saved = name === 'bulk' ? `${(100 * (1 - (c.sent + c.received) / (one.sent + one.received))).toFixed(0)} %` : '';
      rows.push(
        `${phase.padEnd(6)} ${name.padEnd(11)} ${String(c.ok).padStart(3)}  ${String(c.lookups).padStart(7)}  ${String(c.queries).padStart(7)}  ${String(c.sent).padStart(4)}  ${String(c.received).padStart(8)}  ${String(c.bytes).padStart(8)}  ${saved}`,
      );
    }
  }
  return rows.join('\n');
}

/** A built network (see {@link buildNet}). */
export interface Net {
  readonly clock: ManualClock;
  readonly hosts: OverlayHost[];
  readonly dhts: DHTCommunity[];
  stop(): Promise<void>;
}

/** Builds and joins an `n`-node DHT on the in-memory network, deterministic for `seed`. */
export async function buildNet(n: number, seed: number, settings: DHTSettings, log?: (line: string) => void): Promise<Net> {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 10, jitterMs: 5 });
  const hosts: OverlayHost[] = [];
  const dhts: DHTCommunity[] = [];
  for (let i = 0; i < n; i++) {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({
      endpoint: network.createEndpoint(),
      key: PrivateKey.generate(nodeRandom),
      clock,
      random: nodeRandom,
      bootstrap: hosts[0] === undefined ? [] : [hosts[0].endpoint.address],
    });
    const dht = host.register(DHTCommunity, settings);
    await host.start();
    if (i > 0) await clock.settle(dht.bootstrap());
    hosts.push(host);
    dhts.push(dht);
    if ((i + 1) % 50 === 0) log?.(`${i + 1}/${n} nodes joined`);
  }
  await clock.advance(1_000);
  return {
    clock,
    hosts,
    dhts,
    async stop() {
      for (const h of hosts) await h.stop();
    },
  };
}

/** What `work` cost at `dht`'s node. */
export async function measure(net: Net, dht: DHTCommunity, work: () => Promise<number>): Promise<PhaseCost> {
  const endpoint = net.hosts[net.dhts.indexOf(dht)]!.endpoint;
  const s0 = { ...endpoint.stats };
  const l0 = dht.statistics.lookups;
  const q0 = dht.statistics.queries;
  const ok = await net.clock.settle(work(), 1e12);
  const s1 = endpoint.stats;
  return {
    lookups: dht.statistics.lookups - l0,
    queries: dht.statistics.queries - q0,
    sent: s1.packetsSent - s0.packetsSent,
    received: s1.packetsReceived - s0.packetsReceived,
    bytes: s1.bytesSent - s0.bytesSent + (s1.bytesReceived - s0.bytesReceived),
    ok,
  };
}

async function pool<I, T>(items: readonly I[], workers: number, run: (item: I) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
  return out;
}

/**
 * `npm run bench -- bulk [--nodes 200] [--keys 100] [--seed 1]`: prints the table and returns the JSON.
 * @param args `nodes`, `keys`, `seed`, `quiet`.
 */
export async function benchBulk(args: { readonly nodes?: string | undefined; readonly keys?: string | undefined; readonly seed?: string | undefined; readonly quiet?: boolean | undefined }): Promise<{ benchmark: 'bulk' } & BulkResult> {
  const int = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number.parseInt(v, 10));
  const result = await measureBulk({
    nodes: int(args.nodes, 200),
    keys: int(args.keys, 100),
    seed: int(args.seed, 1),
    log: args.quiet === true ? undefined : (line) => console.error(line),
  });
  console.log(bulkTable(result));
  return { benchmark: 'bulk', ...result };
}
