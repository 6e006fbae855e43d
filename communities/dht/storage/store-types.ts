/**
 * Options, verdicts and views of the {@link ValueStore}.
 * @module
 */
import type { PublicKeyCache, ValueRecord } from './value-record.js';
import type { ValueStore } from './value-store.js';

/** Default cap on unsigned records kept under one key. */
export const DEFAULT_MAX_UNSIGNED_PER_KEY = 64;
/** Default cap on distinct keys held. */
export const DEFAULT_MAX_KEYS = 10_000;
/** Default cap on records held over all keys. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Default cap on records held on behalf of one source (IP group): a tenth of {@link DEFAULT_MAX_ENTRIES}. */
export const DEFAULT_MAX_ENTRIES_PER_SOURCE = 10_000;
/** Default cap on data bytes held on behalf of one source (IP group): 4 MiB. */
export const DEFAULT_MAX_BYTES_PER_SOURCE = 4 * 1_024 * 1_024;
/** Default longest time a record is kept: 24 hours. */
export const DEFAULT_MAX_TTL_MS = 24 * 60 * 60_000;

/** Limits of a {@link ValueStore}. */
export interface ValueStoreOptions {
  /** Largest accepted `data`, in bytes. @default 1024 (`DEFAULT_MAX_DATA_BYTES`) */
  maxDataBytes?: number;
  /** Most unsigned records kept under one key. @default 64 ({@link DEFAULT_MAX_UNSIGNED_PER_KEY}) */
  maxUnsignedPerKey?: number;
  /** Most distinct keys held. @default 10_000 ({@link DEFAULT_MAX_KEYS}) */
  maxKeys?: number;
  /** Most records held over all keys. @default 100_000 ({@link DEFAULT_MAX_ENTRIES}) */
  maxEntries?: number;
  /**
   * Most records held on behalf of one source (the `source` given to {@link ValueStore.put}, the storing
   * node's IP group). @default 10_000 ({@link DEFAULT_MAX_ENTRIES_PER_SOURCE})
   */
  maxEntriesPerSource?: number;
  /** Most data bytes held on behalf of one source. @default 4_194_304 (4 MiB, {@link DEFAULT_MAX_BYTES_PER_SOURCE}) */
  maxBytesPerSource?: number;
  /** Longer TTLs are cut to this, in ms. @default 86_400_000 (24 h, {@link DEFAULT_MAX_TTL_MS}) */
  maxTtlMs?: number;
  /** Parsed public keys, to skip re-parsing a publisher's key binary. @default undefined (parse every time) */
  keyCache?: PublicKeyCache;
}

/**
 * Outcome of {@link ValueStore.put}:
 * - `stored`: a new record; `updated`: a higher version replaced a publisher's record;
 * - `refreshed`: the same record again, its expiry extended;
 * - `stale-version`: a lower version, or the same version with different data (the first one wins);
 * - `bad-signature`: the signature does not verify; `invalid`: a malformed field;
 * - `too-large`: data over `maxDataBytes`; `expired`: a TTL <= 0;
 * - `full`: a per-key or global cap is reached;
 * - `quota`: the source that sent it already holds its share (`maxEntriesPerSource`/`maxBytesPerSource`).
 */
export type StoreVerdict =
  | 'stored'
  | 'updated'
  | 'refreshed'
  | 'stale-version'
  | 'bad-signature'
  | 'too-large'
  | 'full'
  | 'expired'
  | 'invalid'
  | 'quota';

/**
 * Why a node holds a record: `store` when asked directly to store it, `cache` when cached along a lookup
 * path, `local` when this node published it. A stronger origin (`local` > `store` > `cache`) is never
 * downgraded by a weaker one.
 */
export type ValueOrigin = 'store' | 'cache' | 'local';

/** A record as held by a {@link ValueStore} (a snapshot: changing it does not change the store). */
export interface StoredValue {
  /** The record. */
  readonly record: ValueRecord;
  /** When it expires (ms since the epoch); it is served only while `now < expiresAt`. */
  readonly expiresAt: number;
  /** When this version of the record was first stored (ms since the epoch). */
  readonly storedAt: number;
  /** Why this node holds it. */
  readonly origin: ValueOrigin;
  /** When it was last replicated to other nodes (initially when stored). */
  readonly lastReplicatedAt: number;
}
