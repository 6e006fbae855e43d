/**
 * Bag entries as a record type of the engine: one signed entry per (publisher, value) under a key, the
 * highest version wins, a tombstone (a newer version with `removed`) hides it, and the signed expiry is one
 * no storer may extend.
 * @module
 */
import type { Infer, PublicKeyCache } from '../../framework/index.js';
import { computeMid, defineSchema, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import type { RecordPolicy } from '../dht/index.js';
import { defineRecordMessages } from '../dht/index.js';
import type { BagRecord } from './record.js';
import { checkBagRecord, entryId, isWellFormedBagRecord, sameBagRecord } from './record.js';

/** Largest value the wire accepts; the configured `maxValueBytes` (default 256) is enforced below it. */
export const WIRE_MAX_VALUE_BYTES = 1_024;

/** A bag entry on the wire (its key travels once per message, as the location). */
export const BagEntryWire = defineSchema({
  publicKey: t.bytes({ length: PUBLIC_KEY_BYTES }),
  value: t.bytes({ max: WIRE_MAX_VALUE_BYTES }),
  version: t.uint(),
  expiresAt: t.uint(),
  removed: t.bool(),
  signature: t.bytes({ length: SIGNATURE_BYTES }),
});

/** A bag entry's wire form. */
export type BagEntryWireValue = Infer<typeof BagEntryWire>;

/** The bag's messages: find (a page of entries after a cursor) and store, ids 1-4. */
export const BagMessages = defineRecordMessages(BagEntryWire, { prefix: 'bag', ids: [1, 2, 3, 4] });

/** Caps of the bag type. */
export interface BagPolicyLimits {
  /** Largest value, in bytes. */
  readonly maxValueBytes: number;
  /** Most entries (and tombstones) under one key. */
  readonly maxEntriesPerKey: number;
  /** Most entries one IP group may add under one key. */
  readonly maxPerGroupPerKey: number;
  /** Longest lifetime, in ms. */
  readonly maxTtlMs: number;
}

/**
 * The bag record type.
 * @param limits caps.
 * @param keys the node's parsed keys.
 * @returns the policy.
 */
export function bagPolicy(limits: BagPolicyLimits, keys: PublicKeyCache): RecordPolicy<BagRecord, BagEntryWireValue> {
  return {
    name: 'bag',
    wire: BagEntryWire,
    limits: {
      maxRecordBytes: limits.maxValueBytes,
      maxPerLocation: { default: limits.maxEntriesPerKey },
      maxPerGroupPerLocation: limits.maxPerGroupPerKey,
      maxTtlMs: limits.maxTtlMs,
    },
    toWire: (r) => ({ publicKey: r.publicKey, value: r.value, version: r.version, expiresAt: r.expiresAt, removed: r.removed, signature: r.signature }),
    fromWire: (key, w) => ({ key, ...w }),
    wellFormed: isWellFormedBagRecord,
    location: (r) => r.key,
    id: (r) => entryId(r.publicKey, r.value),
    publisher: (r) => computeMid(r.publicKey),
    check: (r, location) => (equalBytes(r.key, location) ? checkBagRecord(r, keys) : 'invalid'),
    version: (r) => r.version,
    same: sameBagRecord,
    size: (r) => r.value.length,
    signedExpiry: (r) => r.expiresAt,
    visible: (r) => !r.removed,
  };
}
