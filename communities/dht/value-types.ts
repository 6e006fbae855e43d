/**
 * The option and result types of the DHT's value operations (`storeValue`, `storeRecord`, `findValues`,
 * the batch forms).
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import type { DHTError } from './errors.js';
import type { LookupListener } from './lookup-events.js';

/** Options of `storeValue`. */
export interface StoreOptions {
  /** Receives the events of the call's lookup, hop by hop (see `LookupEvent`). */
  onEvent?: LookupListener;
  /** Sign the value with the node's key: authentic, newest version per publisher wins. @default false */
  sign?: boolean;
  /** Lifetime in ms. @default the community's `defaultTtlMs` (24 h) */
  ttlMs?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
  /** Disjoint lookup paths for this call (see `DHTSettings.disjointPaths`). @default settings.disjointPaths */
  disjointPaths?: number;
}

/** Options of `storeRecord`. */
export interface StoreRecordOptions {
  /** Receives the events of the call's lookup, hop by hop (see `LookupEvent`). */
  onEvent?: LookupListener;
  /** Lifetime in ms. @default the community's `defaultTtlMs` (24 h) */
  ttlMs?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
  /** Disjoint lookup paths for this call (see `DHTSettings.disjointPaths`). @default settings.disjointPaths */
  disjointPaths?: number;
  /**
   * Republish the record from this node every `republishIntervalMs`, as `storeValue` does. Turn it off for
   * a record this node keeps as its own elsewhere. @default true
   */
  republish?: boolean;
}

/** Options of `findValues`. */
export interface FindOptions {
  /** Receives the events of the call's lookup, hop by hop (see `LookupEvent`). */
  onEvent?: LookupListener;
  /** Cancels the lookup. */
  signal?: AbortSignal;
  /** Disjoint lookup paths for this call (see `DHTSettings.disjointPaths`). @default settings.disjointPaths */
  disjointPaths?: number;
  /** Most values returned. @default 100 */
  limit?: number;
  /**
   * Only the values of this publisher (its key, or its 20-byte mid): what a reader of an open key asks
   * when it knows whose value it wants, however many others published there.
   */
  publisher?: PublicKey | Uint8Array;
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
  /** Lifetime in ms. */
  readonly ttlMs?: number;
}

/** The result of one item of a batch. */
export type ManyResult<T> = { ok: true; value: T } | { ok: false; error: DHTError };
