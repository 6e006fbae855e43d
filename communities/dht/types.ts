/**
 * Types shared by the DHT's modules: its events and the replies a lookup keeps.
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import type { Answered, LookupPeer, QueryReply } from './lookup.js';
import type { Contact } from './routing/contact.js';
import type { WireRecordValue } from './wire-records.js';

/** Events of a `DHTCommunity`. */
export interface DHTEvents {
  /** This node accepted a value from another node (`origin` is `store` or `cache`). */
  'value:stored': [key: Uint8Array, origin: 'store' | 'cache'];
  /** A contact entered the routing table. */
  'contact:added': [contact: Contact];
  /** A contact left the routing table. */
  'contact:removed': [contact: Contact];
}

/** A find-response as the requester keeps it. */
export interface FindReply extends QueryReply<readonly WireRecordValue[]> {
  /** The store token the responder issued to us. */
  readonly token: Uint8Array;
  /** Values the responder holds for the key in all (it may have sent only a page). */
  readonly total: number;
  /** The responder holds the page's values as a storer, none only as a cache (see `FindResponse`). */
  readonly authoritative: boolean;
  /** The responder's public key (it signed the response). */
  readonly sender: PublicKey;
}

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
  readonly signal?: AbortSignal;
  /** Ends a value lookup early given the answers with values so far. */
  readonly isDone?: (found: ReadonlyArray<Answered<FindReply>>) => boolean;
  /** Holds back queries the running ones could make unnecessary (see `LookupOptions.quorum`). */
  readonly quorum?: number;
  /** Disjoint paths (S/Kademlia's d). @default settings.disjointPaths */
  readonly paths?: number;
}
