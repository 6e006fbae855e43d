/**
 * The local cache of found values (hivemind's `cache_locally` and `cache_refresh_before_expiry`): what a
 * `findValues` found is kept, bounded in entries and bytes (least recently used first out), and a repeated
 * find of the same key (and publisher filter) is answered from it without a packet while it is fresh: no
 * value has expired and it is younger than `maxAgeMs`. An entry read from the cache since it was fetched is
 * fetched again in the background `refreshBeforeMs` before it goes stale, so keys read often stay instant.
 *
 * A cached answer is stale when someone published a newer version (or a new value) under the key after
 * we cached it: it is seen at the latest `maxAgeMs` after the fetch. `latest: true` and `cache: false`
 * skip the cache; this node's own stores drop its entries for the key.
 * @module
 */
import type { Clock, TimerHandle } from '../../framework/index.js';
import { InvalidArgumentError, toHex } from '../../framework/index.js';
import type { FoundValue } from './value-types.js';

/** Settings of the local value cache (`DHTSettings.valueCache`). */
export interface ValueCacheSettings {
  /**
   * Keep found values and answer repeated finds from them. Off by default: DHT values are mutable, and a
   * cached answer can hide an update for up to `maxAgeMs` (see docs/dht-values.md). @default false
   */
  enabled?: boolean;
  /** Most keys (with their publisher filter) held. @default 1_024 */
  maxEntries?: number;
  /** Most bytes held (data, keys and signatures, estimated). @default 1_048_576 */
  maxBytes?: number;
  /** A cached answer is used at most this long after it was fetched, in ms. @default 60_000 */
  maxAgeMs?: number;
  /** An entry read from the cache is fetched again this long before it goes stale, in ms. @default 5_000 */
  refreshBeforeMs?: number;
  /** Most background refreshes running at once (a refresh due while all run is skipped). @default 4 */
  maxRefreshing?: number;
}

/** {@link ValueCacheSettings} with defaults applied. */
export type ResolvedValueCacheSettings = Required<ValueCacheSettings>;

/** Applies defaults and checks ranges. @throws `InvalidArgumentError` for a value out of range. */
export function resolveValueCacheSettings(s: ValueCacheSettings): ResolvedValueCacheSettings {
  const r: ResolvedValueCacheSettings = {
    enabled: s.enabled ?? false,
    maxEntries: s.maxEntries ?? 1_024,
    maxBytes: s.maxBytes ?? 1_048_576,
    maxAgeMs: s.maxAgeMs ?? 60_000,
    refreshBeforeMs: s.refreshBeforeMs ?? 5_000,
    maxRefreshing: s.maxRefreshing ?? 4,
  };
  for (const name of ['maxEntries', 'maxBytes', 'maxAgeMs', 'maxRefreshing'] as const) {
    if (!Number.isSafeInteger(r[name]) || r[name] <= 0) throw new InvalidArgumentError(`setting valueCache.${name} must be a positive integer, got ${String(r[name])}`);
  }
  if (!Number.isSafeInteger(r.refreshBeforeMs) || r.refreshBeforeMs < 0 || r.refreshBeforeMs >= r.maxAgeMs) {
    throw new InvalidArgumentError(`setting valueCache.refreshBeforeMs must be an integer in [0, maxAgeMs), got ${String(r.refreshBeforeMs)}`);
  }
  if (typeof r.enabled !== 'boolean') throw new InvalidArgumentError(`setting valueCache.enabled must be a boolean, got ${typeof r.enabled}`);
  return r;
}

/** The cache's counters (the DHT's statistics). */
export interface ValueCacheCounters {
  /** Finds answered from the cache. */
  cacheHits: number;
  /** Finds that could have been answered from the cache and went to the network. */
  cacheMisses: number;
  /** Background refreshes started. */
  cacheRefreshes: number;
}

/** What the cache needs of its node. */
export interface ValueCacheHost {
  /** The node's clock. */
  readonly clock: Pick<Clock, 'now'>;
  /** A timer the node's stop clears. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer. */
  cancel(handle: TimerHandle | undefined): void;
  /** Counters. */
  readonly counters: ValueCacheCounters;
  /** Finds `key` again on the network (for `publisher`, up to `limit`) and puts the answer in the cache. */
  refresh(key: Uint8Array, publisher: Uint8Array | undefined, limit: number): Promise<void>;
}

interface Entry {
  readonly key: Uint8Array;
  readonly publisher: Uint8Array | undefined;
  readonly values: readonly FoundValue[];
  /** True when `values` is everything the network gave (fewer than the limit asked for). */
  readonly complete: boolean;
  readonly limit: number;
  readonly bytes: number;
  readonly staleAt: number;
  hits: number;
  timer: TimerHandle | undefined;
}

/** Bytes an entry holds beyond its data: a public key, a signature and the bookkeeping, per value. */
const VALUE_OVERHEAD_BYTES = 74 + 64 + 48;

/** The local cache of found values of one node. */
export class ValueCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private refreshing = 0;

  /** @param settings limits and timing. @param host the node, through what the cache needs of it. */
  constructor(
    readonly settings: ResolvedValueCacheSettings,
    private readonly host: ValueCacheHost,
  ) {}

  /** Keys held. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held (estimated). */
  get byteSize(): number {
    return this.bytes;
  }

  /**
   * The cached answer for `key` (and `publisher`), when fresh and holding at least `limit` values or all
   * there were. Counts a hit or a miss; a hit arms the entry's refresh.
   */
  get(key: Uint8Array, publisher: Uint8Array | undefined, limit: number): FoundValue[] | undefined {
    const id = entryId(key, publisher);
    const entry = this.entries.get(id);
    const now = this.host.clock.now();
    if (entry === undefined || now >= entry.staleAt || (!entry.complete && entry.values.length < limit)) {
      if (entry !== undefined && now >= entry.staleAt) this.remove(id);
      this.host.counters.cacheMisses++;
      return undefined;
    }
    this.entries.delete(id); // most recently used last
    this.entries.set(id, entry);
    entry.hits++;
    this.host.counters.cacheHits++;
    if (entry.timer === undefined && this.settings.refreshBeforeMs > 0) {
      const at = entry.staleAt - this.settings.refreshBeforeMs;
      entry.timer = this.host.after(Math.max(0, at - now), () => this.refresh(id, entry));
    }
    return entry.values.slice(0, limit);
  }

  /**
   * Keeps what a find returned for `key` (asked with `limit`). An empty answer is not kept (a value
   * published next would stay invisible), and drops what was held.
   */
  put(key: Uint8Array, publisher: Uint8Array | undefined, values: readonly FoundValue[], limit: number): void {
    const id = entryId(key, publisher);
    this.remove(id);
    if (values.length === 0) return;
    const now = this.host.clock.now();
    const staleAt = Math.min(now + this.settings.maxAgeMs, ...values.map((v) => v.expiresAt));
    const bytes = values.reduce((sum, v) => sum + v.data.length + VALUE_OVERHEAD_BYTES, key.length);
    if (staleAt <= now || bytes > this.settings.maxBytes) return;
    this.entries.set(id, { key, publisher, values, complete: values.length < limit, limit, bytes, staleAt, hits: 0, timer: undefined });
    this.bytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.settings.maxEntries && this.bytes <= this.settings.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** Drops every entry of `key` (any publisher filter): this node just stored a value there. */
  invalidate(key: Uint8Array): void {
    const prefix = `${toHex(key)}/`;
    for (const id of [...this.entries.keys()]) if (id.startsWith(prefix)) this.remove(id);
  }

  /** Drops everything and cancels the refresh timers. */
  clear(): void {
    for (const id of [...this.entries.keys()]) this.remove(id);
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.host.cancel(entry.timer);
    this.entries.delete(id);
    this.bytes -= entry.bytes;
  }

  private refresh(id: string, entry: Entry): void {
    entry.timer = undefined;
    if (this.entries.get(id) !== entry || entry.hits === 0 || this.refreshing >= this.settings.maxRefreshing) return;
    this.refreshing++;
    this.host.counters.cacheRefreshes++;
    void this.host
      .refresh(entry.key, entry.publisher, entry.limit)
      .catch(() => undefined)
      .finally(() => {
        this.refreshing--;
      });
  }
}

function entryId(key: Uint8Array, publisher: Uint8Array | undefined): string {
  return `${toHex(key)}/${publisher === undefined ? '*' : toHex(publisher)}`;
}
