/**
 * The client side of values: store to the k closest (through the record engine), find with early stop at
 * a quorum that includes a storer, fetch every page, merge the newest version per publisher, and cache on
 * the closest node that lacked the value.
 * @module
 */
import type { Clock, PrivateKey, PublicKey, TimerHandle } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import { DHTError } from './errors.js';
import { dhtKey, publisherMid } from './arguments.js';
import type { Answered, LookupResult } from './lookup.js';
import { findMany, storeMany } from './bulk.js';
import { ValueFindMany } from './bulk-messages.js';
import type { BulkHost } from './bulk.js';
import type { RecordEngine } from './records/record-engine.js';
import type { ClosestNode, TimedRecord } from './records/engine-types.js';
import type { PublishOutcome } from './records/engine-types.js';
import { judgeFind } from './find-rules.js';
import type { ResolvedDHTSettings } from './settings.js';
import type { DHTStatistics } from './statistics.js';
import type { PublicKeyCache, ValueRecord } from './storage/value-record.js';
import { checkRecord, signRecord, unsignedRecord } from './storage/value-record.js';
import type { FindReply, LookupCallOptions } from './types.js';
import type { ValueWireValue } from './value-policy.js';
import { ValueCache } from './value-cache.js';
import type { FindManyOptions, FindOptions, FoundValue, Lifetime, LookupVia, ManyResult, StoreItem, StoreManyOptions, StoreOptions, StoreRecordOptions } from './value-types.js';

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
  /** A timer the DHT's stop clears (the cache's refreshes). */
  after(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer. */
  cancel(handle: TimerHandle | undefined): void;
}

/** Most values `findValues` returns when given no limit. */
export const DEFAULT_FIND_LIMIT = 100;

/** Store/find logic of a DHT community. */
export class ValueOps {
  /** The local cache of found values. */
  readonly cache: ValueCache;
  private lastVersion = 0;

  /** @param dht the owner, through what these operations need of it. */
  constructor(private readonly dht: ValueOpsHost) {
    this.cache = new ValueCache(dht.settings.valueCache, {
      clock: dht.context.clock,
      after: (ms, fn) => dht.after(ms, fn),
      cancel: (h) => dht.cancel(h),
      counters: dht.statistics,
      refresh: async (key, publisher, limit) => {
        if (dht.isRunning) await this.find(key, { publisher, limit }, { refresh: true });
      },
    });
  }

  /** See `DHTCommunity.storeValue`. */
  async storeValue(key: string | Uint8Array, data: Uint8Array, options: StoreOptions): Promise<number> {
    const dht = this.dht;
    const k = dhtKey(key, DHTError);
    if (!(data instanceof Uint8Array)) throw new DHTError(`data must be a Uint8Array, got ${typeof data}`, 'invalid-value');
    const max = dht.settings.maxDataBytes;
    if (data.length > max) throw new DHTError(`value of ${data.length} bytes exceeds the maximum of ${max} bytes`, 'too-large');
    this.lifetime(options);
    const record = this.makeRecord(k, data, options.sign === true);
    return this.storeRecord(record, options);
  }

  /** A record of this node: signed with a fresh version, or unsigned. */
  makeRecord(key: Uint8Array, data: Uint8Array, sign: boolean): ValueRecord {
    const dht = this.dht;
    return sign ? signRecord(dht.context.key, key, data, this.nextVersion(dht.context.clock.now())) : unsignedRecord(key, data);
  }

  /** See `DHTCommunity.storeRecord`. */
  async storeRecord(record: ValueRecord, options: StoreRecordOptions): Promise<number> {
    const dht = this.dht;
    const lifetime = this.lifetime(options);
    if (lifetime.until !== undefined && options.republish === false) {
      throw new DHTError(`a lifetime beyond maxTtlMs (${dht.settings.maxTtlMs} ms) needs this node to renew the record: republish cannot be false`, 'invalid-ttl');
    }
    const verdict = checkRecord(record, dht.context.keys);
    if (verdict !== 'valid') throw new DHTError(`not a valid value record: ${verdict}`, 'rejected');
    if (record.data.length > dht.settings.maxDataBytes) {
      throw new DHTError(`value of ${record.data.length} bytes exceeds the maximum of ${dht.settings.maxDataBytes} bytes`, 'too-large');
    }
    return this.publish([record], lifetime, { ...options, nodes: undefined });
  }

  /**
   * Publishes records of one key (checked) on the k closest nodes: `nodes` when a bulk operation knows
   * them, else a lookup's.
   * @returns how many other nodes acknowledged them (`0` alone).
   */
  async publish(records: readonly ValueRecord[], lifetime: Lifetime, options: StoreRecordOptions & { nodes: readonly ClosestNode[] | undefined }): Promise<number> {
    const dht = this.dht;
    const ttlMs = lifetime.ttlMs;
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    const key = records[0]?.key;
    if (key !== undefined) this.cache.invalidate(key);
    // Alone (no contact yet, or everyone else gone): no lookup can run, so the record is kept here as this
    // node's own and, unless `republish` is false, offered to the k closest by a later republish round.
    const alone = dht.routingTable.size === 0;
    let outcome: PublishOutcome;
    try {
      outcome = await dht.values.publish(records, {
        ttlMs,
        signal: options.signal,
        paths: options.disjointPaths,
        republish: lifetime.until !== undefined ? 'keep-alive' : options.republish === false ? 'never' : 'until-expiry',
        keepAliveUntil: lifetime.until,
        onEvent: options.onEvent,
        ...(alone ? { nodes: [] } : options.nodes === undefined ? {} : { nodes: options.nodes }),
      });
      if (!dht.isRunning) throw new DHTError('the DHT community stopped during the store', 'stopped');
    } catch (error) {
      dht.statistics.storesFailed++;
      throw dht.wrap(error);
    }
    return this.acknowledged(outcome, alone);
  }

  /**
   * Publishes the records of several keys, each on the k closest nodes a bulk operation's lookup found,
   * with the requests to one storer for several keys in one datagram (`records/store-many.ts`).
   * @returns per set, in order, how many other nodes acknowledged it, or why none did (as `publish`).
   */
  async publishMany(sets: ReadonlyArray<{ readonly records: readonly ValueRecord[]; readonly lifetime: Lifetime; readonly nodes: readonly ClosestNode[] }>, signal: AbortSignal | undefined): Promise<ManyResult<number>[]> {
    const dht = this.dht;
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    for (const set of sets) if (set.records[0] !== undefined) this.cache.invalidate(set.records[0].key);
    const lifetimeOptions = (lifetime: Lifetime) => ({ ttlMs: lifetime.ttlMs, republish: lifetime.until !== undefined ? ('keep-alive' as const) : ('until-expiry' as const), keepAliveUntil: lifetime.until });
    const outcomes = await dht.values.publishMany(sets.map((s) => ({ records: s.records, options: { ...lifetimeOptions(s.lifetime), nodes: s.nodes } })), signal);
    return outcomes.map((outcome) => {
      if (outcome instanceof DHTError) {
        dht.statistics.storesFailed++;
        return { ok: false, error: outcome };
      }
      try {
        return { ok: true, value: this.acknowledged(outcome, false) };
      } catch (error) {
        return { ok: false, error: error instanceof DHTError ? error : new DHTError(String(error), 'rejected', { cause: error }) };
      }
    });
  }

  /**
   * Counts a publication's outcome.
   * @returns how many other nodes acknowledged it (`0` alone).
   * @throws {@link DHTError} `rejected` or `no-nodes` when none did.
   */
  private acknowledged(outcome: PublishOutcome, alone: boolean): number {
    const dht = this.dht;
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

  /**
   * A lifetime from `ttlMs` or an absolute `expiresAt` (or the default): up to `maxTtlMs` as it is, beyond
   * (up to `maxLifetimeMs`) `maxTtlMs` at a time until the requested end.
   * @throws {@link DHTError} `invalid-ttl` for both given, a past `expiresAt`, or a lifetime out of range.
   */
  lifetime(options: { readonly ttlMs?: number | undefined; readonly expiresAt?: number | undefined }): Lifetime {
    const settings = this.dht.settings;
    const now = this.dht.context.clock.now();
    let ms: number;
    if (options.expiresAt !== undefined) {
      if (options.ttlMs !== undefined) throw new DHTError('give ttlMs or expiresAt, not both', 'invalid-ttl');
      const at = options.expiresAt;
      if (typeof at !== 'number' || !Number.isFinite(at)) throw new DHTError(`expiresAt must be ms since the epoch, got ${String(at)}`, 'invalid-ttl');
      ms = Math.floor(at - now);
      if (!(ms > 0)) throw new DHTError(`expiresAt ${new Date(at).toISOString()} is not in the future (now ${new Date(now).toISOString()})`, 'invalid-ttl');
      if (ms > settings.maxLifetimeMs) {
        throw new DHTError(`expiresAt is ${ms} ms ahead, beyond maxLifetimeMs (${settings.maxLifetimeMs} ms)`, 'invalid-ttl');
      }
    } else {
      ms = options.ttlMs ?? settings.defaultTtlMs;
      if (typeof ms !== 'number' || !(ms > 0) || ms > settings.maxLifetimeMs) {
        throw new DHTError(`ttlMs must be in (0, ${settings.maxLifetimeMs}] ms, got ${String(options.ttlMs)}`, 'invalid-ttl');
      }
    }
    return ms <= settings.maxTtlMs ? { ttlMs: ms, until: undefined } : { ttlMs: settings.maxTtlMs, until: now + ms };
  }

  /** See `DHTCommunity.findValues`. */
  findValues(key: string | Uint8Array, options: FindOptions): Promise<FoundValue[]> {
    return this.find(dhtKey(key, DHTError), options, {});
  }

  /**
   * `findValues` of a DHT key, with what a bulk operation or a cache refresh adds (see {@link LookupVia}).
   */
  async find(k: Uint8Array, options: FindOptions, via: LookupVia): Promise<FoundValue[]> {
    const dht = this.dht;
    const limit = options.limit ?? DEFAULT_FIND_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new DHTError(`limit must be a positive integer, got ${limit}`, 'invalid-limit');
    const publisher = publisherMid(options.publisher, DHTError);
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    dht.statistics.finds++;
    const latest = options.latest === true;
    if (latest && options.first === true) throw new DHTError('findValues: `first` and `latest` cannot go together', 'invalid-options');
    // A traced find (`onEvent`) and `latest` want a lookup; both refill the cache.
    const cached = this.cache.settings.enabled && options.cache !== false;
    if (cached && !latest && via.refresh !== true && options.onEvent === undefined) {
      const hit = this.cache.get(k, publisher, limit);
      if (hit !== undefined) {
        dht.statistics.findsWithValues++;
        return hit;
      }
    }
    const engine = dht.values;
    const local = engine.localRecords(k, publisher);
    if (dht.routingTable.size === 0 && local.length > 0) {
      // Alone (not joined yet, or everyone else gone): what we hold is all there is to find.
      dht.statistics.findsWithValues++;
      return this.found(engine.client.merge(local, this.caps()).slice(0, limit));
    }
    const quorum = dht.settings.quorum;
    const rules = { key: k, selfId: dht.nodeId, k: dht.settings.bucketSize };
    // `first`: the earliest answer from a plausible storer is returned; the lookup goes on to its quorum.
    let firstAnswer: ((a: Answered<FindReply>) => void) | undefined;
    const firstFound = options.first === true ? new Promise<Answered<FindReply>>((resolve) => (firstAnswer = resolve)) : undefined;
    // With `latest`, no early stop: every one of the k closest reached is asked, so a storer that missed
    // an update cannot hide it behind the first answers.
    const isDone = latest
      ? undefined
      : (found: ReadonlyArray<Answered<FindReply>>, suspects: ReadonlySet<string>): boolean => {
          const verdict = judgeFind(rules, found, quorum, suspects, firstAnswer !== undefined);
          if (verdict.plausible !== undefined && firstAnswer !== undefined) {
            firstAnswer(verdict.plausible);
            firstAnswer = undefined;
          }
          return verdict.done;
        };
    const q = { publisher, signal: options.signal };
    const complete = async (): Promise<Array<TimedRecord<ValueRecord>>> => {
      const result = await dht.lookup(k, true, {
        signal: options.signal,
        isDone,
        quorum: latest ? undefined : quorum,
        paths: options.disjointPaths,
        publisher,
        onEvent: options.onEvent,
        seeds: via.seeds,
        query: via.query,
      });
      via.onLookup?.(result);
      const pages = await Promise.all(result.found.map((a) => engine.client.allPages(a.peer, k, a.reply, limit, q)));
      const all = engine.client.merge([...pages.flatMap((p) => p.records), ...engine.localRecords(k, publisher)], this.caps());
      const merged = all.slice(0, limit);
      if (cached) this.cache.put(k, publisher, this.found(merged), limit);
      if (merged.length > 0) {
        if (firstFound === undefined) dht.statistics.findsWithValues++;
        void this.cacheOnClosestLacking(k, result.closest, merged).catch(() => undefined);
      } else if (result.found.length === 0 && result.closest.length === 0) {
        // Not "nothing is stored": nobody answered at all, so nobody could say.
        throw new DHTError(`no node answered the lookup of ${toHex(k)}; try again later`, 'unreachable');
      }
      return latest ? freshestFirst(all) : all;
    };
    try {
      const lookup = complete();
      if (firstFound === undefined) return this.found((await lookup).slice(0, limit));
      const onQuorum = options.onQuorum;
      lookup.then(
        (all) => onQuorum?.(this.found(all.slice(0, limit))),
        () => undefined, // a failure before the first answer rejects the find below; after it, the cache stays as it was
      );
      const winner = await Promise.race([firstFound, lookup]);
      if (Array.isArray(winner)) {
        // The lookup ended before any plausible storer answered: its result is the answer.
        if (winner.length > 0) dht.statistics.findsWithValues++;
        return this.found(winner.slice(0, limit));
      }
      // A first storer whose later pages fail leaves the find to the quorum.
      const page = await engine.client.allPages(winner.peer, k, winner.reply, limit, q).catch(() => undefined);
      if (page === undefined) return this.found((await lookup).slice(0, limit));
      const merged = engine.client.merge([...page.records, ...engine.localRecords(k, publisher)], this.caps()).slice(0, limit);
      if (merged.length > 0) dht.statistics.findsWithValues++;
      return this.found(merged);
    } catch (error) {
      throw dht.wrap(error);
    }
  }

  /** See `DHTCommunity.storeMany` (`bulk.ts`). */
  storeMany(items: readonly StoreItem[], options: StoreManyOptions): Promise<ManyResult<number>[]> {
    return storeMany(this.bulkHost(), items, options);
  }

  /** See `DHTCommunity.findMany` (`bulk.ts`). */
  findMany(keys: ReadonlyArray<string | Uint8Array>, options: FindManyOptions): Promise<ManyResult<FoundValue[]>[]> {
    return findMany(this.bulkHost(), keys, options);
  }

  private bulkHost(): BulkHost {
    const dht = this.dht;
    return {
      nodeId: dht.nodeId,
      k: dht.settings.bucketSize,
      alone: () => dht.routingTable.size === 0,
      find: (key, options, via) => this.find(key, options, via),
      lifetime: (options) => this.lifetime(options),
      makeRecord: (key, data, sign) => this.makeRecord(key, data, sign),
      publish: (records, lifetime, options) => this.publish(records, lifetime, { ...options, republish: true }),
      publishMany: (sets, signal) => this.publishMany(sets, signal),
      lookupNodes: (key, options) => dht.lookup(key, false, { ...options, kind: 'store' }),
      batchFinds: (publisher, signal) => dht.values.findBatcher(ValueFindMany, { records: true, publisher, signal }),
      maxDataBytes: dht.settings.maxDataBytes,
    };
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

/** Freshest first: latest expiry, then highest version (ties keep the id order). */
function freshestFirst<R extends { readonly version: number }>(records: ReadonlyArray<TimedRecord<R>>): Array<TimedRecord<R>> {
  return [...records].sort((a, b) => b.expiresAt - a.expiresAt || b.record.version - a.record.version);
}
