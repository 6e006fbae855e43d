/**
 * ImmutableCommunity: content-addressed immutable values on the Kademlia DHT (qadom's `set(value)`,
 * BitTorrent BEP 44 immutable items). The key is the hash of the value, so any node checks a value against
 * its key and no signature is needed. A value of up to 8 KiB is cut into 512-byte chunks, each a record of
 * the DHT's record engine at the key's location; every datagram of the community is at most 1,280 bytes.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { TOKENS, communityIdFromName, equalBytes, toHex } from '../../framework/index.js';
import type { Address, CommunityContext } from '../../framework/index.js';
import { DHTCommunity } from '../dht/index.js';
import type { PublishOutcome, RecordEngine, RecordNetwork, RecordSettings, RecordVerdict } from '../dht/index.js';
import { RecordCommunity } from '../dht/records/record-community.js';
import { resolveRecordSettings } from '../dht/records/record-settings.js';
import { chunkValue, formatImmutableKey, locationOf, MAX_CHUNKS, MAX_IMMUTABLE_VALUE_BYTES, parseImmutableKey } from './chunks.js';
import { ChunkCollector } from './collector.js';
import { IMMUTABLE_MAX_DATAGRAM_BYTES, limitDatagrams } from './datagram.js';
import { ImmutableError } from './errors.js';
import { fetchChunks } from './fetch.js';
import type { ReadChunks } from './fetch.js';
import type { ImmutableChunk, ImmutableChunkWireValue } from './policy.js';
import { ImmutableValueCache } from './value-cache.js';
import { ImmutableMessages, immutablePolicy } from './policy.js';

/** The immutable community's id: SHA-1 of `peerlay/immutable/v1`. */
export const IMMUTABLE_COMMUNITY_ID = communityIdFromName('peerlay/immutable/v1');

/**
 * Settings of an {@link ImmutableCommunity}, given to `host.register(ImmutableCommunity, settings)`: the
 * lifetimes, upkeep, store caps and datastore every record type shares (default lifetime 1 h, at most 24 h).
 */
export type ImmutableSettings = RecordSettings;

/** Events of an {@link ImmutableCommunity}. */
export interface ImmutableEvents {
  /** This node, as a storer, accepted a chunk of the value at `location`. */
  'chunk:stored': [location: Uint8Array, verdict: RecordVerdict];
}

/** Options of {@link ImmutableCommunity.put}. */
export interface PutImmutableOptions {
  /** Lifetime in ms; the value is re-stored before it ends while this node runs. @default `defaultTtlMs` (1 h) */
  ttlMs?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
}

/** Options of {@link ImmutableCommunity.get}. */
export interface GetImmutableOptions {
  /** Cancels the read. */
  signal?: AbortSignal;
  /** Only this node's own store (no network). @default false */
  local?: boolean;
  /** Answer from the local cache of fetched values when it holds this one (see `valueCache`). @default true */
  cache?: boolean;
}

/** What {@link ImmutableCommunity.put} did. */
export interface PutImmutableResult extends PublishOutcome {
  /** The value's key, spelled `imm:` and 64 hex digits. */
  readonly key: string;
  /** How many chunks (records) the value was cut into. */
  readonly chunks: number;
}

/**
 * Content-addressed immutable values: `put(value)` returns the key, `get(key)` returns the value, checked
 * against the key. Register it after {@link DHTCommunity}.
 *
 * @example
 * ```ts
 * host.register(DHTCommunity);
 * const immutable = host.register(ImmutableCommunity);
 * await host.start();
 * const { key } = await immutable.put(utf8('hello'));
 * await immutable.get(key); // the bytes of 'hello', or undefined
 * ```
 */
@injectable()
export class ImmutableCommunity extends RecordCommunity<ImmutableChunk, ImmutableChunkWireValue, ImmutableEvents> {
  private readonly network: RecordNetwork;

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link ImmutableSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: ImmutableSettings,
  ) {
    const s = resolveRecordSettings(settings ?? {}, ImmutableError);
    // Every datagram of this community, sent or accepted, is at most 1,280 bytes: the engine sizes its store
    // batches and find pages to the limited transport.
    super(limitDatagrams(ctx, IMMUTABLE_MAX_DATAGRAM_BYTES), IMMUTABLE_COMMUNITY_ID, dht, s, {
      policy: immutablePolicy(s.maxTtlMs),
      messages: ImmutableMessages,
      onAccepted: (location, verdict) => this.emit('chunk:stored', location, verdict),
      error: ImmutableError,
    });
    this.network = dht.network;
  }

  /** The community's record engine (its store of chunks, counters, this node's own chunks). */
  get chunks(): RecordEngine<ImmutableChunk, ImmutableChunkWireValue> {
    return this.engine;
  }

  /**
   * Values this node fetched, answered again without a packet for up to 10 minutes (256 values, 2 MiB). Safe,
   * unlike a cache of mutable values: a value matches its key, so a cached copy is never an old version.
   */
  readonly valueCache = new ImmutableValueCache();

  /**
   * Stores `value` on the k nodes closest to its key's location (and here, when this node is one of them),
   * re-stored before it expires while this node runs.
   * @returns the key, the number of chunks, how many nodes hold at least one chunk, and every chunk verdict.
   * @throws {@link ImmutableError} `invalid-value` (not bytes), `too-large` (over 8 KiB), `invalid-ttl`
   *   before anything is sent; `rejected` when every storer refused; `no-nodes`; `aborted`; `stopped`.
   */
  put(value: Uint8Array, options: PutImmutableOptions = {}): Promise<PutImmutableResult> {
    return this.run(async () => {
      if (!(value instanceof Uint8Array)) throw new ImmutableError('value must be a Uint8Array', 'invalid-value');
      if (value.length > MAX_IMMUTABLE_VALUE_BYTES) {
        throw new ImmutableError(`value of ${value.length} bytes exceeds the ${MAX_IMMUTABLE_VALUE_BYTES}-byte limit of immutable values`, 'too-large');
      }
      const ttlMs = this.checkTtl(options.ttlMs);
      const c = chunkValue(value);
      const location = locationOf(c.key);
      const records = c.chunks.map((chunk, index): ImmutableChunk => ({ location, index, length: c.length, hashes: c.hashes, chunk }));
      // A node that knows no other keeps its value itself, and offers it to the others once it knows some.
      const nodes = this.network.isAlone ? [] : undefined;
      const outcome = await this.publishOwnAll(records, { ttlMs, republish: 'keep-alive', signal: options.signal, nodes }, 'put');
      return { key: formatImmutableKey(c.key), chunks: records.length, ...outcome };
    });
  }

  /**
   * Fetches the value under `key`: this node's chunks, then the storers' (the closest storer's first page,
   * then the missing chunks from up to 4 storers at once, each for its own range, then any still missing
   * from the others; see `fetch.ts`) until every chunk is here. Each chunk is checked against the key, and
   * the whole value again: a chunk that fails is dropped and counted (`chunks.statistics.recordsRejected`),
   * and a value that does not match its key is never returned.
   * @param key `imm:` and 64 hex digits (as {@link ImmutableCommunity.put} returns it), or the 32 key bytes.
   * @returns the value, or `undefined` when no storer asked holds it whole.
   * @throws {@link ImmutableError} `invalid-key`; `unreachable` when storers were found but none answered;
   *   `no-nodes`; `aborted`; `stopped`.
   */
  get(key: string | Uint8Array, options: GetImmutableOptions = {}): Promise<Uint8Array | undefined> {
    return this.run(async () => {
      const k = parseImmutableKey(key);
      if (k === undefined) throw new ImmutableError('key must be "imm:" and 64 hex digits, or 32 bytes', 'invalid-key');
      const location = locationOf(k);
      const keyHex = toHex(k);
      const useCache = options.cache !== false && options.local !== true;
      const cached = useCache ? this.valueCache.get(keyHex, this.now()) : undefined;
      if (cached !== undefined) return cached;
      const collector = new ChunkCollector(k);
      // The value lives on the network until its first chunk expires: the cache keeps it no longer.
      let expiresAt = Number.POSITIVE_INFINITY;
      try {
        for (const held of this.engine.localRecords(location, undefined)) {
          collector.offer(held.record);
          expiresAt = Math.min(expiresAt, held.expiresAt);
        }
        if (collector.complete || options.local === true || this.network.isAlone) return collector.value();
        const nodes = await this.network.findClosestNodes(location, { signal: options.signal });
        const read: ReadChunks = async (peer, limit, cursor) => {
          const page = await this.engine.client.read(peer, location, limit, { cursor, signal: options.signal });
          for (const r of page.records) expiresAt = Math.min(expiresAt, r.expiresAt);
          return { chunks: page.records.map((r) => r.record), lastIndex: page.lastId?.[0], exhausted: page.exhausted };
        };
        const answered = await fetchChunks(nodes.map((n) => n.peer), collector, read, MAX_CHUNKS, options.signal);
        if (!collector.complete && nodes.length > 0 && answered === 0) {
          throw new ImmutableError(`none of the ${nodes.length} storers of ${formatImmutableKey(k)} answered; try again later`, 'unreachable');
        }
        const value = collector.value();
        if (value !== undefined && useCache) this.valueCache.put(keyHex, value, this.now(), expiresAt);
        return value;
      } finally {
        this.engine.statistics.recordsRejected += collector.rejected;
      }
    });
  }

  /** Stops re-storing the value under `key` (stored copies expire with their lifetime). @returns true if it was this node's. */
  forget(key: string | Uint8Array): boolean {
    const k = parseImmutableKey(key);
    if (k === undefined) throw new ImmutableError('key must be "imm:" and 64 hex digits, or 32 bytes', 'invalid-key');
    const location = locationOf(k);
    this.valueCache.forget(toHex(k));
    let forgotten = false;
    for (const own of [...this.engine.own.values()]) {
      if (equalBytes(own.record.location, location)) {
        this.engine.forget(own.record);
        forgotten = true;
      }
    }
    return forgotten;
  }

  /** Drops any datagram over {@link IMMUTABLE_MAX_DATAGRAM_BYTES} (counted as `oversized`) before it is parsed. */
  override receive(data: Uint8Array, messageId: number, from: Address): void {
    if (data.length > IMMUTABLE_MAX_DATAGRAM_BYTES) return this.drop('oversized', from);
    super.receive(data, messageId, from);
  }
}
