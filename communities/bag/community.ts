/**
 * BagCommunity: a set of signed values per key on the Kademlia DHT (qadom's `bag`, done safely). Bag
 * entries are a record type of the DHT's record engine: storage, quotas, fan-out, paging, replication and
 * persistence are the engine's; this file is the bag's API.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { TOKENS, communityIdFromName, toHex } from '../../framework/index.js';
import type { CommunityContext } from '../../framework/index.js';
import { DHTCommunity } from '../dht/index.js';
import type { PublishOutcome, RecordEngine, RecordVerdict } from '../dht/index.js';
import { RecordCommunity } from '../dht/records/record-community.js';
import { dhtKey, publisherMid } from '../dht/arguments.js';
import { BagError } from './errors.js';
import type { BagEntryWireValue } from './policy.js';
import { BagMessages, bagPolicy } from './policy.js';
import type { BagRecord } from './record.js';
import { entryId, signBagRecord } from './record.js';
import { pageOf, parseCursor } from './search.js';
import type { SearchOptions, SearchResult } from './search.js';
import type { BagSettings, ResolvedBagSettings } from './settings.js';
import { MAX_SEARCH_LIMIT, resolveBagSettings } from './settings.js';

/** The bag community's id: SHA-1 of `peerlay/bag/v1`. */
export const BAG_COMMUNITY_ID = communityIdFromName('peerlay/bag/v1');

/** Events of a {@link BagCommunity}. */
export interface BagEvents {
  /** This node, as a storer, accepted an entry (or tombstone) under `key`. */
  'entry:stored': [key: Uint8Array, verdict: RecordVerdict];
}

/** Options of {@link BagCommunity.add}. */
export interface AddOptions {
  /** Lifetime in ms; the entry is renewed before it ends while this node runs. @default `defaultTtlMs` (1 h) */
  ttlMs?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
}

/**
 * A set of values per key: anyone may add values, each signed by its publisher; only the publisher
 * can remove its own. Register it after {@link DHTCommunity}.
 *
 * @example
 * ```ts
 * host.register(DHTCommunity);
 * const bag = host.register(BagCommunity);
 * await host.start();
 * await bag.add('topic', utf8('hello'));
 * const { entries, cursor } = await bag.search('topic', { limit: 50 });
 * ```
 */
@injectable()
export class BagCommunity extends RecordCommunity<BagRecord, BagEntryWireValue, BagEvents> {
  /** Settings with defaults applied. */
  declare readonly settings: ResolvedBagSettings;
  private lastVersion = 0;

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link BagSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: BagSettings,
  ) {
    const s = resolveBagSettings(settings ?? {});
    super(ctx, BAG_COMMUNITY_ID, dht, s, {
      policy: bagPolicy({ maxValueBytes: s.maxValueBytes, maxEntriesPerKey: s.maxEntriesPerKey, maxPerGroupPerKey: s.maxPerGroupPerKey, maxTtlMs: s.maxTtlMs }, ctx.keys),
      messages: BagMessages,
      renew: (r, ttlMs) => this.sign(r.key, r.value, this.now() + ttlMs, false),
      onAccepted: (key, verdict) => this.emit('entry:stored', key, verdict),
      error: BagError,
    });
  }

  /** The bag's record engine (its store of entries, counters, this node's own entries). */
  get entries(): RecordEngine<BagRecord, BagEntryWireValue> {
    return this.engine;
  }

  /**
   * Adds `value` to the bag under `key` (re-adding refreshes it), stored on the k nodes closest to
   * `hashKey(key)`, and renewed before it expires while this node runs.
   * @returns how many nodes hold it, and every storer's verdict.
   * @throws {@link BagError} `too-large` / `invalid-ttl` / `invalid-value` / `invalid-key` before
   *   anything is sent; `rejected` when every storer refused (see `verdicts`); `no-nodes`; `aborted`; `stopped`.
   */
  add(key: string | Uint8Array, value: Uint8Array, options: AddOptions = {}): Promise<PublishOutcome> {
    return this.run(async () => {
      const ttlMs = this.checkTtl(options.ttlMs);
      const record = this.sign(dhtKey(key, BagError), this.checkValue(value), this.now() + ttlMs, false);
      return this.publishOwn(record, { ttlMs, republish: 'keep-alive', signal: options.signal }, 'add');
    });
  }

  /**
   * Removes this node's own entry `value` under `key`: stores a signed tombstone on the k closest nodes.
   * Nobody else can remove it, and a stale copy cannot bring it back.
   * @throws {@link BagError} as {@link BagCommunity.add}.
   */
  remove(key: string | Uint8Array, value: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<PublishOutcome> {
    return this.run(async () => {
      const k = dhtKey(key, BagError);
      const v = this.checkValue(value);
      const now = this.now();
      const mine = this.engine.own.get(`${toHex(k)}/${toHex(entryId(this.context.key.publicKey.toBinary(), v))}`);
      // The tombstone must outlive every copy of the entry: as long as our latest signed expiry.
      const expiresAt = mine !== undefined && mine.expiresAt > now ? mine.expiresAt : now + this.settings.maxTtlMs;
      if (mine !== undefined) this.engine.forget(mine.record);
      const tombstone = this.sign(k, v, expiresAt, true);
      return this.publishOwn(tombstone, { ttlMs: expiresAt - now, republish: 'never', signal: options.signal }, 'remove');
    });
  }

  /**
   * One page of the bag under `key`: verified entries, each (publisher, value) once, in a stable order.
   * Pass the returned `cursor` to get the next page; every entry is returned exactly once.
   * @throws {@link BagError} `invalid-limit`, `invalid-cursor`, `invalid-key`, `no-nodes`, `aborted`, `stopped`.
   */
  search(key: string | Uint8Array, options: SearchOptions = {}): Promise<SearchResult> {
    return this.run(async () => {
      const limit = options.limit ?? this.settings.defaultSearchLimit;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
        throw new BagError(`limit must be an integer in 1..${MAX_SEARCH_LIMIT}, got ${limit}`, 'invalid-limit');
      }
      const cursor = parseCursor(options.cursor);
      const read = await this.engine.read(dhtKey(key, BagError), { limit, cursor, publisher: publisherMid(options.publisher, BagError), signal: options.signal, local: options.local });
      if (read.asked > 0 && read.storers.length === 0 && read.records.length === 0) {
        options.signal?.throwIfAborted();
        throw new BagError('no storer answered the search; try again later', 'no-nodes');
      }
      return pageOf(read, limit, this.now(), this.context.keys);
    });
  }

  /**
   * Stores already signed entries or tombstones (anyone's; all under one key) on the k closest nodes.
   * A building block for relaying and tests. Never throws for a refusal: read the outcome's `verdicts`.
   */
  storeRecords(records: readonly BagRecord[], options: { signal?: AbortSignal } = {}): Promise<PublishOutcome> {
    return this.run(async () => {
      const first = records[0];
      if (first === undefined) return { acks: 0, stored: 0, keptHere: false, verdicts: {}, refusals: {} };
      const items = records.map((record) => ({ record, expiresAt: record.expiresAt }));
      return this.engine.client.publish(first.key, items, { signal: options.signal });
    });
  }

  /** This node's own live entries (latest signed records). */
  publishedRecords(): BagRecord[] {
    return [...this.engine.own.values()].map((p) => p.record);
  }

  /** Signs a fresh version of (key, value), above every version this node signed before. */
  private sign(key: Uint8Array, value: Uint8Array, expiresAt: number, removed: boolean): BagRecord {
    this.lastVersion = Math.max(this.now(), this.lastVersion + 1);
    return signBagRecord(this.context.key, { key, value, version: this.lastVersion, expiresAt, removed });
  }

  private checkValue(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new BagError('value must be a Uint8Array', 'invalid-value');
    if (value.length > this.settings.maxValueBytes) throw new BagError(`value of ${value.length} bytes exceeds maxValueBytes (${this.settings.maxValueBytes})`, 'too-large');
    return value;
  }
}
