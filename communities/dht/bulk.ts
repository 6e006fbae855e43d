/**
 * Bulk stores and finds run as one operation (hivemind's `store_many`/`get_many`):
 * - every lookup of the operation feeds a pool of the nodes that answered it (with the store tokens they
 *   issued), and each later lookup starts from the pool's nodes nearest its key as well as from the
 *   routing table: a key near one looked up before costs the last round of a lookup (asking its k closest
 *   about it), not a walk across the network;
 * - items under one key (with one lifetime) go in one publication: one lookup, and one store request per
 *   storer carries them all, packed into as few datagrams as fit;
 * - a store looks up the keys of a wave ({@link MAX_KEYS_PER_WAVE}) first, then sends each storer the
 *   values of all its keys of the wave in one multi-key store request (`records/store-many.ts`), as many
 *   as fit one datagram, more datagrams when they do not; a storer with a single key left gets the
 *   ordinary store request.
 * Keys are taken in key order, the first of each wave spread across the key space, so later keys find
 * the pool already covering their neighbourhood.
 *
 * - a find runs its own lookup (so it returns what a single find returns), but the finds go in waves of
 *   `concurrency` started together, and their queries for one node made in the same turn leave as one
 *   multi-key find request (`records/find-many.ts`): one datagram names several keys, one answer datagram
 *   (or a few) carries each key's closest nodes and values.
 * Not done: answers gathered for one key are not taken as the k closest of another without asking them
 * about it (tried: on 200 nodes, 2 of 20 keys were stored off their k closest and could not be found), and
 * a lookup does not choose its nodes to share them with other keys (it asks the nearest it knows, as a
 * single find does), so keys far apart share few requests.
 * @module
 */
import { toHex } from '../../framework/index.js';
import { DHTError } from './errors.js';
import { dhtKey, publisherMid } from './arguments.js';
import type { LookupPeer, LookupResult } from './lookup.js';
import type { ClosestNode } from './records/engine-types.js';
import { compareDistance } from './routing/node-id.js';
import type { ValueRecord } from './storage/value-record.js';
import type { FindReply, LookupCallOptions } from './types.js';
import type { FindManyOptions, FindOptions, FoundValue, Lifetime, LookupVia, ManyResult, StoreItem, StoreManyOptions } from './value-types.js';

/** Most nodes a bulk operation remembers. */
export const MAX_POOL_NODES = 4_096;
/**
 * Most keys a bulk store looks up before it sends their stores: its storers' tokens are then at most one
 * wave's lookups old.
 */
export const MAX_KEYS_PER_WAVE = 256;
/** Operations in flight at once when the caller does not say. */
export const DEFAULT_BULK_CONCURRENCY = 8;

/** What bulk operations need of the DHT's value operations. */
export interface BulkHost {
  /** Our node id (never in the pool). */
  readonly nodeId: Uint8Array;
  /** Kademlia's k. */
  readonly k: number;
  /** Largest data, in bytes. */
  readonly maxDataBytes: number;
  /** True while the routing table is empty. */
  alone(): boolean;
  /** One find (see `ValueOps.find`). */
  find(key: Uint8Array, options: FindOptions, via: LookupVia): Promise<FoundValue[]>;
  /** A checked lifetime. @throws `DHTError` `invalid-ttl`. */
  lifetime(options: { readonly ttlMs?: number | undefined; readonly expiresAt?: number | undefined }): Lifetime;
  /** A record of this node. */
  makeRecord(key: Uint8Array, data: Uint8Array, sign: boolean): ValueRecord;
  /**
   * Publishes records of several keys, each on the k closest nodes its lookup found, a storer's requests
   * for several keys in one datagram. @returns per set, its acks or why none.
   */
  publishMany(sets: ReadonlyArray<{ readonly records: readonly ValueRecord[]; readonly lifetime: Lifetime; readonly nodes: readonly ClosestNode[] }>, signal: AbortSignal | undefined): Promise<ManyResult<number>[]>;
  /** Publishes records of one key on `nodes` (a lookup's when undefined). @returns acks. */
  publish(records: readonly ValueRecord[], lifetime: Lifetime, options: { signal?: AbortSignal | undefined; nodes: readonly ClosestNode[] | undefined }): Promise<number>;
  /** A node lookup for a store, seeded also from `seeds`. */
  lookupNodes(key: Uint8Array, options: Pick<LookupCallOptions, 'seeds' | 'signal'>): Promise<LookupResult<FindReply>>;
  /** The batched queries of one bulk find (`records/find-many.ts`). */
  batchFinds(publisher: Uint8Array | undefined, signal: AbortSignal | undefined): FindBatch;
}

/** A bulk find's queries, batched by node: several keys asked of one node in one multi-key find request. */
export interface FindBatch {
  /** Asks `peer` about `key` (batched with the other queries for `peer` made in the same turn). */
  query(peer: LookupPeer, key: Uint8Array): Promise<FindReply>;
  /** Ends the batch (after the operation's last find). */
  close(): void;
}

/** The nodes that answered one bulk operation's lookups, with their tokens; at most {@link MAX_POOL_NODES}. */
export class NodePool {
  private readonly answered = new Map<string, ClosestNode>();

  /** @param selfHex our id in hex (never pooled). */
  constructor(private readonly selfHex: string) {}

  /** Nodes that answered. */
  get size(): number {
    return this.answered.size;
  }

  /** Learns from a lookup's answers. */
  learn(result: LookupResult<FindReply>): void {
    for (const a of [...result.closest, ...result.found]) {
      const hex = toHex(a.peer.id);
      if (hex !== this.selfHex && (this.answered.size < MAX_POOL_NODES || this.answered.has(hex))) this.answered.set(hex, { peer: a.peer, token: a.reply.token });
    }
  }

  /** The `count` answered nodes nearest `target`, to seed its lookup. */
  seeds(target: Uint8Array, count: number): LookupPeer[] {
    return nearest(target, [...this.answered.values()].map((n) => n.peer), count);
  }
}

/**
 * The k closest nodes to `key` for a store: a lookup seeded from the pool, so it starts next to the key
 * when the operation's earlier lookups passed there and ends after the last round a lookup needs anyway
 * (asking the k closest about this key).
 */
async function closestFor(host: BulkHost, pool: NodePool, key: Uint8Array, signal: AbortSignal | undefined): Promise<readonly ClosestNode[]> {
  const result = await host.lookupNodes(key, { seeds: pool.seeds(key, host.k), signal });
  pool.learn(result);
  return result.closest.map((a) => ({ peer: a.peer, token: a.reply.token }));
}

/**
 * Finds several keys as one operation: one result per key, in order; never throws for one key.
 * @throws {@link DHTError} `invalid-limit` for a bad `concurrency`.
 */
export async function findMany(host: BulkHost, keys: ReadonlyArray<string | Uint8Array>, options: FindManyOptions): Promise<ManyResult<FoundValue[]>[]> {
  const concurrency = checkConcurrency(options.concurrency);
  const { concurrency: _c, multiKey, ...find } = options;
  const pool = new NodePool(toHex(host.nodeId));
  const parsed = keys.map((key) => attempt(() => dhtKey(key, DHTError)));
  const results: ManyResult<FoundValue[]>[] = parsed.map((p) => (p.ok ? { ok: true, value: [] } : p));
  const valid = parsed.flatMap((p, i) => (p.ok ? [{ i, key: p.value }] : []));
  // A bad publisher fails every key in its find, as it fails a single find: nothing to batch then.
  const publisher = attempt(() => publisherMid(options.publisher, DHTError));
  const batch = publisher.ok && multiKey !== false ? host.batchFinds(publisher.value, options.signal) : undefined;
  const ordered = spread(valid, (t) => t.key, concurrency);
  const one = async ({ i, key }: (typeof valid)[number]): Promise<void> => {
    const query = batch === undefined ? undefined : (peer: LookupPeer) => batch.query(peer, key);
    results[i] = await settle(host.find(key, find, { seeds: pool.seeds(key, host.k), onLookup: (r) => pool.learn(r), query }));
  };
  if (batch === undefined) {
    await run(ordered, concurrency, one);
    return results;
  }
  try {
    // In waves of `concurrency` finds started together (the first spread across the key space, the others
    // neighbours in key order), so that their queries for the same node leave in one multi-key request.
    for (let start = 0; start < ordered.length; start += concurrency) {
      await Promise.all(ordered.slice(start, start + concurrency).map(one));
    }
  } finally {
    batch.close();
  }
  return results;
}

/**
 * Stores several values as one operation: one result per item (how many other nodes acknowledged it),
 * in order; never throws for one item.
 * @throws {@link DHTError} `invalid-limit` for a bad `concurrency`.
 */
export async function storeMany(host: BulkHost, items: readonly StoreItem[], options: StoreManyOptions): Promise<ManyResult<number>[]> {
  const concurrency = checkConcurrency(options.concurrency);
  const results: ManyResult<number>[] = new Array(items.length);
  const groups = new Map<string, { key: Uint8Array; lifetime: Lifetime; records: ValueRecord[]; indexes: number[] }>();
  items.forEach((item, i) => {
    const made = attempt(() => {
      const key = dhtKey(item.key, DHTError);
      if (!(item.data instanceof Uint8Array)) throw new DHTError(`item ${i}: data must be a Uint8Array, got ${typeof item.data}`, 'invalid-value');
      if (item.data.length > host.maxDataBytes) throw new DHTError(`item ${i}: value of ${item.data.length} bytes exceeds the maximum of ${host.maxDataBytes} bytes`, 'too-large');
      const lifetime = host.lifetime(item);
      return { key, lifetime, record: host.makeRecord(key, item.data, item.sign === true) };
    });
    if (!made.ok) {
      results[i] = made;
      return;
    }
    const { key, lifetime, record } = made.value;
    const id = `${toHex(key)}/${lifetime.ttlMs}/${lifetime.until ?? ''}`;
    const group = groups.get(id) ?? { key, lifetime, records: [], indexes: [] };
    group.records.push(record);
    group.indexes.push(i);
    groups.set(id, group);
  });
  const pool = new NodePool(toHex(host.nodeId));
  const ordered = spread([...groups.values()], (g) => g.key, concurrency);
  if (host.alone()) {
    // Nobody to ask: each key is kept here, as a store one by one would keep it.
    await run(ordered, concurrency, async (g) => {
      const outcome = await settle(host.publish(g.records, g.lifetime, { signal: options.signal, nodes: undefined }));
      for (const i of g.indexes) results[i] = outcome;
    });
    return results;
  }
  // In waves: every lookup of a wave first, then each storer gets the records of all its keys of the wave
  // in as few datagrams as fit (the tokens the lookups brought are fresh when the stores go out).
  for (let start = 0; start < ordered.length; start += MAX_KEYS_PER_WAVE) {
    const wave = ordered.slice(start, start + MAX_KEYS_PER_WAVE);
    const found: Array<{ group: (typeof wave)[number]; nodes: readonly ClosestNode[] }> = [];
    await run(wave, concurrency, async (g) => {
      const nodes = await settle(closestFor(host, pool, g.key, options.signal));
      if (nodes.ok) found.push({ group: g, nodes: nodes.value });
      else for (const i of g.indexes) results[i] = nodes;
    });
    const outcomes = await settle(host.publishMany(found.map((f) => ({ records: f.group.records, lifetime: f.group.lifetime, nodes: f.nodes })), options.signal));
    found.forEach((f, n) => {
      const outcome = outcomes.ok ? outcomes.value[n]! : outcomes;
      for (const i of f.group.indexes) results[i] = outcome;
    });
  }
  return results;
}

/** The `count` of `peers` nearest `target`. */
function nearest(target: Uint8Array, peers: readonly LookupPeer[], count: number): LookupPeer[] {
  return [...peers].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, count);
}

/**
 * Work in key order, except that the first wave (one item per worker) is spread evenly across the key
 * space: its lookups fill the pool for every region before the rest start.
 */
function spread<T>(items: readonly T[], key: (item: T) => Uint8Array, workers: number): T[] {
  const sorted = [...items].sort((a, b) => compareBytesOf(key(a), key(b)));
  if (sorted.length <= workers) return sorted;
  const first = new Set<number>();
  for (let w = 0; w < workers; w++) first.add(Math.floor((w * sorted.length) / workers));
  return [...[...first].map((i) => sorted[i]!), ...sorted.filter((_, i) => !first.has(i))];
}

function compareBytesOf(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Runs `work` over `items` with at most `workers` at once. */
async function run<T>(items: readonly T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
}

function checkConcurrency(concurrency: number | undefined): number {
  const c = concurrency ?? DEFAULT_BULK_CONCURRENCY;
  if (!Number.isSafeInteger(c) || c < 1) throw new DHTError(`concurrency must be a positive integer, got ${String(concurrency)}`, 'invalid-limit');
  return c;
}

function attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: DHTError } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: asDHTError(error) };
  }
}

async function settle<T>(promise: Promise<T>): Promise<ManyResult<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: asDHTError(error) };
  }
}

function asDHTError(error: unknown): DHTError {
  return error instanceof DHTError ? error : new DHTError(String(error), 'rejected', { cause: error });
}
