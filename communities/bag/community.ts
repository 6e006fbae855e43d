/**
 * BagCommunity: a set of signed values per key on the Kademlia DHT (qadom's `bag`, done safely). Bag
 * entries are a record type of the DHT's record engine: storage, quotas, fan-out, paging, replication and
 * persistence are the engine's; this file is the bag's API.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { Community, PublicKey, TOKENS, communityIdFromName, toHex } from '../../framework/index.js';
import type { CommunityContext } from '../../framework/index.js';
import { DHTCommunity, DHTError, hashKey, KEY_BYTES, RecordEngine } from '../dht/index.js';
import type { PublishOutcome, RecordVerdict } from '../dht/index.js';
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
export class BagCommunity extends Community<BagEvents> {
  /** The communities this one needs registered first. */
  static override readonly requires = [DHTCommunity];
  /** Settings with defaults applied. */
  readonly settings: ResolvedBagSettings;
  /** The bag record type's engine: its store, server, client and upkeep. */
  readonly entries: RecordEngine<BagRecord, BagEntryWireValue>;
  private lastVersion = 0;

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link BagSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: BagSettings,
  ) {
    const resolved = resolveBagSettings(settings ?? {});
    super(ctx, BAG_COMMUNITY_ID, resolved);
    this.settings = resolved;
    const network = dht.network;
    this.entries = new RecordEngine({
      policy: bagPolicy(
        { maxValueBytes: resolved.maxValueBytes, maxEntriesPerKey: resolved.maxEntriesPerKey, maxPerGroupPerKey: resolved.maxPerGroupPerKey, maxTtlMs: resolved.maxTtlMs },
        ctx.keys,
      ),
      messages: BagMessages,
      community: this,
      network,
      request: (peer, spec, body, signal) => this.sendRequest(peer.address, spec, body, { signal, recipient: network.recipientKey(peer.id) }),
      clock: ctx.clock,
      random: ctx.random,
      timing: { ...resolved, republishIntervalMs: resolved.replicateIntervalMs },
      store: { ...resolved.store, datastore: resolved.datastore },
      renew: (r, ttlMs) => this.sign(r.key, r.value, this.now() + ttlMs, false),
      onAccepted: (key, verdict) => this.emit('entry:stored', key, verdict),
    });
    this.handle(BagMessages.FindRequest, (m) => this.entries.answerFind(m));
    this.handle(BagMessages.StoreRequest, (m) => this.entries.answerStore(m));
    this.handleResponses(BagMessages.Find);
    this.handleResponses(BagMessages.Store);
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
      const record = this.sign(location(key), this.checkValue(value), this.now() + ttlMs, false);
      return this.publish(record, ttlMs, 'keep-alive', options.signal, 'add');
    });
  }

  /**
   * Removes this node's own entry `value` under `key`: stores a signed tombstone on the k closest nodes.
   * Nobody else can remove it, and a stale copy cannot bring it back.
   * @throws {@link BagError} as {@link BagCommunity.add}.
   */
  remove(key: string | Uint8Array, value: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<PublishOutcome> {
    return this.run(async () => {
      const k = location(key);
      const v = this.checkValue(value);
      const now = this.now();
      const ownId = this.ownEntry(k, v);
      const mine = this.entries.own.get(ownId);
      // The tombstone must outlive every copy of the entry: as long as our latest signed expiry.
      const expiresAt = mine !== undefined && mine.expiresAt > now ? mine.expiresAt : now + this.settings.maxTtlMs;
      if (mine !== undefined) this.entries.forget(mine.record);
      const tombstone = this.sign(k, v, expiresAt, true);
      return this.publish(tombstone, expiresAt - now, 'never', options.signal, 'remove');
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
      const read = await this.entries.read(location(key), { limit, cursor, publisher: toMid(options.publisher), signal: options.signal, local: options.local });
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
      return this.entries.client.publish(first.key, items, { signal: options.signal });
    });
  }

  /** This node's own live entries (latest signed records). */
  publishedRecords(): BagRecord[] {
    return [...this.entries.own.values()].map((p) => p.record);
  }

  /**
   * The node's clock in whole ms. Times on the wire and in signatures are integers; a simulated clock can
   * stand between two ms.
   */
  now(): number {
    return Math.floor(this.context.clock.now());
  }

  /** Runs one upkeep round now (sweep, renew, replicate); it also runs every `maintenanceIntervalMs`. */
  maintain(): Promise<void> {
    return this.entries.maintain();
  }

  /** Requests time out after the community's `requestTimeoutMs` setting. */
  protected override get requestTimeoutMs(): number {
    return this.settings.requestTimeoutMs;
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    this.entries.start();
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.entries.stop();
  }

  private async publish(record: BagRecord, ttlMs: number, republish: 'keep-alive' | 'never', signal: AbortSignal | undefined, what: string): Promise<PublishOutcome> {
    const outcome = await this.entries.publish([record], { ttlMs, signal, republish });
    if (outcome.stored > 0) return outcome;
    signal?.throwIfAborted();
    if (Object.keys(outcome.verdicts).length === 0) throw new BagError(`no storer answered the ${what}; try again later`, 'no-nodes');
    throw new BagError(`every storer refused the ${what}: ${JSON.stringify(outcome.verdicts)}`, 'rejected', { verdicts: outcome.verdicts });
  }

  /** Signs a fresh version of (key, value), above every version this node signed before. */
  private sign(key: Uint8Array, value: Uint8Array, expiresAt: number, removed: boolean): BagRecord {
    this.lastVersion = Math.max(this.now(), this.lastVersion + 1);
    return signBagRecord(this.context.key, { key, value, version: this.lastVersion, expiresAt, removed });
  }

  private ownEntry(key: Uint8Array, value: Uint8Array): string {
    return `${toHex(key)}/${toHex(entryId(this.context.key.publicKey.toBinary(), value))}`;
  }

  private checkValue(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new BagError('value must be a Uint8Array', 'invalid-value');
    if (value.length > this.settings.maxValueBytes) throw new BagError(`value of ${value.length} bytes exceeds maxValueBytes (${this.settings.maxValueBytes})`, 'too-large');
    return value;
  }

  private checkTtl(ttl: number | undefined): number {
    const s = this.settings;
    const ttlMs = ttl ?? s.defaultTtlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < s.minTtlMs || ttlMs > s.maxTtlMs) {
      throw new BagError(`ttlMs must be an integer in [${s.minTtlMs}, ${s.maxTtlMs}], got ${ttlMs}`, 'invalid-ttl');
    }
    return ttlMs;
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    if (!this.isRunning) throw new BagError('the bag community is not running', 'stopped');
    try {
      return await op();
    } catch (error) {
      throw this.wrap(error);
    }
  }

  private wrap(error: unknown): Error {
    if (error instanceof BagError) return error;
    if (error instanceof DHTError) return new BagError(error.message, error.reason, { cause: error, verdicts: error.verdicts });
    if (error instanceof Error && error.name === 'AbortError') {
      return new BagError(this.isRunning ? 'operation aborted' : 'the bag community stopped', this.isRunning ? 'aborted' : 'stopped', { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function location(key: string | Uint8Array): Uint8Array {
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) throw new BagError(`key must be a string or a Uint8Array, got ${typeof key}`, 'invalid-key');
  return hashKey(key);
}

function toMid(publisher: PublicKey | Uint8Array | undefined): Uint8Array | undefined {
  if (publisher === undefined) return undefined;
  if (publisher instanceof PublicKey) return publisher.mid;
  if (publisher instanceof Uint8Array && publisher.length === KEY_BYTES) return publisher;
  throw new BagError('publisher must be a PublicKey or a 20-byte mid', 'invalid-key');
}
