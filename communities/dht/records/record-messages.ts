/**
 * The record engine's four messages, made once per record type from its policy's wire form: a find (the
 * nodes closest to a target and, when asked, a page of the records there) and its answer, and a store (a
 * batch of records for one location, token-checked) and its verdicts; optionally a fifth and sixth, a
 * store of several locations' records in one datagram (a bulk store's requests to one storer) and its
 * verdicts. Requests and responses are matched by
 * a random 64-bit id and the address the request went to.
 * @module
 */
import type { Infer, MessageSpec, RequestType, Schema } from '../../../framework/index.js';
import { defineMessage, defineRequest, defineSchema, t } from '../../../framework/index.js';
import { TOKEN_BYTES } from '../storage/token-manager.js';
import { KEY_BYTES } from '../storage/value-record.js';
import { MAX_RECORD_ID_BYTES } from './policy.js';

/** Most node entries in one find response. */
export const WIRE_MAX_NODES = 32;
/** Most records in one message. */
export const WIRE_MAX_RECORDS = 64;
/** Most locations in one multi-location store request (see {@link RecordMessages.StoreManyRequest}). */
export const WIRE_MAX_LOCATIONS = 32;
/** Most padding a find request carries (see {@link RecordMessages.FindRequest}). */
export const MAX_FIND_PADDING_BYTES = 512;

/** A node reference as it travels in find responses: id and address (the id is checked when contacted). */
export const NodeRef = t.struct({ id: t.bytes({ length: KEY_BYTES }), address: t.address() });

/** A node reference's value. */
export type NodeRefValue = Infer<typeof NodeRef>;

/** A record on the wire: the policy's wire form and its remaining lifetime in ms. */
export interface WireItem<W> {
  /** The record's wire form. */
  readonly record: W;
  /** Remaining lifetime, in ms. */
  readonly ttl: number;
}

/** Body of a find request. */
export interface FindRequestBody {
  /** Request id. */
  readonly id: bigint;
  /** The key (location) or node id sought. */
  readonly target: Uint8Array;
  /** True to ask for the records at `target` as well as the closest nodes. */
  readonly records: boolean;
  /** Only records with an id above this one (a paging cursor). */
  readonly cursor: Uint8Array | undefined;
  /** Only records of this publisher (its 20-byte mid). */
  readonly publisher: Uint8Array | undefined;
  /** A token this node issued to the requester earlier: proves the requester's address. */
  readonly token: Uint8Array | undefined;
  /**
   * Ignored bytes a requester without a token adds (QUIC-style) so that the 3x amplification bound still
   * lets the reply fill a datagram: the first find to a node then needs one round trip, not two.
   */
  readonly padding: Uint8Array | undefined;
}

/** Body of a find response. */
export interface FindResponseBody<W> {
  /** Request id. */
  readonly id: bigint;
  /** A fresh store token for the requester's address. */
  readonly token: Uint8Array;
  /** The closest nodes the responder knows (never the requester). */
  readonly nodes: NodeRefValue[];
  /** A page of records, ascending by id. */
  readonly records: WireItem<W>[];
  /** Records matching the request the responder holds in all. */
  readonly total: number;
  /** True when records beyond this page follow. */
  readonly more: boolean;
  /**
   * True when the responder holds every record of this page as a storer (from the publisher or by
   * replication, so it got every update), false when any is only a cached copy from a lookup.
   */
  readonly authoritative: boolean;
}

/** Body of a store request. */
export interface StoreRequestBody<W> {
  /** Request id. */
  readonly id: bigint;
  /** A token the storer issued to the sender's address. */
  readonly token: Uint8Array;
  /** Where the records live. */
  readonly location: Uint8Array;
  /** True for a cache along a lookup path: it expires and is never replicated. */
  readonly cache: boolean;
  /** Compare-and-swap: store only where the held version (if any) is this one. */
  readonly cas: number | undefined;
  /** The records. */
  readonly records: WireItem<W>[];
}

/** Body of a store response: one verdict code per record (see `RECORD_VERDICTS`). */
export interface StoreResponseBody {
  /** Request id. */
  readonly id: bigint;
  /** Verdict codes, one per record, in order. */
  readonly verdicts: number[];
}

/** One location's records in a multi-location store request. */
export interface StoreManyEntry<W> {
  /** Where the records live. */
  readonly location: Uint8Array;
  /** The records, checked as a single store's. */
  readonly records: WireItem<W>[];
}

/**
 * Body of a multi-location store request: records of several locations for one storer in one datagram
 * (a bulk store), never a cache and never compare-and-swap. At most 64 records (`WIRE_MAX_RECORDS`) in
 * all and each location once; a request that breaks either is dropped.
 */
export interface StoreManyRequestBody<W> {
  /** Request id. */
  readonly id: bigint;
  /** A token the storer issued to the sender's address (one for every location). */
  readonly token: Uint8Array;
  /** The locations and their records. */
  readonly locations: StoreManyEntry<W>[];
}

/** The four messages of one record type (six with the optional multi-location store). */
export interface RecordMessages<W> {
  /** Find the nodes closest to a target, and optionally a page of its records. */
  readonly FindRequest: MessageSpec<FindRequestBody>;
  /** The answer to a find. */
  readonly FindResponse: MessageSpec<FindResponseBody<W>>;
  /** Store records at a location (needs a token). */
  readonly StoreRequest: MessageSpec<StoreRequestBody<W>>;
  /** One verdict per stored record. */
  readonly StoreResponse: MessageSpec<StoreResponseBody>;
  /** The find request with its response type. */
  readonly Find: RequestType<FindRequestBody, FindResponseBody<W>>;
  /** The store request with its response type. */
  readonly Store: RequestType<StoreRequestBody<W>, StoreResponseBody>;
  /** Store records of several locations at once (needs a token); present when `storeManyIds` were given. */
  readonly StoreManyRequest?: MessageSpec<StoreManyRequestBody<W>>;
  /** One verdict per record of a multi-location store, location after location, in order. */
  readonly StoreManyResponse?: MessageSpec<StoreResponseBody>;
  /** The multi-location store request with its response type. */
  readonly StoreMany?: RequestType<StoreManyRequestBody<W>, StoreResponseBody>;
}

/** Where a record type's messages sit in its community: four message ids and a name prefix. */
export interface RecordMessageIds {
  /** Prefix of the message names (`dht` gives `dht-find-request`, ...). */
  readonly prefix: string;
  /** Ids of the find request, find response, store request and store response. */
  readonly ids: readonly [find: number, found: number, store: number, stored: number];
  /**
   * Ids of the optional multi-location store request and its response (a bulk store sends one storer the
   * records of several locations in one datagram). @default none: the type has no such message
   */
  readonly storeManyIds?: readonly [storeMany: number, storedMany: number];
  /**
   * Check the find request's signature only when the handler asks (see `MessageSpec.deferredVerify`):
   * answering a find changes no state and is amplification-bounded. @default false
   */
  readonly deferredVerify?: boolean;
}

/**
 * Makes the messages of a record type.
 * @param wire the policy's wire form of one record.
 * @param where ids and names.
 * @returns the four message specs (six with `storeManyIds`).
 * @example
 * ```ts
 * const messages = defineRecordMessages(bagPolicy.wire, { prefix: 'bag', ids: [1, 2, 3, 4] });
 * ```
 */
export function defineRecordMessages<W>(wire: Schema<W>, where: RecordMessageIds): RecordMessages<W> {
  const item = t.struct({ record: wire, ttl: t.uint() });
  const [find, found, store, stored] = where.ids;
  const name = (what: string): string => `${where.prefix}-${what}`;
  const FindRequest = defineMessage({
    id: find,
    name: name('find-request'),
    signed: true,
    deferredVerify: where.deferredVerify === true,
    schema: defineSchema({
      id: t.u64(),
      target: t.bytes({ length: KEY_BYTES }),
      records: t.bool(),
      cursor: t.optional(t.bytes({ max: MAX_RECORD_ID_BYTES })),
      publisher: t.optional(t.bytes({ length: KEY_BYTES })),
      token: t.optional(t.bytes({ length: TOKEN_BYTES })),
      padding: t.optional(t.bytes({ max: MAX_FIND_PADDING_BYTES })),
    }),
  });
  const FindResponse = defineMessage({
    id: found,
    name: name('find-response'),
    signed: true,
    schema: defineSchema({
      id: t.u64(),
      token: t.bytes({ length: TOKEN_BYTES }),
      nodes: t.list(NodeRef, { max: WIRE_MAX_NODES }),
      records: t.list(item, { max: WIRE_MAX_RECORDS }),
      total: t.uint(),
      more: t.bool(),
      authoritative: t.bool(),
    }),
  });
  const StoreRequest = defineMessage({
    id: store,
    name: name('store-request'),
    signed: true,
    schema: defineSchema({
      id: t.u64(),
      token: t.bytes({ length: TOKEN_BYTES }),
      location: t.bytes({ length: KEY_BYTES }),
      cache: t.bool(),
      cas: t.optional(t.uint()),
      records: t.list(item, { max: WIRE_MAX_RECORDS }),
    }),
  });
  const StoreResponse = defineMessage({
    id: stored,
    name: name('store-response'),
    signed: true,
    schema: defineSchema({ id: t.u64(), verdicts: t.list(t.u8(), { max: WIRE_MAX_RECORDS }) }),
  });
  // The schemas are built from `wire` at run time, so the compiler infers their body types from the field
  // builders without `W`; the bodies above are exactly those fields with `W` in place: one cast, here.
  const specs = { FindRequest, FindResponse, StoreRequest, StoreResponse } as unknown as Omit<RecordMessages<W>, 'Find' | 'Store'>;
  const messages: RecordMessages<W> = {
    ...specs,
    Find: defineRequest(specs.FindRequest, specs.FindResponse),
    Store: defineRequest(specs.StoreRequest, specs.StoreResponse),
  };
  if (where.storeManyIds === undefined) return messages;
  const [storeMany, storedMany] = where.storeManyIds;
  const StoreManyRequest = defineMessage({
    id: storeMany,
    name: name('store-many-request'),
    signed: true,
    schema: defineSchema({
      id: t.u64(),
      token: t.bytes({ length: TOKEN_BYTES }),
      locations: t.list(t.struct({ location: t.bytes({ length: KEY_BYTES }), records: t.list(item, { max: WIRE_MAX_RECORDS }) }), { max: WIRE_MAX_LOCATIONS }),
    }),
  }) as unknown as MessageSpec<StoreManyRequestBody<W>>; // the same cast as above
  const StoreManyResponse = defineMessage({
    id: storedMany,
    name: name('store-many-response'),
    signed: true,
    schema: defineSchema({ id: t.u64(), verdicts: t.list(t.u8(), { max: WIRE_MAX_RECORDS }) }),
  });
  return { ...messages, StoreManyRequest, StoreManyResponse, StoreMany: defineRequest(StoreManyRequest, StoreManyResponse) };
}
