/**
 * The option and result types of the DHT's value operations (`storeValue`, `publishRecord`,
 * `findValues`, the batch forms).
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import type { DHTError } from './errors.js';
import type { ValueRecord } from './storage/value-record.js';

/** Options of `storeValue`. */
export interface StoreOptions {
  /** Sign the value with the node's key: authentic, newest version per publisher wins. @default false */
  sign?: boolean;
  /** Lifetime in seconds. @default the community's `defaultTtlMs` (24 h) */
  ttl?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
  /** Disjoint lookup paths for this call (see `DHTSettings.disjointPaths`). @default settings.disjointPaths */
  disjointPaths?: number;
}

/** Options of `publishRecord`. */
export interface PublishRecordOptions {
  /** Lifetime in seconds. @default the community's `defaultTtlMs` (24 h) */
  ttl?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
  /** Disjoint lookup paths for this call (see `DHTSettings.disjointPaths`). @default settings.disjointPaths */
  disjointPaths?: number;
  /**
   * Republish the record from this node every `republishIntervalMs`, as `storeValue` does. Turn it off for
   * a record this node keeps in its own store as a `local` value: replication re-offers those already.
   * @default true
   */
  republish?: boolean;
}

/** Options of `findValues`. */
export interface FindOptions {
  /** Cancels the lookup. */
  signal?: AbortSignal;
  /** Disjoint lookup paths for this call (see `DHTSettings.disjointPaths`). @default settings.disjointPaths */
  disjointPaths?: number;
  /** Most values returned. @default 100 */
  limit?: number;
}

/** One value found. */
export interface FoundValue {
  /** The value's bytes. */
  readonly data: Uint8Array;
  /** The publisher, for signed values; `null` for unsigned ones. */
  readonly publicKey: PublicKey | null;
  /** The publisher's version (0 for unsigned values). */
  readonly version: number;
  /** When the value expires (ms since the epoch, on the node's clock). */
  readonly expiresAt: number;
}

/** One item of `storeMany`. */
export interface StoreItem {
  /** The key. */
  readonly key: string | Uint8Array;
  /** The data. */
  readonly data: Uint8Array;
  /** Sign it. @default false */
  readonly sign?: boolean;
  /** Lifetime in seconds. */
  readonly ttl?: number;
}

/** The result of one item of a batch. */
export type ManyResult<T> = { ok: true; value: T } | { ok: false; error: DHTError };

/** A value this node published, kept for republishing. */
export interface Published {
  /** The signed or unsigned record as published. */
  record: ValueRecord;
  /** When it expires (ms); republishing never extends this. */
  expiresAt: number;
  /** When it was last stored to the k closest (ms). */
  lastPublished: number;
}
