/**
 * BagCommunity: a set of signed values per key on the Kademlia DHT (qadom's `bag`, done safely). Built by
 * composition on {@link DHTCommunity}: it reuses the DHT's routing table, lookups and store tokens.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { Community, TOKENS, addressKey, communityIdFromName } from '../../framework/index.js';
import type { Address, CommunityContext, Incoming, MessageSpec, PublicKey } from '../../framework/index.js';
import { DHTCommunity, DHTError, hashKey } from '../dht/index.js';
import type { FindReplyAnswer } from '../dht/index.js';
import { BagError } from './errors.js';
import { onSearch, onStore } from './handlers.js';
import { BagMaintenance } from './maintenance.js';
import { BagSearchRequest, BagSearchResponse, BagStoreRequest, BagStoreResponse } from './messages.js';
import type { BagVerdict } from './messages.js';
import { Publisher } from './publish.js';
import type { AddOptions, StoreOutcome } from './publish.js';
import type { BagRecord } from './record.js';
import { search } from './search.js';
import type { SearchOptions, SearchResult } from './search.js';
import type { BagSettings, ResolvedBagSettings } from './settings.js';
import { resolveBagSettings } from './settings.js';
import { BagStatistics } from './statistics.js';
import { BagStore } from './store.js';

/** The bag community's id: SHA-1 of `peerlay/bag/v1`. */
export const BAG_COMMUNITY_ID = communityIdFromName('peerlay/bag/v1');

/** Events of a {@link BagCommunity}. */
export interface BagEvents {
  /** This node, as a storer, accepted a record under `key`. */
  'entry:stored': [key: Uint8Array, verdict: BagVerdict];
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
  /** Settings with defaults applied. */
  readonly settings: ResolvedBagSettings;
  /** Records this node stores for others. */
  readonly store: BagStore;
  /** Counters for a status page. */
  readonly statistics = new BagStatistics();
  private readonly publisher: Publisher;
  private readonly maintenance: BagMaintenance;

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link BagSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) readonly dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: BagSettings,
  ) {
    const resolved = resolveBagSettings(settings ?? {});
    super(ctx, BAG_COMMUNITY_ID, resolved);
    this.settings = resolved;
    this.store = new BagStore(resolved, ctx.keys);
    this.publisher = new Publisher(this);
    this.maintenance = new BagMaintenance(this, this.publisher);
    this.handle(BagStoreRequest, (m) => onStore(this, m));
    this.handle(BagSearchRequest, (m) => onSearch(this, m));
    for (const spec of [BagStoreResponse, BagSearchResponse]) {
      this.handle(spec, (m: Incoming<{ id: bigint }>) => {
        this.requests.resolve(m.value.id, m, addressKey(m.from));
      });
    }
  }

  /**
   * Adds `value` to the bag under `key` (re-adding refreshes it), stored on the k nodes closest to
   * `hashKey(key)`, and republished before it expires while this node runs.
   * @returns how many nodes hold it, and every storer's verdict.
   * @throws {@link BagError} `too-large` / `invalid-ttl` / `invalid-value` / `invalid-key` before
   *   anything is sent; `rejected` when every storer refused (see `verdicts`); `no-nodes`; `aborted`; `stopped`.
   */
  add(key: string | Uint8Array, value: Uint8Array, options: AddOptions = {}): Promise<StoreOutcome> {
    return this.run(() => this.publisher.add(this.location(key), value, options));
  }

  /**
   * Removes this node's own entry `value` under `key`: stores a signed tombstone on the k closest nodes.
   * Nobody else can remove it, and a stale copy cannot bring it back.
   * @throws {@link BagError} as {@link BagCommunity.add}.
   */
  remove(key: string | Uint8Array, value: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<StoreOutcome> {
    return this.run(() => this.publisher.remove(this.location(key), value, options.signal));
  }

  /**
   * One page of the bag under `key`: verified entries, each (publisher, value) once, in a stable order.
   * Pass the returned `cursor` to get the next page; every entry is returned exactly once.
   * @throws {@link BagError} `invalid-limit`, `invalid-cursor`, `no-nodes`, `aborted`, `stopped`.
   */
  search(key: string | Uint8Array, options: SearchOptions = {}): Promise<SearchResult> {
    return this.run(() => search(this, this.location(key), options));
  }

  /**
   * Stores already signed records (entries or tombstones, anyone's) under the 20-byte `key` on the k
   * closest nodes. A building block: relaying, tests. Never throws for a refusal; read `verdicts`.
   */
  storeRecords(key: Uint8Array, records: readonly BagRecord[], options: { signal?: AbortSignal } = {}): Promise<StoreOutcome> {
    return this.run(() => this.publisher.storeRecords(key, records, options.signal));
  }

  /** This node's own live entries (`keyHex/idHex` → latest signed record). */
  publishedRecords(): BagRecord[] {
    return [...this.publisher.published.values()].map((p) => p.record);
  }

  /**
   * The node's clock in whole ms. Times on the wire and in signatures are integers; a simulated clock can
   * stand between two ms.
   */
  now(): number {
    return Math.floor(this.context.clock.now());
  }

  /** Runs one upkeep round now (sweep, republish, replicate); it also runs every `maintenanceIntervalMs`. */
  maintain(): Promise<void> {
    return this.maintenance.tick();
  }

  /** The k nodes closest to `key` that answered, with their store tokens for us. */
  async closestNodes(key: Uint8Array, signal?: AbortSignal): Promise<FindReplyAnswer[]> {
    return this.dht.findClosestNodes(key, { signal });
  }

  /** Requests time out after the community's `requestTimeoutMs` setting. */
  protected override get requestTimeoutMs(): number {
    return this.settings.requestTimeoutMs;
  }

  /** Maps DHT and framework errors to {@link BagError}s. */
  wrap(error: unknown): Error {
    if (error instanceof BagError) return error;
    if (error instanceof DHTError) {
      const reason = error.reason === 'no-nodes' || error.reason === 'aborted' || error.reason === 'stopped' ? error.reason : 'no-nodes';
      return new BagError(error.message, reason, { cause: error });
    }
    if (error instanceof Error && error.name === 'AbortError') {
      return new BagError(this.isRunning ? 'operation aborted' : 'the bag community stopped', this.isRunning ? 'aborted' : 'stopped', { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    this.maintenance.start();
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.maintenance.stop();
  }

  private location(key: string | Uint8Array): Uint8Array {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) throw new BagError(`key must be a string or a Uint8Array, got ${typeof key}`, 'invalid-key');
    return hashKey(key);
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    if (!this.isRunning) throw new BagError('the bag community is not running', 'stopped');
    try {
      return await op();
    } catch (error) {
      throw this.wrap(error);
    }
  }
}
