/**
 * Provider records as a record type of the engine: one record per provider under a key (its mid is the
 * record id, the newest version wins), the signed expiry no storer may extend, the address stamped by each
 * storer from the store request (`stamp`), and `directOnly`: storers never pass them on, the provider
 * stores them on the k closest nodes and republishes them there itself.
 * @module
 */
import type { Infer, PublicKeyCache } from '../../framework/index.js';
import { computeMid, defineSchema, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, t } from '../../framework/index.js';
import type { RecordPolicy, StoreSource } from '../dht/index.js';
import { defineRecordMessages } from '../dht/index.js';
import type { ProviderRecord } from './record.js';
import { checkProviderRecord, hostBytes, hostText, isWellFormedProviderRecord, sameProviderRecord, stampProviderRecord } from './record.js';

/** Bytes of an IPv6 address, the longest `ip` on the wire. */
const MAX_IP_BYTES = 16;
/** Bytes a provider record is charged (the signed fields, key and signature included), for the store's byte quotas. */
export const PROVIDER_RECORD_BYTES = PUBLIC_KEY_BYTES + SIGNATURE_BYTES + 2 + 8 + 8 + MAX_IP_BYTES + 2;

/** A provider record on the wire (its key travels once per message, as the location). */
export const ProviderWire = defineSchema({
  publicKey: t.bytes({ length: PUBLIC_KEY_BYTES }),
  port: t.uint(),
  version: t.uint(),
  expiresAt: t.uint(),
  signature: t.bytes({ length: SIGNATURE_BYTES }),
  /** The IP the storer saw (4 or 16 bytes); absent in an announcement to a storer. */
  ip: t.optional(t.bytes({ max: MAX_IP_BYTES })),
  /** The source port the storer saw; absent in an announcement to a storer. */
  sourcePort: t.optional(t.uint()),
});

/** A provider record's wire form. */
export type ProviderWireValue = Infer<typeof ProviderWire>;

/** The providers messages: find (a page of providers after a cursor) and store (announce), ids 1-4. */
export const ProvidersMessages = defineRecordMessages(ProviderWire, { prefix: 'providers', ids: [1, 2, 3, 4] });

/** Caps of the providers type. */
export interface ProvidersPolicyLimits {
  /** Most providers a storer keeps under one key. */
  readonly maxProvidersPerKey: number;
  /** Most providers one IP group may announce under one key at a storer. */
  readonly maxPerGroupPerKey: number;
  /** Longest lifetime, in ms. */
  readonly maxTtlMs: number;
}

/**
 * The providers record type.
 * @param limits caps.
 * @param keys the node's parsed keys.
 * @param onNotFromProvider told of each announcement refused because its store request was not signed by
 *   the provider itself (a relay or a third party), for the community's counters.
 * @returns the policy.
 */
export function providersPolicy(limits: ProvidersPolicyLimits, keys: PublicKeyCache, onNotFromProvider: () => void = () => undefined): RecordPolicy<ProviderRecord, ProviderWireValue> {
  return {
    name: 'providers',
    wire: ProviderWire,
    limits: {
      maxRecordBytes: PROVIDER_RECORD_BYTES,
      maxPerLocation: { default: limits.maxProvidersPerKey },
      maxPerGroupPerLocation: limits.maxPerGroupPerKey,
      maxTtlMs: limits.maxTtlMs,
    },
    toWire: (r) => ({ publicKey: r.publicKey, port: r.port, version: r.version, expiresAt: r.expiresAt, signature: r.signature, ip: hostBytes(r.host), sourcePort: r.sourcePort }),
    fromWire: (key, w) => ({ key, publicKey: w.publicKey, port: w.port, version: w.version, expiresAt: w.expiresAt, signature: w.signature, host: hostText(w.ip), sourcePort: w.sourcePort }),
    wellFormed: isWellFormedProviderRecord,
    location: (r) => r.key,
    id: (r) => computeMid(r.publicKey),
    publisher: (r) => computeMid(r.publicKey),
    check: (r, location) => (equalBytes(r.key, location) ? checkProviderRecord(r, keys) : 'invalid'),
    version: (r) => r.version,
    same: sameProviderRecord,
    size: () => PROVIDER_RECORD_BYTES,
    signedExpiry: (r) => r.expiresAt,
    stamp: (r: ProviderRecord, source: StoreSource) => {
      const stamped = stampProviderRecord(r, source);
      if (stamped === undefined) onNotFromProvider();
      return stamped;
    },
    directOnly: true,
  };
}
