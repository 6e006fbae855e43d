/**
 * The `find-many` benchmark: what finding K keys costs the reader, three ways, each on its own copy of the
 * same network (built from the seed on the in-memory network and its ManualClock, so every figure is
 * deterministic): K single `findValues` (8 at a time), `findMany` with one find request per key and node
 * (`multiKey: false`, the bulk find before the multi-key find), and `findMany` as it is (a node asked about
 * several keys at once gets them in one multi-key find request). A publisher stores the K signed values
 * with `storeMany` first, the same way in every copy; finds skip the local cache.
 * @module
 */
import 'reflect-metadata';
import type { DHTCommunity } from '../communities/dht/index.js';
import { utf8 } from '../framework/index.js';
import { buildNet, measure } from './bulk.js';
import type { PhaseCost } from './bulk.js';

/** Options of {@link measureFindMany}. */
export interface FindManyBenchOptions {
  /** Nodes. @default 100 */
  readonly nodes?: number;
  /** Keys. @default 50 */
  readonly keys?: number;
  /** Seed. @default 1 */
  readonly seed?: number;
  /** Finds at once (each arm). @default 8 */
  readonly concurrency?: number;
}

/** One arm's cost, with the multi-key requests the reader sent and the values it found, per key. */
export interface FindManyArm extends PhaseCost {
  /** Multi-key find requests sent. */
  readonly multiKeyRequests: number;
  /** Single find requests sent. */
  readonly singleRequests: number;
  /** Per key, the values found (their text, sorted), or the error's reason. */
  readonly found: ReadonlyArray<readonly string[] | string>;
}

/** The benchmark's result. */
export interface FindManyBenchResult {
  /** Nodes, keys, seed, concurrency. */
  readonly setup: { nodes: number; keys: number; seed: number; concurrency: number };
  /** K single finds. */
  readonly single: FindManyArm;
  /** `findMany` with one key per request. */
  readonly oneKeyPerRequest: FindManyArm;
  /** `findMany` with multi-key requests. */
  readonly multiKey: FindManyArm;
  /** True when the three arms found the same values for every key. */
  readonly same: boolean;
}

/** Runs the three arms. */
export async function measureFindMany(options: FindManyBenchOptions = {}): Promise<FindManyBenchResult> {
  const setup = { nodes: options.nodes ?? 100, keys: options.keys ?? 50, seed: options.seed ?? 1, concurrency: options.concurrency ?? 8 };
  const keys = Array.from({ length: setup.keys }, (_, i) => `find-many-key-${i}`);
  const text = (d: Uint8Array): string => new TextDecoder().decode(d);
  const arm = async (how: 'single' | 'one-key' | 'multi-key'): Promise<FindManyArm> => {
    const net = await buildNet(setup.nodes, setup.seed, {});
    const publisher = net.dhts[1]!;
    const reader = net.dhts[Math.floor(setup.nodes / 2)]!;
    await net.clock.settle(publisher.storeMany(keys.map((key) => ({ key, data: utf8(`value of ${key}`), sign: true }))), 1e12);
    await net.clock.advance(1_000);
    const sent = (d: DHTCommunity, name: string): number => d.stats.sent[name] ?? 0;
    const [m0, s0] = [sent(reader, 'dht-find-many-request'), sent(reader, 'dht-find-request')];
    let found: Array<readonly string[] | string> = [];
    const cost = await measure(net, reader, async () => {
      if (how === 'single') {
        const out: Array<readonly string[] | string> = new Array(keys.length);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < keys.length) {
            const i = next++;
            out[i] = await reader.findValues(keys[i]!, { cache: false }).then((v) => v.map((x) => text(x.data)).sort(), (e: { reason?: string }) => e.reason ?? 'error');
          }
        };
        await Promise.all(Array.from({ length: setup.concurrency }, worker));
        found = out;
      } else {
        const results = await reader.findMany(keys, { cache: false, concurrency: setup.concurrency, multiKey: how === 'multi-key' });
        found = results.map((r) => (r.ok ? r.value.map((x) => text(x.data)).sort() : r.error.reason));
      }
      return found.filter((f, i) => Array.isArray(f) && f.includes(`value of ${keys[i]}`)).length;
    });
    const result = { ...cost, multiKeyRequests: sent(reader, 'dht-find-many-request') - m0, singleRequests: sent(reader, 'dht-find-request') - s0, found };
    await net.stop();
    return result;
  };
  const single = await arm('single');
  const oneKeyPerRequest = await arm('one-key');
  const multiKey = await arm('multi-key');
  const same = JSON.stringify(single.found) === JSON.stringify(oneKeyPerRequest.found) && JSON.stringify(single.found) === JSON.stringify(multiKey.found);
  return { setup, single, oneKeyPerRequest, multiKey, same };
}

/** The result as a table. */
export function findManyTable(r: FindManyBenchResult): string {
  const rows = [`find ${r.setup.keys} keys on ${r.setup.nodes} nodes, seed ${r.setup.seed}, ${r.setup.concurrency} at once; same values in every arm: ${r.same}`];
  rows.push('arm                     ok  queries  find req  multi req  sent  received  bytes     datagrams vs single');
  for (const [name, c] of [['single finds', r.single], ['findMany, 1 key/request', r.oneKeyPerRequest], ['findMany, multi-key', r.multiKey]] as const) {
    const vs = `${(100 * ((c.sent + c.received) / (r.single.sent + r.single.received) - 1)).toFixed(0)} %`;
    rows.push(
      `${name.padEnd(23)} ${String(c.ok).padStart(3)}  ${String(c.queries).padStart(7)}  ${String(c.singleRequests).padStart(8)}  ${String(c.multiKeyRequests).padStart(9)}  ${String(c.sent).padStart(4)}  ${String(c.received).padStart(8)}  ${String(c.bytes).padStart(8)}  ${vs}`,
    );
  }
  return rows.join('\n');
}

/**
 * `npm run bench -- find-many [--nodes 100] [--keys 50] [--seed 1]`: prints the table and returns the JSON.
 * @param args `nodes`, `keys`, `seed`.
 */
export async function benchFindMany(args: { readonly nodes?: string | undefined; readonly keys?: string | undefined; readonly seed?: string | undefined }): Promise<{ benchmark: 'find-many' } & FindManyBenchResult> {
  const int = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number.parseInt(v, 10));
  const result = await measureFindMany({ nodes: int(args.nodes, 100), keys: int(args.keys, 50), seed: int(args.seed, 1) });
  console.log(findManyTable(result));
  return { benchmark: 'find-many', ...result };
}
