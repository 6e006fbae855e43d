/**
 * The record engine's contracts: what it needs of the DHT (`RecordNetwork`) and of its community, what it
 * is built from, and the shapes its client and engine take and return.
 * @module
 */
import type { Address, Clock, Incoming, PublicKey, Random, RequestBody, RequestType, TimerHandle } from '../../../framework/index.js';
import type { LookupPeer, LookupResult } from '../lookup.js';
import type { LookupKind, LookupListener } from '../lookup-events.js';
import type { RecordOrigin } from './datastore.js';
import type { RecordPolicy, RecordVerdict } from './policy.js';
import type { NodeRefValue, RecordMessages } from './record-messages.js';
import type { RecordStatistics } from './record-statistics.js';
import type { RecordStore } from './record-store.js';
import type { Responder, TokenIssuer } from './record-server.js';
import type { RecordStoreOptions } from './store-limits.js';

/** A node to send to: its id (checked against the key that answers) and address. */
export interface RecordPeer {
  /** The node's id. */
  readonly id: Uint8Array;
  /** Where it listens. */
  readonly address: Address;
}

/** A node found by a lookup, with the store token it issued us. */
export interface ClosestNode {
  /** The node. */
  readonly peer: RecordPeer;
  /** Its store token for our address. */
  readonly token: Uint8Array;
}

/** Sends one request and resolves with the response (signed, or tagged for us) from the same address. */
export type RequestFn = <Req extends RequestBody, Res extends RequestBody>(
  peer: RecordPeer,
  type: RequestType<Req, Res>,
  body: Omit<Req, 'id'>,
  signal?: AbortSignal,
) => Promise<Incoming<Res>>;

/** The tokens other nodes issued us, by node id hex (shared by every record type: tokens are per node). */
export interface TokenBook {
  /** @returns the last token node `hex` issued us. */
  get(hex: string): Uint8Array | undefined;
  /** Remembers `token` as node `hex`'s latest. */
  remember(hex: string, token: Uint8Array): void;
}

/** Options of `RecordNetwork.findClosestNodes`. */
export interface ClosestNodesOptions {
  /** Cancels the lookup. */
  readonly signal?: AbortSignal | undefined;
  /** Disjoint paths. @default the DHT's `disjointPaths` */
  readonly paths?: number | undefined;
  /** What the lookup is for, in its events. @default 'find-nodes' */
  readonly kind?: LookupKind | undefined;
  /** Receives the lookup's events. */
  readonly onEvent?: LookupListener | undefined;
}

/** A record with its expiry, as found or to be stored. */
export interface TimedRecord<R> {
  /** The record. */
  readonly record: R;
  /** When it expires, in ms since the epoch on this node's clock. */
  readonly expiresAt: number;
}

/** A find response as the requester keeps it: closest nodes, and checked records only. */
export interface FindReply<R> {
  /** The closest nodes the responder named. */
  readonly nodes: readonly NodeRefValue[];
  /** Records that passed every check, or `undefined` when none came. */
  readonly found: ReadonlyArray<TimedRecord<R>> | undefined;
  /** The store token the responder issued us. */
  readonly token: Uint8Array;
  /** Matching records the responder holds in all. */
  readonly total: number;
  /** More records follow this page. */
  readonly more: boolean;
  /** The responder holds the page as a storer, none only as a cache. */
  readonly authoritative: boolean;
  /** The responder's key (it signed or tagged the response). */
  readonly sender: PublicKey;
  /** The id of the last record of the page (checked or not), the cursor of the next page. */
  readonly lastId: Uint8Array | undefined;
}

/** What one storer gave for a read. */
export interface StorerPage<R> {
  /** The checked records, ascending by id. */
  readonly records: Array<TimedRecord<R>>;
  /** True when the storer has nothing beyond them. */
  readonly exhausted: boolean;
  /** The last id it covered (checked or not), when it sent any. */
  readonly lastId: Uint8Array | undefined;
}

/** What a publication to the k closest nodes achieved. */
export interface PublishOutcome {
  /** Nodes other than this one that accepted at least one record. */
  readonly acks: number;
  /** Nodes that hold the records afterwards: `acks`, plus this node when it is among the k closest. */
  readonly stored: number;
  /** Whether this node keeps them as one of the k closest. */
  readonly keptHere: boolean;
  /** Every verdict of every node that answered, by name. */
  readonly verdicts: Readonly<Record<string, number>>;
  /** Verdicts of the nodes that accepted nothing, by name. */
  readonly refusals: Readonly<Record<string, number>>;
}

/** Options of one find request. */
export interface QueryOptions {
  /** Only records after this id. */
  readonly cursor?: Uint8Array | undefined;
  /** Only records of this publisher (a mid). */
  readonly publisher?: Uint8Array | undefined;
  /** Cancels the request. */
  readonly signal?: AbortSignal | undefined;
}

/** Everything the client side of one record type works with. */
export interface RecordClientParts<R, W> {
  /** The type's messages. */
  readonly messages: RecordMessages<W>;
  /** This node's store of the type (a publisher among the k closest keeps its records). */
  readonly store: RecordStore<R>;
  /** Counters. */
  readonly statistics: RecordStatistics;
  /** Sends a request. */
  readonly request: RequestFn;
  /** Tokens other nodes issued us. */
  readonly tokens: TokenBook;
  /** Our node id, k, our key's size and the datagram limit. */
  readonly node: { readonly id: Uint8Array; readonly k: number; readonly publicKeyBytes: number; readonly maxPacketBytes: number };
  /** The k closest nodes to `location` that answered a lookup. */
  closestNodes(location: Uint8Array, options: ClosestNodesOptions): Promise<readonly ClosestNode[]>;
}

/**
 * The DHT as the communities built on it see it: a small public door (`DHTCommunity.network`), so record
 * engines and discovery never read the DHT's routing table, timers or settings.
 */
export interface RecordNetwork {
  /** Our node id. */
  readonly nodeId: Uint8Array;
  /** Kademlia's k: how many nodes store a record. */
  readonly bucketSize: number;
  /** The store tokens this node issues. */
  readonly tokens: TokenIssuer;
  /** The store tokens other nodes issued us. */
  readonly peerTokens: TokenBook;
  /** True while the DHT runs. */
  readonly isRunning: boolean;
  /** Contacts in the routing table, closest to `target` first, never `exclude`. */
  closestContacts(target: Uint8Array, count: number, exclude?: Uint8Array): NodeRefValue[];
  /** The k closest nodes to `target` that answered a lookup, with their tokens for us. */
  findClosestNodes(target: Uint8Array, options?: ClosestNodesOptions): Promise<readonly ClosestNode[]>;
  /** The routing table is empty (nobody to ask). */
  readonly isAlone: boolean;
  /** The key of node `id` when this node knows it (a request to it is then tagged, not signed). */
  recipientKey(id: Uint8Array): PublicKey | undefined;
  /** A request timeout for node `id` from its measured round-trip time, in ms. */
  rttTimeoutMs(id: Uint8Array): number;
  /** How long a lookup waits for node `id` before it frees the slot for another query, in ms. */
  softTimeoutMs(id: Uint8Array): number;
  /** Lookup parallelism (Kademlia's alpha). */
  readonly alpha: number;
  /** The address of node `id` when it is a contact of the routing table. */
  contactAddress(id: Uint8Array): Address | undefined;
  /**
   * A node lookup toward `target` with the caller's own query (a lookup hook): seeded with the routing
   * table's closest contacts, with the DHT's k, alpha, disjoint paths and soft timeouts.
   * @throws `DHTError` `no-nodes` when the routing table is empty.
   */
  searchNodes<Reply extends { readonly nodes: readonly LookupPeer[] }>(target: Uint8Array, options: NodeSearchOptions<Reply>): Promise<LookupResult<Reply>>;
}

/** Options of {@link RecordNetwork.searchNodes}. */
export interface NodeSearchOptions<Reply> {
  /** Asks one node (e.g. a find for nodes, with checks of the caller's own). */
  query(peer: LookupPeer): Promise<Reply>;
  /** Ends the lookup early. */
  isDone?: (() => boolean) | undefined;
  /** Cancels the lookup. */
  signal?: AbortSignal | undefined;
  /** Timers for the lookup's soft timeouts (so the caller can clear them with its own). @default the DHT's */
  schedule?: ((ms: number, fn: () => void) => TimerHandle) | undefined;
  /** Cancels a timer of `schedule`. */
  cancel?: ((handle: TimerHandle) => void) | undefined;
  /** What the lookup is for, in its events. @default 'connect' */
  kind?: LookupKind | undefined;
  /** Receives the lookup's events. */
  onEvent?: LookupListener | undefined;
  /** Nodes to start from besides the routing table's closest contacts (e.g. nodes an earlier lookup reached). */
  seeds?: readonly LookupPeer[] | undefined;
}

/** The timers a community offers (cleared when it stops). */
export interface Scheduler {
  /** Runs `fn` every `ms`. */
  every(ms: number, fn: () => void): TimerHandle;
  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer. */
  cancel(handle: TimerHandle | undefined): void;
  /** True while the community runs. */
  readonly isRunning: boolean;
}

/** Intervals of a record engine's upkeep, in ms. */
export interface RecordTiming {
  /** Storers re-store what they hold to the current k closest this often. */
  readonly replicateIntervalMs: number;
  /** A publisher re-stores its own records this often. */
  readonly republishIntervalMs: number;
  /** Upkeep (sweep, republish, replicate) runs this often. */
  readonly maintenanceIntervalMs: number;
}

/** What a record engine is built from. */
export interface RecordEngineOptions<R, W> {
  /** The record type. */
  readonly policy: RecordPolicy<R, W>;
  /** Its messages, in the hosting community. */
  readonly messages: RecordMessages<W>;
  /** The hosting community: encoding, sending and timers. */
  readonly community: Responder & Scheduler;
  /** The DHT. */
  readonly network: RecordNetwork;
  /** Sends one of the type's requests. */
  readonly request: RequestFn;
  /** The node's clock. */
  readonly clock: Clock;
  /** The node's randomness (timer offsets). */
  readonly random: Random;
  /** Upkeep intervals. */
  readonly timing: RecordTiming;
  /** Store caps and the datastore. */
  readonly store?: RecordStoreOptions;
  /**
   * Renews one of this node's records before it expires (a record whose expiry is signed must be signed
   * again); without it the record is re-sent as it is, with a fresh lifetime.
   */
  readonly renew?: (record: R, ttlMs: number) => R;
  /** Told of every record accepted from another node. */
  readonly onAccepted?: (location: Uint8Array, verdict: RecordVerdict, origin: RecordOrigin) => void;
}

/** One of this node's records, kept for republishing. */
export interface OwnRecord<R> {
  /** The record as last published. */
  readonly record: R;
  /** The lifetime asked for, in ms. */
  readonly ttlMs: number;
  /** When the published copies expire. */
  readonly expiresAt: number;
  /** When it was last published. */
  readonly publishedAt: number;
  /**
   * `true`: renewed before it expires for as long as this node runs (bag entries, namespace records);
   * `false`: re-published until `expiresAt`, then forgotten (DHT values, as Kademlia).
   */
  readonly keepAlive: boolean;
  /** A kept-alive record is renewed until then (ms since the epoch), its last lifetime ending there; unset: for as long as this node runs. */
  readonly until?: number | undefined;
}

/** Options of {@link RecordEngine.publish}. */
export interface EnginePublishOptions {
  /** Lifetime in ms. */
  readonly ttlMs: number;
  /** Cancels the publication. */
  readonly signal?: AbortSignal | undefined;
  /** Disjoint lookup paths. */
  readonly paths?: number | undefined;
  /** Compare-and-swap version. */
  readonly cas?: number | undefined;
  /** The k closest nodes, when a read just found them. @default a fresh lookup */
  readonly nodes?: readonly ClosestNode[] | undefined;
  /** Receives the events of the lookup for the k closest. */
  readonly onEvent?: LookupListener | undefined;
  /** Remember the records as this node's own and republish them. @default 'until-expiry' */
  readonly republish?: 'until-expiry' | 'keep-alive' | 'never';
  /**
   * With `keep-alive`: renew the records only until then (ms since the epoch), so they expire there (a
   * lifetime longer than the storers grant, `ttlMs` at a time). @default for as long as this node runs
   */
  readonly keepAliveUntil?: number | undefined;
}

/** Options of {@link RecordEngine.read}. */
export interface ReadOptions {
  /** Most records read from one storer. */
  readonly limit: number;
  /** Only records of this publisher (a mid). */
  readonly publisher?: Uint8Array | undefined;
  /** Only records with an id above this one. */
  readonly cursor?: Uint8Array | undefined;
  /** Cancels the read. */
  readonly signal?: AbortSignal | undefined;
  /** Disjoint lookup paths. */
  readonly paths?: number | undefined;
  /** Only this node's own store (no network). @default false */
  readonly local?: boolean | undefined;
}

/** What {@link RecordEngine.read} found. */
export interface ReadResult<R> {
  /** Every storer's records and this node's, merged (newest version per id), ascending by id. */
  readonly records: Array<TimedRecord<R>>;
  /** What each storer that answered gave. */
  readonly storers: ReadonlyArray<StorerPage<R>>;
  /** How many storers were asked. */
  readonly asked: number;
  /** The storers asked (to publish to the same ones next). */
  readonly nodes: readonly ClosestNode[];
}
