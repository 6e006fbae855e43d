/**
 * Lookup events: what a lookup does, hop by hop, as it happens (js-libp2p's query events, py-ipv8's lookup
 * trace). Pass `onEvent` to a call (`findValues`, `findClosestNodes`, `storeValue`, `connectPeer`), or
 * listen to every lookup of a node with `dht.on('lookup', listener)`. Nothing is built when nobody listens.
 * @module
 */
/** What a lookup was for. */
export type LookupKind = 'find-values' | 'find-nodes' | 'store' | 'connect' | 'refresh' | 'join';

/** Fields every lookup event carries. */
export interface LookupEventBase {
  /** Numbers the lookups of one node (from 1), so interleaved events can be told apart. */
  readonly lookupId: number;
  /** The key or node id looked up, in hex. */
  readonly target: string;
  /** When it happened, in ms on the node's clock. */
  readonly at: number;
}

/** The lookup started. */
export interface LookupStartedEvent extends LookupEventBase {
  readonly type: 'started';
  /** What it is for. */
  readonly kind: LookupKind;
  /** Disjoint paths (S/Kademlia's d). */
  readonly paths: number;
  /** The contacts it starts from. */
  readonly seeds: number;
}

/** A query was sent to a node. */
export interface QuerySentEvent extends LookupEventBase {
  readonly type: 'query';
  /** The node asked: id (hex) and address (`host:port`). */
  readonly peer: EventPeer;
  /** XOR distance of the node's id to the target, in hex (20 bytes). */
  readonly distance: string;
  /** The disjoint path it belongs to (0 for a single path). */
  readonly path: number;
  /** Hops from us (seeds are hop 1). */
  readonly hop: number;
}

/** A node answered. */
export interface ResponseEvent extends LookupEventBase {
  readonly type: 'response';
  /** The node that answered. */
  readonly peer: EventPeer;
  /** Its path. */
  readonly path: number;
  /** Its hop. */
  readonly hop: number;
  /** The closer nodes it returned. */
  readonly closer: readonly EventPeer[];
  /** Records (values) it returned for the target. */
  readonly records: number;
  /** True when it holds them as a storer, not a cache. */
  readonly storer: boolean;
  /** Round-trip time of the query, in ms. */
  readonly rttMs: number;
}

/** A query failed: no answer in time, or another identity answered. */
export interface QueryFailedEvent extends LookupEventBase {
  readonly type: 'failure';
  /** The node asked. */
  readonly peer: EventPeer;
  /** Its path. */
  readonly path: number;
  /** `timeout`, `impostor` (another key answered), or `error`. */
  readonly reason: 'timeout' | 'impostor' | 'error';
}

/** One disjoint path converged (or ran out of candidates). */
export interface PathEndedEvent extends LookupEventBase {
  readonly type: 'path-ended';
  /** The path. */
  readonly path: number;
}

/** The lookup ended. */
export interface LookupFinishedEvent extends LookupEventBase {
  readonly type: 'finished';
  /** What it was for. */
  readonly kind: LookupKind;
  /** Hops to the first answer with records, else to the farthest of the closest. */
  readonly hops: number;
  /** Queries sent. */
  readonly queries: number;
  /** Queries that failed. */
  readonly failures: number;
  /** Answers that carried records. */
  readonly found: number;
  /** The k closest that answered, nearest first (ids in hex). */
  readonly closest: readonly string[];
  /** How long it took, in ms. */
  readonly durationMs: number;
  /** Set when it ended with an error (`no-nodes`, `aborted`, `stopped`). */
  readonly error?: string;
}

/** A node as events name it. */
export interface EventPeer {
  /** Its id, in hex. */
  readonly id: string;
  /** Its address, `host:port`. */
  readonly address: string;
}

/** Every lookup event. */
export type LookupEvent = LookupStartedEvent | QuerySentEvent | ResponseEvent | QueryFailedEvent | PathEndedEvent | LookupFinishedEvent;

/** Receives lookup events. */
export type LookupListener = (event: LookupEvent) => void;
