/**
 * The option and result types of the DHT's value operations (`storeValue`, `storeRecord`, `findValues`,
 * the batch forms).
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import type { DHTError } from './errors.js';
import type { LookupListener } from './lookup-events.js';
import type { LookupPeer, LookupResult } from './lookup.js';
import type { FindReply } from './types.js';

/** Options of `storeValue`. */
export interface StoreOptions {
  /** Receives the events of the call's lookup, hop by hop (see `LookupEvent`). */
  onEvent?: LookupListener;
  /** Sign the value with the node's key: authentic, newest version per publisher wins. @default false */
  sign?: boolean;
  /** Lifetime in ms (at most `maxLifetimeMs`); not with `expiresAt`. @default the community's `defaultTtlMs` (24 h) */
  ttlMs?: number;
  /**
   * When the value expires, in ms since the epoch on this node's clock (hivemind's `expiration_time`); not
   * with `ttlMs`. At most `maxLifetimeMs` (30 days) ahead; beyond `maxTtlMs` (24 h) storers keep it for
   * `maxTtlMs` and this node renews it before each grant ends, until `expiresAt`, while it runs.
   */
  expiresAt?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
  /** Disjoint lookup paths for this call (see `DHTSettings.disjointPaths`). @default settings.disjointPaths */
  disjointPaths?: number;
}

/** Options of `storeRecord`. */
export interface StoreRecordOptions {
  /** Receives the events of the call's lookup, hop by hop (see `LookupEvent`). */
  onEvent?: LookupListener;
  /** Lifetime in ms (at most `maxLifetimeMs`); not with `expiresAt`. @default the community's `defaultTtlMs` (24 h) */
  ttlMs?: number;
  /**
   * When the value expires, in ms since the epoch on this node's clock (hivemind's `expiration_time`); not
   * with `ttlMs`. At most `maxLifetimeMs` (30 days) ahead; beyond `maxTtlMs` (24 h) storers keep it for
   * `maxTtlMs` and this node renews it before each grant ends, until `expiresAt`, while it runs.
   */
  expiresAt?: number;
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
  /**
   * The freshest values the network has: the lookup does not stop at the first answers but asks every
   * one of the k closest nodes it reaches, and the result is ordered freshest first (latest expiry, then
   * highest version), so `values[0]` is the freshest. Skips the local cache (and refills it). @default false
   */
  latest?: boolean;
  /** Answer from the local cache when it holds a fresh answer (see `DHTSettings.valueCache`). @default true */
  cache?: boolean;
  /**
   * Return as soon as one plausible storer answered: a node that says it holds the values as a storer
   * (not as a cache) and that ranks among the k / 2 nodes nearest the key of all the nodes seen so far
   * (not a suspect of a dense cluster of ground ids). Its values (every page, verified) and ours are the
   * result. The lookup goes on in the background to the usual quorum, refills the local cache with the
   * quorum's answer and calls `onQuorum`; so a later find answered from the cache, or `onQuorum`, sees a
   * newer version that this storer missed. Saves about one round trip (see `docs/performance.md`); the
   * price is that the result rests on one storer's word for freshness (authenticity is checked as ever).
   * Not with `latest`. @default false
   */
  first?: boolean;
  /**
   * With `first`: called once with the lookup's values (merged, newest version per publisher, as a find
   * without `first` returns them) when the lookup ends, also when no storer answered first and the find
   * returned them itself; not called when the lookup fails (the node stopped, the signal fired).
   */
  onQuorum?: (values: FoundValue[]) => void;
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
  /** Lifetime in ms; not with `expiresAt`. */
  readonly ttlMs?: number;
  /** When it expires, in ms since the epoch; not with `ttlMs`. */
  readonly expiresAt?: number;
}

/** Options of `storeMany`. */
export interface StoreManyOptions {
  /** Cancels every store. */
  signal?: AbortSignal;
  /** Stores in flight at once. @default 8 */
  concurrency?: number;
}

/** Options of `findMany`: those of `findValues` for every key, and how many run at once. */
export interface FindManyOptions extends FindOptions {
  /** Finds in flight at once (started together, in waves). @default 8 */
  concurrency?: number;
  /**
   * Ask a node about several keys in one multi-key find request when several finds query it at once;
   * false sends one find request per key and node, as single finds do. @default true
   */
  multiKey?: boolean;
}

/** The result of one item of a batch. */
export type ManyResult<T> = { ok: true; value: T } | { ok: false; error: DHTError };

/** A value's lifetime as stored: `ttlMs` at a time, renewed until `until` when that is set. */
export interface Lifetime {
  /** The lifetime the storers grant, in ms. */
  readonly ttlMs: number;
  /** Renewed until then (ms since the epoch), for a lifetime beyond `maxTtlMs`. */
  readonly until: number | undefined;
}

/** What a bulk operation adds to one find: seeds of its own and a look at the lookup's result. */
export interface LookupVia {
  /** Nodes near the key found by the operation's earlier lookups, seeding this one. */
  readonly seeds?: readonly LookupPeer[] | undefined;
  /** Told of the lookup's result. */
  readonly onLookup?: ((result: LookupResult<FindReply>) => void) | undefined;
  /** A background refresh of the cache: never answered from it, refills it. */
  readonly refresh?: boolean | undefined;
  /** Asks one node about the key instead of a single find (a bulk find's batched queries). */
  readonly query?: ((peer: LookupPeer) => Promise<FindReply>) | undefined;
}
