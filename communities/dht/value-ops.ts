/**
 * The client side of values: store to the k closest (through the record engine), find with early stop at
 * a quorum that includes a storer, fetch every page, merge the newest version per publisher, and cache on
 * the closest node that lacked the value.
 * @module
 */
import type { Clock, PrivateKey, PublicKey } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import { DHTError } from './errors.js';
import { dhtKey, publisherMid } from './arguments.js';
import type { Answered, LookupResult } from './lookup.js';
import type { RecordEngine } from './records/record-engine.js';
import type { TimedRecord } from './records/engine-types.js';
import type { PublishOutcome } from './records/engine-types.js';
import { compareDistance } from './routing/node-id.js';
import type { ResolvedDHTSettings } from './settings.js';
import type { DHTStatistics } from './statistics.js';
import type { PublicKeyCache, ValueRecord } from './storage/value-record.js';
import { checkRecord, signRecord, unsignedRecord } from './storage/value-record.js';
import type { FindReply, LookupCallOptions } from './types.js';
import type { ValueWireValue } from './value-policy.js';
import type { FindOptions, FoundValue, ManyResult, StoreItem, StoreOptions, StoreRecordOptions } from './value-types.js';

/** What the value operations need of their DHT. */
export interface ValueOpsHost {
  /** Settings. */
  readonly settings: ResolvedDHTSettings;
  /** Counters. */
  readonly statistics: DHTStatistics;
  /** The value record type's engine. */
  readonly values: RecordEngine<ValueRecord, ValueWireValue>;
  /** Our node id. */
  readonly nodeId: Uint8Array;
  /** True while running. */
  readonly isRunning: boolean;
  /** The node's key, clock, parsed keys and datagram limit. */
  readonly context: { readonly key: PrivateKey; readonly clock: Clock; readonly keys: PublicKeyCache & { get(binary: Uint8Array): PublicKey | undefined } };
  /** The routing table's size. */
  readonly routingTable: { readonly size: number };
  /** One lookup. */
  lookup(target: Uint8Array, values: boolean, options: LookupCallOptions): Promise<LookupResult<FindReply>>;
  /** Maps framework errors to DHT errors. */
  wrap(error: unknown): Error;
}

/** Most values `findValues` returns when given no limit. */
export const DEFAULT_FIND_LIMIT = 100;

/** Store/find logic of a DHT community. */
export class ValueOps {
  private lastVersion = 0;

  /** @param dht the owner, through what these operations need of it. */
  constructor(private readonly dht: ValueOpsHost) {}

  /** See `DHTCommunity.storeValue`. */
  async storeValue(key: string | Uint8Array, data: Uint8Array, options: StoreOptions): Promise<number> {
    const dht = this.dht;
    const k = dhtKey(key, DHTError);
    if (!(data instanceof Uint8Array)) throw new DHTError(`data must be a Uint8Array, got ${typeof data}`, 'invalid-value');
    const max = dht.settings.maxDataBytes;
    if (data.length > max) throw new DHTError(`value of ${data.length} bytes exceeds the maximum of ${max} bytes`, 'too-large');
    this.ttlMs(options.ttlMs);
    const now = dht.context.clock.now();
    const record = options.sign === true ? signRecord(dht.context.key, k, data, this.nextVersion(now)) : unsignedRecord(k, data);
    return this.storeRecord(record, options);
  }

  /** See `DHTCommunity.storeRecord`. */
  async storeRecord(record: ValueRecord, options: StoreRecordOptions): Promise<number> {
    const dht = this.dht;
    const ttlMs = this.ttlMs(options.ttlMs);
    const verdict = checkRecord(record, dht.context.keys);
    if (verdict !== 'valid') throw new DHTError(`not a valid value record: ${verdict}`, 'rejected');
    if (record.data.length > dht.settings.maxDataBytes) {
      throw new DHTError(`value of ${record.data.length} bytes exceeds the maximum of ${dht.settings.maxDataBytes} bytes`, 'too-large');
    }
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    // Alone (no contact yet, or everyone else gone): no lookup can run, so the record is kept here as this
    // node's own and, unless `republish` is false, offered to the k closest by a later republish round.
    const alone = dht.routingTable.size === 0;
    let outcome: PublishOutcome;
    try {
      outcome = await dht.values.publish([record], {
        ttlMs,
        signal: options.signal,
        paths: options.disjointPaths,
        republish: options.republish === false ? 'never' : 'until-expiry',
        onEvent: options.onEvent,
        ...(alone ? { nodes: [] } : {}),
      });
      if (!dht.isRunning) throw new DHTError('the DHT community stopped during the store', 'stopped');
    } catch (error) {
      dht.statistics.storesFailed++;
      throw dht.wrap(error);
    }
    dht.statistics.storeAcks += outcome.acks;
    if (alone) {
      if (outcome.stored === 0) {
        dht.statistics.storesFailed++;
        throw new DHTError("this node knows no other node and its own store refused the value (over its quota or capacity)", 'rejected');
      }
      dht.statistics.storesSucceeded++;
      return 0;
    }
    if (outcome.acks === 0) {
      dht.statistics.storesFailed++;
      const refusals = Object.entries(outcome.refusals);
      if (refusals.length > 0) {
        const why = refusals.map(([v, n]) => `${n} ${v}`).join(', ');
        throw new DHTError(`every node that answered refused the value (${why})`, 'rejected', { verdicts: outcome.verdicts });
      }
      throw new DHTError('no node acknowledged the store; try again later', 'no-nodes');
    }
    dht.statistics.storesSucceeded++;
    return outcome.acks;
  }

  /** A lifetime in ms (or the default). @throws {@link DHTError} `invalid-ttl` out of range. */
  private ttlMs(ttlMs: number | undefined): number {
    const settings = this.dht.settings;
    const ms = ttlMs ?? settings.defaultTtlMs;
    if (typeof ms !== 'number' || !(ms > 0) || ms > settings.maxTtlMs) {
      throw new DHTError(`ttlMs must be in (0, ${settings.maxTtlMs}] ms, got ${String(ttlMs)}`, 'invalid-ttl');
    }
    return ms;
  }

  /** See `DHTCommunity.findValues`. */
  async findValues(key: string | Uint8Array, options: FindOptions): Promise<FoundValue[]> {
    const dht = this.dht;
    const k = dhtKey(key, DHTError);
    const limit = options.limit ?? DEFAULT_FIND_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new DHTError(`limit must be a positive integer, got ${limit}`, 'invalid-limit');
    const publisher = publisherMid(options.publisher, DHTError);
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    dht.statistics.finds++;
    const engine = dht.values;
    const local = engine.localRecords(k, publisher);
    if (dht.routingTable.size === 0 && local.length > 0) {
      // Alone (not joined yet, or everyone else gone): what we hold is all there is to find.
      dht.statistics.findsWithValues++;
      return this.found(engine.client.merge(local, this.caps()).slice(0, limit));
    }
    const quorum = dht.settings.quorum;
    try {
      const result = await dht.lookup(k, true, {
        signal: options.signal,
        isDone: (found) => this.quorumReached(k, found, quorum),
        quorum,
        paths: options.disjointPaths,
        publisher,
        onEvent: options.onEvent,
      });
      const q = { publisher, signal: options.signal };
      const pages = await Promise.all(result.found.map((a) => engine.client.allPages(a.peer, k, a.reply, limit, q)));
      const merged = engine.client.merge([...pages.flatMap((p) => p.records), ...engine.localRecords(k, publisher)], this.caps()).slice(0, limit);
      if (merged.length > 0) {
        dht.statistics.findsWithValues++;
        void this.cacheOnClosestLacking(k, result.closest, merged).catch(() => undefined);
      } else if (result.found.length === 0 && result.closest.length === 0) {
        // Not "nothing is stored": nobody answered at all, so nobody could say.
        throw new DHTError(`no node answered the lookup of ${toHex(k)}; try again later`, 'unreachable');
      }
      return this.found(merged);
    } catch (error) {
      throw dht.wrap(error);
    }
  }

  /** Stores several values with bounded parallelism. */
  async storeMany(items: readonly StoreItem[], options: { signal?: AbortSignal; concurrency?: number }): Promise<ManyResult<number>[]> {
    return this.batch(items, options.concurrency ?? 8, (item) => this.storeValue(item.key, item.data, { sign: item.sign, ttlMs: item.ttlMs, signal: options.signal }));
  }

  /** Finds several keys with bounded parallelism. */
  async findMany(keys: ReadonlyArray<string | Uint8Array>, options: FindOptions & { concurrency?: number }): Promise<ManyResult<FoundValue[]>[]> {
    return this.batch(keys, options.concurrency ?? 8, (key) => this.findValues(key, options));
  }

  private caps(): Record<string, number> {
    return { unsigned: this.dht.settings.maxUnsignedPerKey };
  }

  private found(records: ReadonlyArray<TimedRecord<ValueRecord>>): FoundValue[] {
    const keys = this.dht.context.keys;
    return records.map(({ record: r, expiresAt }) => ({
      data: r.data,
      publicKey: r.publicKey === undefined ? null : (keys.get(r.publicKey) ?? null),
      version: r.version,
      expiresAt,
    }));
  }

  /**
   * Early stop of a value lookup: `quorum` responders with values, one of them a storer (its reply says
   * `authoritative`: it holds the values from the publisher or by replication, not as a cache) or among
   * the `quorum` nodes nearest the key of all the responders and the nodes they pointed to. A cache along
   * the path keeps the version that was current when it was cached, while storers get every update (and
   * the newest version wins the merge), so stopping at the first `quorum` answers when all are caches could
   * return a superseded version. When neither holds, the lookup runs to its end.
   */
  private quorumReached(key: Uint8Array, found: ReadonlyArray<Answered<FindReply>>, quorum: number): boolean {
    if (found.length < quorum) return false;
    if (found.some((a) => a.reply.authoritative)) return true;
    const answered = new Set(found.map((a) => toHex(a.peer.id)));
    const seen = new Map<string, Uint8Array>();
    for (const a of found) {
      seen.set(toHex(a.peer.id), a.peer.id);
      for (const n of a.reply.nodes) seen.set(toHex(n.id), n.id);
    }
    seen.delete(toHex(this.dht.nodeId)); // never queried: our own values are merged separately
    const nearest = [...seen].sort((x, y) => compareDistance(key, x[1], y[1])).slice(0, quorum);
    return nearest.some(([hex]) => answered.has(hex));
  }

  private async batch<I, T>(items: readonly I[], concurrency: number, run: (item: I) => Promise<T>): Promise<ManyResult<T>[]> {
    const results: ManyResult<T>[] = new Array(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        try {
          results[i] = { ok: true, value: await run(items[i]!) };
        } catch (error) {
          results[i] = { ok: false, error: error instanceof DHTError ? error : new DHTError(String(error), 'rejected', { cause: error }) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
    return results;
  }

  /** Kademlia caching: store the found values on the closest node that answered without them. */
  private async cacheOnClosestLacking(key: Uint8Array, closest: ReadonlyArray<Answered<FindReply>>, records: ReadonlyArray<TimedRecord<ValueRecord>>): Promise<void> {
    const target = closest.find((a) => a.reply.found === undefined);
    if (target === undefined) return;
    await this.dht.values.client.storeOn({ peer: target.peer, token: target.reply.token }, key, records, { cache: true });
  }

  private nextVersion(now: number): number {
    // A version is a safe uint: a simulated clock with jittered delays has fractional milliseconds.
    this.lastVersion = Math.max(Math.floor(now), this.lastVersion + 1);
    return this.lastVersion;
  }
}
