/**
 * DHT values as a record type of the engine: data under a 20-byte key, unsigned (anyone may add one; told
 * apart by their data) or signed by a publisher (one per publisher and key, the highest version wins).
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Infer } from '../../framework/index.js';
import { computeMid, concatBytes, defineSchema, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import type { RecordCheck, RecordPolicy } from './records/policy.js';
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
 * The value record type. A class rather than an object of closures: a simulation holds one per node, and
 * prototype methods cost a node nothing.
 */
export class ValuePolicy implements RecordPolicy<ValueRecord, ValueWireValue> {
  /** @inheritDoc */
  readonly name = 'value';
  /** @inheritDoc */
  readonly wire = ValueWire;
  /** @inheritDoc */
  readonly limits: RecordPolicy<ValueRecord, ValueWireValue>['limits'];

  /**
   * @param caps the DHT's caps.
   * @param keys the node's parsed keys and signature memo, so each key is parsed and each signature checked once.
   */
  constructor(
    caps: ValuePolicyLimits,
    private readonly keys?: PublicKeyCache,
  ) {
    this.limits = {
      maxRecordBytes: caps.maxDataBytes,
      maxPerLocation: { default: caps.maxSignedPerKey, unsigned: caps.maxUnsignedPerKey },
      maxPerGroupPerLocation: caps.maxPerGroupPerKey,
      maxTtlMs: caps.maxTtlMs,
    };
  }

  /** @inheritDoc */
  toWire(r: ValueRecord): ValueWireValue {
    return { data: r.data, publicKey: r.publicKey, version: r.version, signature: r.signature };
  }

  /** @inheritDoc */
  fromWire(key: Uint8Array, w: ValueWireValue): ValueRecord {
    return { key, data: w.data, publicKey: w.publicKey, version: w.version, signature: w.signature };
  }

  /** @inheritDoc */
  wellFormed(r: ValueRecord): boolean {
    return isWellFormed(r);
  }

  /** @inheritDoc */
  location(r: ValueRecord): Uint8Array {
    return r.key;
  }

  /** @inheritDoc */
  id(r: ValueRecord): Uint8Array {
    return valueId(r);
  }

  /** @inheritDoc */
  publisher(r: ValueRecord): Uint8Array | undefined {
    return r.publicKey === undefined ? undefined : computeMid(r.publicKey);
  }

  /** @inheritDoc */
  check(r: ValueRecord, location: Uint8Array): RecordCheck {
    return equalBytes(r.key, location) ? checkRecord(r, this.keys) : 'invalid';
  }

  /** @inheritDoc */
  version(r: ValueRecord): number {
    return r.version;
  }

  /** @inheritDoc */
  same(a: ValueRecord, b: ValueRecord): boolean {
    return a.version === b.version && equalBytes(a.data, b.data) && sameOptional(a.signature, b.signature) && sameOptional(a.publicKey, b.publicKey);
  }

  /** @inheritDoc */
  size(r: ValueRecord): number {
    return r.data.length;
  }

  /** @inheritDoc */
  classify(r: ValueRecord): string {
    return isSigned(r) ? 'default' : 'unsigned';
  }
}

/**
 * The value record type.
 * @param limits the DHT's caps.
 * @param keys the node's parsed keys and signature memo.
 * @returns the policy.
 */
export function valuePolicy(limits: ValuePolicyLimits, keys?: PublicKeyCache): RecordPolicy<ValueRecord, ValueWireValue> {
  return new ValuePolicy(limits, keys);
}

function sameOptional(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && equalBytes(a, b);
}
