/**
 * Namespace records as a record type of the engine: a value under (publisher key, key), living at
 * `SHA-1(public key | key)`, signed, the highest seq wins, with compare-and-swap (BEP 44's mutable items).
 * @module
 */
import type { Infer, PublicKeyCache } from '../../framework/index.js';
import { computeMid, defineSchema, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import type { RecordPolicy } from '../dht/index.js';
import { defineRecordMessages } from '../dht/index.js';
import type { NamespaceRecord } from './record.js';
import { checkNamespaceRecord, isWellFormedNamespaceRecord, MAX_NAMESPACE_KEY_BYTES, namespaceLocation, sameNamespaceRecord } from './record.js';

/** Largest value the wire accepts; the configured `maxValueBytes` (default 1,024) is enforced below it. */
export const WIRE_MAX_NAMESPACE_VALUE_BYTES = 1_024;

/** A namespace record on the wire. */
export const NamespaceRecordWire = defineSchema({
  publicKey: t.bytes({ length: PUBLIC_KEY_BYTES }),
  key: t.bytes({ max: MAX_NAMESPACE_KEY_BYTES }),
  seq: t.uint(),
  value: t.bytes({ max: WIRE_MAX_NAMESPACE_VALUE_BYTES }),
  signature: t.bytes({ length: SIGNATURE_BYTES }),
});

/** A namespace record's wire form. */
export type NamespaceRecordWireValue = Infer<typeof NamespaceRecordWire>;

/** The namespace's messages: find (the record at a location) and store (with compare-and-swap), ids 1-4. */
export const NamespaceMessages = defineRecordMessages(NamespaceRecordWire, { prefix: 'namespace', ids: [1, 2, 3, 4] });

/** Caps of the namespace type. */
export interface NamespacePolicyLimits {
  /** Largest value, in bytes. */
  readonly maxValueBytes: number;
  /** Longest lifetime, in ms. */
  readonly maxTtlMs: number;
}

/**
 * The namespace record type. A location holds one record (one publisher's key can hash there; anyone
 * else's record would need a SHA-1 collision), so a record's id is its publisher.
 * @param limits caps.
 * @param keys the node's parsed keys.
 * @returns the policy.
 */
export function namespacePolicy(limits: NamespacePolicyLimits, keys: PublicKeyCache): RecordPolicy<NamespaceRecord, NamespaceRecordWireValue> {
  return {
    name: 'namespace',
    wire: NamespaceRecordWire,
    limits: { maxRecordBytes: limits.maxValueBytes, maxPerLocation: { default: 1 }, maxPerGroupPerLocation: 1, maxTtlMs: limits.maxTtlMs },
    toWire: (r) => ({ publicKey: r.publicKey, key: r.key, seq: r.seq, value: r.value, signature: r.signature }),
    fromWire: (_location, w) => ({ ...w }),
    wellFormed: isWellFormedNamespaceRecord,
    location: (r) => namespaceLocation(r.publicKey, r.key),
    id: (r) => computeMid(r.publicKey),
    publisher: (r) => computeMid(r.publicKey),
    check: (r, location) => (equalBytes(namespaceLocation(r.publicKey, r.key), location) ? checkNamespaceRecord(r, keys) : 'invalid'),
    version: (r) => r.seq,
    same: sameNamespaceRecord,
    size: (r) => r.value.length,
  };
}
