/**
 * The DHT's wire messages. Every message is signed, so a node id (the mid of the signing key) cannot be
 * claimed by anyone else, and every field has an explicit schema. Requests and responses are matched by a
 * random 64-bit id and the address the request went to.
 * @module
 */
import { defineMessage, defineSchema, t } from '../../framework/index.js';
import { TOKEN_BYTES } from './storage/token-manager.js';
import { KEY_BYTES } from './storage/value-record.js';

/** Largest data field the wire accepts; the configured `maxDataBytes` (default 1,024) is enforced above it. */
export const WIRE_MAX_DATA_BYTES = 1_400;
/** Most node entries in one response. */
export const WIRE_MAX_NODES = 32;
/** Most value records in one message. */
export const WIRE_MAX_RECORDS = 64;

/** A node reference as it travels in responses: id and address (the id is checked when contacted). */
export const NodeRef = t.struct({ id: t.bytes({ length: KEY_BYTES }), address: t.address() });

/** A value record on the wire, with its remaining lifetime in seconds. */
export const WireRecord = t.struct({
  key: t.bytes({ length: KEY_BYTES }),
  data: t.bytes({ max: WIRE_MAX_DATA_BYTES }),
  publicKey: t.optional(t.bytes({ length: 74 })),
  version: t.uint(),
  signature: t.optional(t.bytes({ length: 64 })),
  ttl: t.uint(),
});

/** "Are you alive?" */
export const PingRequest = defineMessage({ id: 1, name: 'dht-ping-request', signed: true, schema: defineSchema({ id: t.u64() }) });

/** "Yes." */
export const PingResponse = defineMessage({ id: 2, name: 'dht-ping-response', signed: true, schema: defineSchema({ id: t.u64() }) });

/** Most padding a find request carries (see {@link FindRequest}). */
export const MAX_FIND_PADDING_BYTES = 512;

/**
 * Find the nodes closest to `target` and, when `values` is set, the values stored under it (from `offset`).
 * Its signature is checked only when the requester is not already in the routing table at this address
 * (`deferredVerify`): answering changes no state and is amplification-bounded, so a known requester costs
 * no Ed25519 verification.
 */
export const FindRequest = defineMessage({
  id: 3,
  name: 'dht-find-request',
  signed: true,
  deferredVerify: true,
  schema: defineSchema({
    id: t.u64(),
    target: t.bytes({ length: KEY_BYTES }),
    values: t.bool(),
    offset: t.uint(),
    /** A token this node issued to the requester earlier: proves the requester's address. */
    token: t.optional(t.bytes({ length: TOKEN_BYTES })),
    /**
     * Ignored bytes a requester without a token adds (QUIC-style) so that the 3x amplification bound
     * still lets the reply fill a datagram: the first find to a node then needs one round trip, not two.
     */
    padding: t.optional(t.bytes({ max: MAX_FIND_PADDING_BYTES })),
  }),
});

/** Closest nodes, a page of values, how many values the responder holds, and a store token for the requester. */
export const FindResponse = defineMessage({
  id: 4,
  name: 'dht-find-response',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    token: t.bytes({ length: TOKEN_BYTES }),
    nodes: t.list(NodeRef, { max: WIRE_MAX_NODES }),
    values: t.list(WireRecord, { max: WIRE_MAX_RECORDS }),
    total: t.uint(),
    /**
     * True when the responder holds every value of this page as a storer (from the publisher or by
     * replication, so it got every update), false when any is only a cached copy from a lookup.
     */
    authoritative: t.bool(),
  }),
});

const storeSchema = defineSchema({
  id: t.u64(),
  token: t.bytes({ length: TOKEN_BYTES }),
  records: t.list(WireRecord, { max: WIRE_MAX_RECORDS }),
});

/** Store records; needs a token the storing node issued to the sender's address. */
export const StoreRequest = defineMessage({ id: 5, name: 'dht-store-request', signed: true, schema: storeSchema });

/** Like a store, but the copy is a cache along a lookup path: it expires and is never replicated. */
export const CacheRequest = defineMessage({ id: 6, name: 'dht-cache-request', signed: true, schema: storeSchema });

/** One verdict code per record of a store (see {@link VERDICT_CODES}). */
export const StoreResponse = defineMessage({
  id: 7,
  name: 'dht-store-response',
  signed: true,
  schema: defineSchema({ id: t.u64(), results: t.list(t.u8(), { max: WIRE_MAX_RECORDS }) }),
});

/** Store verdicts on the wire, by code. Index 0 is reserved for "token rejected"; new verdicts go at the end. */
export const VERDICT_CODES = [
  'bad-token',
  'stored',
  'updated',
  'refreshed',
  'stale-version',
  'bad-signature',
  'too-large',
  'full',
  'expired',
  'invalid',
  'quota',
] as const;

/** A store verdict as a requester sees it. */
export type WireVerdict = (typeof VERDICT_CODES)[number];

/** Verdicts meaning the node holds the value after the store. */
export const ACCEPTED_VERDICTS: ReadonlySet<WireVerdict> = new Set(['stored', 'updated', 'refreshed']);
