/**
 * Dictionary entries as a record type of the engine: one entry per subkey (an owned subkey's owner is part
 * of its identity) under a key, the later expiration wins, equal expirations resolve to the lowest encoded
 * entry on every storer and every reader alike, and the expiration is one no storer may extend.
 * @module
 */
import type { Infer, PublicKeyCache } from '../../framework/index.js';
import { computeMid, defineSchema, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import type { RecordPolicy } from '../dht/index.js';
import { defineRecordMessages } from '../dht/index.js';
import type { DictRecord } from './record.js';
import { checkDictRecord, isWellFormedDictRecord, sameDictRecord, subkeyId } from './record.js';

/** Longest subkey the wire accepts; the configured `maxSubkeyBytes` (default 64) is enforced below it. */
export const WIRE_MAX_SUBKEY_BYTES = 128;
/** Largest value the wire accepts; the configured `maxValueBytes` (default 512) is enforced below it. */
export const WIRE_MAX_DICT_VALUE_BYTES = 1_024;

/** A dictionary entry on the wire (its key travels once per message, as the location). */
export const DictEntryWire = defineSchema({
  subkey: t.bytes({ max: WIRE_MAX_SUBKEY_BYTES }),
  value: t.bytes({ max: WIRE_MAX_DICT_VALUE_BYTES }),
  expiresAt: t.uint(),
  owner: t.optional(t.bytes({ length: PUBLIC_KEY_BYTES })),
  signature: t.optional(t.bytes({ length: SIGNATURE_BYTES })),
});

/** A dictionary entry's wire form. */
export type DictEntryWireValue = Infer<typeof DictEntryWire>;

/** The dictionary's messages: find (a page of entries after a cursor) and store, ids 1-4. */
export const DictMessages = defineRecordMessages(DictEntryWire, { prefix: 'dict', ids: [1, 2, 3, 4] });

/** The per-key cap class of open subkeys (owned ones are in class `default`). */
export const OPEN_CLASS = 'open';

/** Caps of the dictionary type. */
export interface DictPolicyLimits {
  /** Longest subkey, in bytes (a longer one is `invalid`). */
  readonly maxSubkeyBytes: number;
  /** Largest value, in bytes (a larger one is `too-large`). */
  readonly maxValueBytes: number;
  /** Most owned entries under one key. */
  readonly maxEntriesPerKey: number;
  /** Most open entries under one key. */
  readonly maxOpenPerKey: number;
  /** Most entries (owned or open) one IP group may add under one key. */
  readonly maxPerGroupPerKey: number;
  /** Most open entries one IP group may add under one key. */
  readonly maxOpenPerGroupPerKey: number;
  /** Longest lifetime, in ms. */
  readonly maxTtlMs: number;
}

/**
 * The dictionary record type.
 * @param limits caps.
 * @param keys the node's parsed keys.
 * @returns the policy.
 */
export function dictPolicy(limits: DictPolicyLimits, keys: PublicKeyCache): RecordPolicy<DictRecord, DictEntryWireValue> {
  return {
    name: 'dict',
    wire: DictEntryWire,
    limits: {
      maxRecordBytes: limits.maxValueBytes,
      maxPerLocation: { default: limits.maxEntriesPerKey, [OPEN_CLASS]: limits.maxOpenPerKey },
      maxPerGroupPerLocation: limits.maxPerGroupPerKey,
      maxPerGroupPerClass: { [OPEN_CLASS]: limits.maxOpenPerGroupPerKey },
      maxTtlMs: limits.maxTtlMs,
    },
    toWire: (r) => ({ subkey: r.subkey, value: r.value, expiresAt: r.expiresAt, owner: r.owner, signature: r.signature }),
    fromWire: (key, w) => ({ key, subkey: w.subkey, value: w.value, expiresAt: w.expiresAt, owner: w.owner, signature: w.signature }),
    wellFormed: (r) => isWellFormedDictRecord(r) && r.subkey.length <= limits.maxSubkeyBytes,
    location: (r) => r.key,
    id: (r) => subkeyId(r.subkey, r.owner),
    publisher: (r) => (r.owner === undefined ? undefined : computeMid(r.owner)),
    check: (r, location) => (equalBytes(r.key, location) ? checkDictRecord(r, keys) : 'invalid'),
    version: (r) => r.expiresAt,
    same: sameDictRecord,
    size: (r) => r.value.length,
    classify: (r) => (r.owner === undefined ? OPEN_CLASS : 'default'),
    signedExpiry: (r) => r.expiresAt,
    equalVersions: 'lowest-bytes',
  };
}
