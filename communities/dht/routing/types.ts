/**
 * Results, events and views of the {@link RoutingTable}.
 * @module
 */
import type { Contact } from './contact.js';
import type { RoutingTable } from './routing-table.js'; // for {@link} in TSDoc

/** Outcome of {@link RoutingTable.add}. */
export type AddResult =
  | {
      /** `added`: a new live contact; `updated`: an existing one, refreshed and moved to most recently seen. */
      readonly status: 'added' | 'updated';
      /** The live contact. */
      readonly contact: Contact;
    }
  | {
      /** The bucket is full and cannot split; the new contact went to the replacement cache (if enabled). */
      readonly status: 'full';
      /** The least recently seen contact of the bucket: ping it, then call `touch()` or `fail()`. */
      readonly pingCandidate: Contact;
    }
  | {
      /** The contact was not taken. */
      readonly status: 'rejected';
      /** `self`: our own id; `invalid-id`: wrong type or length; `policy`: refused by the admit policy. */
      readonly reason: 'self' | 'invalid-id' | 'policy';
    };

/** Payload of the `peer:replaced` event. */
export interface PeerReplacedEvent {
  /** The contact that left the bucket. */
  readonly removed: Contact;
  /** The replacement promoted into the freed slot. */
  readonly added: Contact;
}

/**
 * Events of a {@link RoutingTable}. `peer:added` and `peer:removed` report every change of the live
 * contacts (replacement caches are not live); `peer:replaced` follows them when a promotion filled the slot
 * of a removed contact. Events fire after the table is consistent again.
 */
export interface RoutingTableEvents {
  /** A contact became live (new, promoted from a replacement cache, or restored). */
  'peer:added': (contact: Contact) => void;
  /** A live contact was removed (failed too often, or removed explicitly). */
  'peer:removed': (contact: Contact) => void;
  /** A replacement took the slot of a removed contact. */
  'peer:replaced': (event: PeerReplacedEvent) => void;
}

/** A read-only view of one bucket, for status pages. */
export interface BucketInfo {
  /** The range prefix: the first `depth` bits are significant, the rest are 0. */
  readonly prefix: Uint8Array;
  /** The first `depth` bits of the prefix as `0`/`1` characters (empty for the root bucket). */
  readonly prefixBits: string;
  /** Number of significant prefix bits. */
  readonly depth: number;
  /** True for the bucket whose range holds our own id (the only one that splits). */
  readonly containsSelf: boolean;
  /** Live contacts, least recently seen first. */
  readonly contacts: readonly Contact[];
  /** Replacement candidates, least recently seen first. */
  readonly replacements: readonly Contact[];
  /** When the bucket was last added to, touched or refreshed (ms since the epoch). */
  readonly lastChanged: number;
}

/** A bucket due for refresh and a lookup target inside its range. */
export interface RefreshTarget {
  /** Depth of the stale bucket. */
  readonly depth: number;
  /** Prefix of the stale bucket (first `depth` bits significant). */
  readonly prefix: Uint8Array;
  /** A random id inside the bucket's range: look it up, then call {@link RoutingTable.markRefreshed}. */
  readonly target: Uint8Array;
}
