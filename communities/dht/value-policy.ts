/**
 * DHT values as a record type of the engine: data under a 20-byte key, unsigned (anyone may add one; told
 * apart by their data) or signed by a publisher (one per publisher and key, the highest version wins).
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Infer } from '../../framework/index.js';
import { computeMid, concatBytes, defineSchema, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import type { RecordPolicy } from './records/policy.js';
import type { PublicKeyCache, ValueRecord } from './storage/value-record.js';
import { checkRecord, isSigned, isWellFormed } from './storage/value-record.js';

/** Largest data field the wire accepts; the configured `maxDataBytes` (default 1,024) is enforced below it. */
export const WIRE_MAX_DATA_BYTES = 1_400;

/** A value on the wire (its key travels once per message, as the location). */
export const ValueWire = defineSchema({
  data: t.bytes({ max: WIRE_MAX_DATA_BYTES }),
  publicKey: t.optional(t.bytes({ length: PUBLIC_KEY_BYTES })),
  version: t.uint(),
  signature: t.optional(t.bytes({ length: SIGNATURE_BYTES })),
});

/** A value's wire form. */
export type ValueWireValue = Infer<typeof ValueWire>;

/** Limits of the value type (the DHT's settings). */
export interface ValuePolicyLimits {
  /** Largest data, in bytes. */
  readonly maxDataBytes: number;
  /** Most unsigned values under one key. */
  readonly maxUnsignedPerKey: number;
  /** Most signed values (publishers) under one key. */
  readonly maxSignedPerKey: number;
  /** Most values one IP group may add under one key. */
  readonly maxPerGroupPerKey: number;
  /** Longest lifetime, in ms. */
  readonly maxTtlMs: number;
}

const SIGNED_ID = 1;
const UNSIGNED_ID = 2;

/**
 * A value's id within its key: `0x01 | publisher mid` for a signed value, `0x02 | SHA-256(data)` for an
 * unsigned one, so pages list signed values first, by publisher.
 */
export function valueId(record: ValueRecord): Uint8Array {
  return record.publicKey !== undefined
    ? concatBytes(Uint8Array.of(SIGNED_ID), computeMid(record.publicKey))
    : concatBytes(Uint8Array.of(UNSIGNED_ID), sha256(record.data));
}

/**
 * The value record type.
 * @param limits the DHT's caps.
 * @param keys the node's parsed keys and signature memo, so each key is parsed and each signature checked once.
 * @returns the policy.
 */
export function valuePolicy(limits: ValuePolicyLimits, keys?: PublicKeyCache): RecordPolicy<ValueRecord, ValueWireValue> {
  return {
    name: 'value',
    wire: ValueWire,
    limits: {
      maxRecordBytes: limits.maxDataBytes,
      maxPerLocation: { default: limits.maxSignedPerKey, unsigned: limits.maxUnsignedPerKey },
      maxPerGroupPerLocation: limits.maxPerGroupPerKey,
      maxTtlMs: limits.maxTtlMs,
    },
    toWire: (r) => ({ data: r.data, publicKey: r.publicKey, version: r.version, signature: r.signature }),
    fromWire: (key, w) => ({ key, data: w.data, publicKey: w.publicKey, version: w.version, signature: w.signature }),
    wellFormed: isWellFormed,
    location: (r) => r.key,
    id: valueId,
    publisher: (r) => (r.publicKey === undefined ? undefined : computeMid(r.publicKey)),
    check: (r, location) => (equalBytes(r.key, location) ? checkRecord(r, keys) : 'invalid'),
    version: (r) => r.version,
    same: (a, b) =>
      a.version === b.version &&
      equalBytes(a.data, b.data) &&
      (a.signature === undefined ? b.signature === undefined : b.signature !== undefined && equalBytes(a.signature, b.signature)) &&
      (a.publicKey === undefined ? b.publicKey === undefined : b.publicKey !== undefined && equalBytes(a.publicKey, b.publicKey)),
    size: (r) => r.data.length,
    classify: (r) => (isSigned(r) ? 'default' : 'unsigned'),
  };
}
