/**
 * Types shared by the DHT's modules: its events and the replies a lookup keeps.
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import type { Answered, LookupPeer } from './lookup.js';
import type { LookupEvent, LookupFinishedEvent, LookupKind, LookupListener } from './lookup-events.js';
import type { RecordOrigin } from './records/datastore.js';
import type { FindReply as RecordFindReply } from './records/engine-types.js';
import type { Contact } from './routing/contact.js';
import type { ValueRecord } from './storage/value-record.js';

/** Events of a `DHTCommunity`. */
export interface DHTEvents {
  /** This node accepted a value from another node (`origin` is `store` or `cache`). */
  'value:stored': [key: Uint8Array, origin: RecordOrigin];
  /** A contact entered the routing table. */
  'contact:added': [contact: Contact];
  /** A contact left the routing table. */
  'contact:removed': [contact: Contact];
  /** What a lookup of this node did, as it happens (only built while someone listens). */
  lookup: [event: LookupEvent];
  /** A lookup of this node ended: the summary alone (cheaper than `lookup`: no step is observed for it). */
  'lookup:finished': [event: LookupFinishedEvent];
}

/** A find response for values as the requester keeps it (see the record engine's `FindReply`). */
export type FindReply = RecordFindReply<ValueRecord>;

/** A node found by `DHTCommunity.findClosestNodes`, with the store token it issued to us. */
export interface FindReplyAnswer {
  /** The node. */
  readonly peer: LookupPeer;
  /** Its store token for our address. */
  readonly token: Uint8Array;
  /** Its public key. */
  readonly publicKey: PublicKey;
}

/** Options of `DHTCommunity.lookup`. */
export interface LookupCallOptions {
  /** Cancels the lookup. */
  readonly signal?: AbortSignal | undefined;
  /** Ends a value lookup early given the answers with values so far (and the suspect ids, see `LookupOptions.isDone`). */
  readonly isDone?: (found: ReadonlyArray<Answered<FindReply>>, suspects: ReadonlySet<string>) => boolean;
  /** Holds back queries the running ones could make unnecessary (see `LookupOptions.quorum`). */
  readonly quorum?: number | undefined;
  /** Disjoint paths (S/Kademlia's d). @default settings.disjointPaths */
  readonly paths?: number | undefined;
  /** A value lookup asks only for the values of this publisher (its mid). */
  readonly publisher?: Uint8Array | undefined;
  /** What the lookup is for, in its events. @default 'find-values' or 'find-nodes' */
  readonly kind?: LookupKind | undefined;
  /** Receives this lookup's events (see `lookup-events.ts`). */
  readonly onEvent?: LookupListener | undefined;
  /** Nodes to start from besides the routing table's closest contacts (a bulk operation's earlier answers). */
  readonly seeds?: readonly LookupPeer[] | undefined;
  /** Asks one node instead of a single find (a bulk find's batched queries); its reply is checked the same way. */
  readonly query?: ((peer: LookupPeer) => Promise<FindReply>) | undefined;
}
