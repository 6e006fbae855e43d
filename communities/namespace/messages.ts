/**
 * The namespace's wire messages. All signed; every field has an explicit schema.
 * @module
 */
import { defineMessage, defineSchema, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import { KEY_BYTES, TOKEN_BYTES } from '../dht/index.js';
import { MAX_NAMESPACE_KEY_BYTES } from './record.js';

/** Largest value the wire accepts; the configured `maxValueBytes` (default 1,024) is enforced above it. */
export const WIRE_MAX_NAMESPACE_VALUE_BYTES = 1_024;

/** A full record on the wire (for puts). */
export const NamespaceRecordWire = t.struct({
  publicKey: t.bytes({ length: PUBLIC_KEY_BYTES }),
  key: t.bytes({ max: MAX_NAMESPACE_KEY_BYTES }),
  seq: t.uint(),
  value: t.bytes({ max: WIRE_MAX_NAMESPACE_VALUE_BYTES }),
  signature: t.bytes({ length: SIGNATURE_BYTES }),
});

/**
 * "Store this record for `ttl` ms." Needs the storer's DHT token for the sender's address. `cas`, when
 * set, is the seq the writer expects the storer to hold; any other held seq fails with `cas-mismatch`.
 */
export const NamespacePutRequest = defineMessage({
  id: 1,
  name: 'namespace-put-request',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    token: t.bytes({ length: TOKEN_BYTES }),
    record: NamespaceRecordWire,
    ttl: t.uint(),
    cas: t.optional(t.uint()),
  }),
});

/** The verdict (see {@link NAMESPACE_VERDICT_CODES}) and the seq the storer holds afterwards, if any. */
export const NamespacePutResponse = defineMessage({
  id: 2,
  name: 'namespace-put-response',
  signed: true,
  schema: defineSchema({ id: t.u64(), verdict: t.u8(), seq: t.optional(t.uint()) }),
});

/** "What do you hold at `location`?" `token` (the storer's DHT token for us) lifts the 3x size bound. */
export const NamespaceGetRequest = defineMessage({
  id: 3,
  name: 'namespace-get-request',
  signed: true,
  schema: defineSchema({ id: t.u64(), location: t.bytes({ length: KEY_BYTES }), token: t.optional(t.bytes({ length: TOKEN_BYTES })) }),
});

/**
 * The held record without the public key and key (the requester knows them) and its remaining lifetime;
 * `withheld` when a record exists but does not fit 3x the request size (retry with `token`).
 */
export const NamespaceGetResponse = defineMessage({
  id: 4,
  name: 'namespace-get-response',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    token: t.bytes({ length: TOKEN_BYTES }),
    record: t.optional(
      t.struct({ seq: t.uint(), value: t.bytes({ max: WIRE_MAX_NAMESPACE_VALUE_BYTES }), signature: t.bytes({ length: SIGNATURE_BYTES }), ttl: t.uint() }),
    ),
    withheld: t.bool(),
  }),
});

/**
 * Storer verdicts on the wire, by code:
 * - `bad-token`: no valid token for the sender's address;
 * - `stored`: nothing was held; `updated`: a higher seq replaced the held one;
 * - `refreshed`: the same seq, value and signature again (idempotent; the expiry is extended);
 * - `stale-seq`: a seq lower than, or equal to (with different content), the held one: replay or rollback;
 * - `cas-mismatch`: the held seq is not the request's `cas`;
 * - `bad-signature`; `too-large` (value over `maxValueBytes`); `invalid` (a malformed field);
 * - `expired`: a ttl of 0; `full`: the node holds `maxRecords` records.
 */
export const NAMESPACE_VERDICT_CODES = [
  'bad-token',
  'stored',
  'updated',
  'refreshed',
  'stale-seq',
  'cas-mismatch',
  'bad-signature',
  'too-large',
  'invalid',
  'expired',
  'full',
] as const;

/** A storer's verdict on one put. */
export type NamespaceVerdict = (typeof NAMESPACE_VERDICT_CODES)[number];

/** Verdicts meaning the storer holds the record afterwards. */
export const NAMESPACE_ACCEPTED: ReadonlySet<NamespaceVerdict> = new Set<NamespaceVerdict>(['stored', 'updated', 'refreshed']);
