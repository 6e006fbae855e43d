/**
 * The bag's wire messages. All signed; every field has an explicit schema. Requests and responses are
 * matched by a random 64-bit id and the address the request went to.
 * @module
 */
import { defineMessage, defineSchema, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import type { Infer } from '../../framework/index.js';
import { KEY_BYTES, TOKEN_BYTES } from '../dht/index.js';
import { ENTRY_ID_BYTES } from './record.js';

/** Largest value the wire accepts; the configured `maxValueBytes` (default 256) is enforced above it. */
export const WIRE_MAX_VALUE_BYTES = 1_024;
/** Most records in one store request. */
export const WIRE_MAX_STORE_RECORDS = 16;
/** Most records in one search response. */
export const WIRE_MAX_PAGE_RECORDS = 64;
/** Largest `limit` a search request may carry. */
export const WIRE_MAX_LIMIT = 1_000;

/** A bag record on the wire (its key travels once per message). */
export const BagRecordWire = t.struct({
  publicKey: t.bytes({ length: PUBLIC_KEY_BYTES }),
  value: t.bytes({ max: WIRE_MAX_VALUE_BYTES }),
  version: t.uint(),
  expiresAt: t.uint(),
  removed: t.bool(),
  signature: t.bytes({ length: SIGNATURE_BYTES }),
});

/** A wire record's value type. */
export type BagRecordWireValue = Infer<typeof BagRecordWire>;

/** "Store these entries (or tombstones) under `key`." Needs the storer's DHT token for the sender's address. */
export const BagStoreRequest = defineMessage({
  id: 1,
  name: 'bag-store-request',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    token: t.bytes({ length: TOKEN_BYTES }),
    key: t.bytes({ length: KEY_BYTES }),
    records: t.list(BagRecordWire, { max: WIRE_MAX_STORE_RECORDS }),
  }),
});

/** One verdict code per record (see {@link BAG_VERDICT_CODES}). */
export const BagStoreResponse = defineMessage({
  id: 2,
  name: 'bag-store-response',
  signed: true,
  schema: defineSchema({ id: t.u64(), verdicts: t.list(t.u8(), { max: WIRE_MAX_STORE_RECORDS }) }),
});

/**
 * "Send me the records under `key` with an entry id above `cursor`, at most `limit`." `token` is the
 * storer's DHT token for the requester's address; without a valid one the response is at most 3x the
 * request's size.
 */
export const BagSearchRequest = defineMessage({
  id: 3,
  name: 'bag-search-request',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    key: t.bytes({ length: KEY_BYTES }),
    cursor: t.optional(t.bytes({ length: ENTRY_ID_BYTES })),
    limit: t.u16(),
    token: t.optional(t.bytes({ length: TOKEN_BYTES })),
  }),
});

/**
 * A page of records in ascending entry-id order, whether more follow, how many the storer holds, and a
 * fresh token for the requester (so a requester without one can retry with it).
 */
export const BagSearchResponse = defineMessage({
  id: 4,
  name: 'bag-search-response',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    token: t.bytes({ length: TOKEN_BYTES }),
    records: t.list(BagRecordWire, { max: WIRE_MAX_PAGE_RECORDS }),
    more: t.bool(),
    total: t.uint(),
  }),
});

/**
 * Storer verdicts on the wire, by code:
 * - `bad-token`: the store carried no valid token for the sender's address;
 * - `stored`: a new entry; `refreshed`: a newer version (or the same one again) of a held entry;
 * - `removed`: a tombstone was accepted (the entry, if held, is gone);
 * - `stale`: a version not above the held one (a replay or rollback);
 * - `bad-signature`, `invalid` (a malformed field), `too-large` (value over `maxValueBytes`);
 * - `expired`: `expiresAt` already passed; `bad-ttl`: `expiresAt` beyond `maxTtlMs` from now;
 * - `key-full`: the key holds `maxEntriesPerKey` entries; `publisher-full`: the publisher holds
 *   `maxEntriesPerPublisher` under this key; `store-full`: the node's total caps are reached.
 */
export const BAG_VERDICT_CODES = [
  'bad-token',
  'stored',
  'refreshed',
  'removed',
  'stale',
  'bad-signature',
  'invalid',
  'too-large',
  'expired',
  'bad-ttl',
  'key-full',
  'publisher-full',
  'store-full',
] as const;

/** A storer's verdict on one record. */
export type BagVerdict = (typeof BAG_VERDICT_CODES)[number];

/** Verdicts meaning the storer holds the record afterwards. */
export const BAG_ACCEPTED: ReadonlySet<BagVerdict> = new Set<BagVerdict>(['stored', 'refreshed', 'removed']);
