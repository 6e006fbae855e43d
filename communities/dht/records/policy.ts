/**
 * A record type, as the record engine sees it: a policy. The engine does everything that is the same for
 * every record type (storage with expiry and quotas, the fan-out to the k closest, paged finds, replication,
 * republishing, persistence); a policy says only what is particular to its type: the wire form, where a
 * record lives, its identity, how it is verified, which of two versions is newer, and its limits.
 * @module
 */
import type { Address, PublicKey, Schema } from '../../../framework/index.js';

/** Result of {@link RecordPolicy.check}: the record may be stored, is malformed, or is forged. */
export type RecordCheck = 'valid' | 'invalid' | 'bad-signature';

/**
 * Caps a storer enforces for one record type. Every cap is a count of records unless its name says bytes.
 */
export interface RecordLimits {
  /** Largest record, in bytes as {@link RecordPolicy.size} measures it. */
  readonly maxRecordBytes: number;
  /**
   * Most records under one location, per class ({@link RecordPolicy.classify}); a class not listed is
   * capped by `default`.
   */
  readonly maxPerLocation: Readonly<Record<string, number>> & { readonly default: number };
  /**
   * Most records one IP group (a /24 or /48, see `sourceGroup`) may add under one location: so a single
   * party cannot bury the other publishers of a key under records of made-up keys.
   */
  readonly maxPerGroupPerLocation: number;
  /**
   * Most records of a class ({@link RecordPolicy.classify}) one IP group may add under one location, for the
   * classes listed, on top of `maxPerGroupPerLocation`: e.g. the dictionary's open subkeys, which anyone may
   * write. @default no cap beyond `maxPerGroupPerLocation`
   */
  readonly maxPerGroupPerClass?: Readonly<Record<string, number>>;
  /** Longest lifetime a storer grants, in ms. */
  readonly maxTtlMs: number;
}

/**
 * One record type.
 * @typeParam R the record as the application sees it.
 * @typeParam W its wire form (a `t.struct`), without its location (which travels once per message) and
 *   without its lifetime (which the engine adds).
 */
export interface RecordPolicy<R, W> {
  /** The type's name: `value`, `bag`, `namespace`, ...; names its persisted records and its counters. */
  readonly name: string;
  /** The wire form of one record (a `t.struct`). */
  readonly wire: Schema<W>;
  /** Caps a storer enforces. */
  readonly limits: RecordLimits;
  /** @returns the wire form of `record`. */
  toWire(record: R): W;
  /** @returns the record a wire form under `location` stands for (not yet checked). */
  fromWire(location: Uint8Array, wire: W): R;
  /** @returns true when every field has the right type, length and range (nothing is verified). */
  wellFormed(record: R): boolean;
  /** @returns the 20-byte location `record` lives at (the DHT key its storers are closest to). */
  location(record: R): Uint8Array;
  /**
   * @returns the record's identity within its location, as bytes (at most {@link MAX_RECORD_ID_BYTES}):
   *   a storer keeps one record per id (the newest), pages are served in ascending id order, and a reader's
   *   cursor is the last id it got.
   */
  id(record: R): Uint8Array;
  /** @returns the publisher's mid (20 bytes) for a record that names one, else `undefined`. */
  publisher(record: R): Uint8Array | undefined;
  /**
   * Checks shape and authenticity, including that `record` belongs at `location`. Never throws.
   */
  check(record: R, location: Uint8Array): RecordCheck;
  /** @returns the record's version: the highest wins among records of one id; compare-and-swap compares it. */
  version(record: R): number;
  /** @returns true when `a` and `b` are the same signed statement (a refresh, not an update). */
  same(a: R, b: R): boolean;
  /** @returns the size charged to the source that stores it, in bytes. */
  size(record: R): number;
  /** @returns the class the per-location caps count `record` in. @default every record in class `default` */
  classify?(record: R): string;
  /**
   * @returns the expiry the publisher signed into `record` (ms since the epoch), which no storer may
   *   extend; `undefined` when the record carries none (the requested lifetime applies).
   */
  signedExpiry?(record: R): number | undefined;
  /** @returns false for a record a reader should not see as a value (a tombstone). @default true */
  visible?(record: R): boolean;
  /**
   * What a storer does with a record of the id and version it holds but with other content: `keep` keeps
   * the held one (`stale`: first come, first kept, so a replay cannot replace it); `lowest-bytes` keeps the
   * one whose encoded wire form is lower (`updated`), the order `RecordClient.merge` picks for
   * readers, so storers that got the two in opposite orders agree once either replicates to the other.
   * @default 'keep'
   */
  readonly equalVersions?: 'keep' | 'lowest-bytes';
  /**
   * Completes a record that arrived in a store request from the network with what the storer saw of that
   * request (e.g. the source IP, as BEP 5's announce_peer does), before any check; `undefined` refuses it
   * (`invalid`). Records this node stores itself and records restored from the datastore are not stamped.
   * @default records are kept as they arrived
   */
  stamp?(record: R, source: StoreSource): R | undefined;
  /**
   * `true` for a type whose records are valid only as their publisher sent them to the storer (a stamped
   * type): storers never replicate them, and the publisher keeps no copy of its own; it stores them on the
   * k closest other nodes and republishes them there itself (as libp2p's provider records).
   * @default false
   */
  readonly directOnly?: boolean;
}

/** What a storer saw of a store request: where it came from, and who signed it. */
export interface StoreSource {
  /** The address the request came from. */
  readonly from: Address;
  /** The verified signer of the request (`undefined` only for a request that was not verified). */
  readonly sender: PublicKey | undefined;
}

/** Longest record id, in bytes. */
export const MAX_RECORD_ID_BYTES = 33;

/**
 * Storer verdicts, on the wire by index: new verdicts go at the end.
 * - `bad-token`: the store carried no valid token for the sender's address;
 * - `stored`: a new record; `updated`: a newer version replaced the held one; `refreshed`: the same record
 *   again (its expiry extended);
 * - `stale`: an older version, or the same version with other content (a replay or a rollback);
 * - `conflict`: compare-and-swap failed (the held version is not the expected one);
 * - `bad-signature`, `invalid` (a malformed field or a record that does not belong at its location);
 * - `too-large`: over the type's `maxRecordBytes`; `expired`: no lifetime left; `bad-ttl`: a signed expiry
 *   beyond what the storer grants;
 * - `full`: a cap of the location or of the node is reached; `quota`: the sender (its address or its IP
 *   group) already holds its share;
 * - `unavailable`: the storer could not persist it.
 */
export const RECORD_VERDICTS = [
  'bad-token',
  'stored',
  'updated',
  'refreshed',
  'stale',
  'conflict',
  'bad-signature',
  'invalid',
  'too-large',
  'expired',
  'bad-ttl',
  'full',
  'quota',
  'unavailable',
] as const;

/** What a storer did with one record. */
export type RecordVerdict = (typeof RECORD_VERDICTS)[number];

/** Verdicts meaning the storer holds the record afterwards. */
export const ACCEPTED_VERDICTS: ReadonlySet<RecordVerdict> = new Set<RecordVerdict>(['stored', 'updated', 'refreshed']);

/** @returns the verdict with wire code `code` (`invalid` for an unknown code). */
export function verdictOf(code: number): RecordVerdict {
  return RECORD_VERDICTS[code] ?? 'invalid';
}

/** @returns the wire code of `verdict`. */
export function verdictCode(verdict: RecordVerdict): number {
  return RECORD_VERDICTS.indexOf(verdict);
}
