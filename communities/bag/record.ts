/**
 * A bag entry as signed by its publisher. One entry per (publisher, value) under a key; a removal is a
 * signed tombstone for the same (publisher, value) with a higher version, so only the publisher can
 * remove its entry and a stale copy can never bring it back.
 *
 * The signature covers `utf8("peerlay:bag:entry:v2") | publisher key binary (74) | key (20) | u64 version |
 * u64 expiresAt | u8 removed | value` (see {@link bagSignedMessage}): the expiry is signed, so no storer
 * can keep an entry alive longer than its publisher asked, and the whole key binary is, so an entry cannot
 * be re-attributed to a phantom publisher sharing its Ed25519 half.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { computeMid, concatBytes, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, toHex, utf8 } from '../../framework/index.js';
import type { PrivateKey, PublicKeyCache } from '../../framework/index.js';
import { KEY_BYTES } from '../dht/index.js';

/** Domain-separation tag of every bag entry signature. */
export const BAG_SIGNATURE_DOMAIN = 'peerlay:bag:entry:v2';
/** Size of an entry id (SHA-256 of publisher key binary and value), also the size of a storer cursor. */
export const ENTRY_ID_BYTES = 32;

const DOMAIN = utf8(BAG_SIGNATURE_DOMAIN);

/** One signed bag entry (or tombstone). */
export interface BagRecord {
  /** The 20-byte bag key (see `hashKey`). */
  readonly key: Uint8Array;
  /** The value. */
  readonly value: Uint8Array;
  /** The publisher's 74-byte public key binary. */
  readonly publicKey: Uint8Array;
  /** The publisher's version: its clock in ms, strictly increasing per publisher; the highest wins. */
  readonly version: number;
  /** When the entry expires, ms since the epoch on the publisher's clock (signed). */
  readonly expiresAt: number;
  /** True for a tombstone: the publisher removed this entry. */
  readonly removed: boolean;
  /** The publisher's Ed25519 signature over {@link bagSignedMessage}. */
  readonly signature: Uint8Array;
}

/**
 * Result of {@link checkBagRecord}: `valid`; `invalid` for a field of the wrong type, length or range;
 * `bad-signature` when the signature does not verify.
 */
export type BagRecordCheck = 'valid' | 'invalid' | 'bad-signature';

/**
 * The bytes a publisher signs. They cover the publisher's whole public key binary: the mid (and so the
 * publisher identity and the one-entry-per-publisher cap) hashes all of it, while Ed25519 checks only its
 * second half, so without it anyone could re-file a signed entry under endless made-up publishers.
 * @returns `utf8(BAG_SIGNATURE_DOMAIN) | publicKey | key | u64 version | u64 expiresAt | u8 removed | value`.
 */
export function bagSignedMessage(r: Omit<BagRecord, 'signature'>): Uint8Array {
  const fixed = new Uint8Array(17);
  const view = new DataView(fixed.buffer);
  view.setBigUint64(0, BigInt(r.version), false);
  view.setBigUint64(8, BigInt(r.expiresAt), false);
  fixed[16] = r.removed ? 1 : 0;
  return concatBytes(DOMAIN, r.publicKey, r.key, fixed, r.value);
}

/**
 * Signs an entry or a tombstone.
 * @param privateKey the publisher's key.
 * @param fields key (20 bytes), value, version, expiresAt (safe integers) and the removed flag.
 * @returns the signed record.
 * @example
 * ```ts
 * const r = signBagRecord(key, { key: hashKey('topic'), value: utf8('x'), version: now, expiresAt: now + 3_600_000, removed: false });
 * checkBagRecord(r); // 'valid'
 * ```
 */
export function signBagRecord(privateKey: PrivateKey, fields: Omit<BagRecord, 'publicKey' | 'signature'>): BagRecord {
  const record = { ...fields, publicKey: privateKey.publicKey.toBinary(), signature: new Uint8Array(0) };
  return { ...record, signature: privateKey.sign(bagSignedMessage(record)) };
}

/** True if every field has the right type, length and range (the signature is not checked). */
export function isWellFormedBagRecord(r: BagRecord): boolean {
  return (
    r.key instanceof Uint8Array &&
    r.key.length === KEY_BYTES &&
    r.value instanceof Uint8Array &&
    r.publicKey instanceof Uint8Array &&
    r.publicKey.length === PUBLIC_KEY_BYTES &&
    r.signature instanceof Uint8Array &&
    r.signature.length === SIGNATURE_BYTES &&
    Number.isSafeInteger(r.version) &&
    r.version >= 0 &&
    Number.isSafeInteger(r.expiresAt) &&
    r.expiresAt >= 0 &&
    typeof r.removed === 'boolean'
  );
}

/**
 * Checks shape and signature. Never throws.
 * @param keys parsed-key cache (the node's `context.keys`).
 */
export function checkBagRecord(r: BagRecord, keys: PublicKeyCache): BagRecordCheck {
  if (!isWellFormedBagRecord(r)) return 'invalid';
  const publicKey = keys.get(r.publicKey);
  if (publicKey === undefined) return 'invalid';
  return publicKey.verify(bagSignedMessage(r), r.signature) ? 'valid' : 'bad-signature';
}

/** The entry id: `SHA-256(publisher key binary | value)`, the same for an entry and its tombstone. */
export function entryId(publicKey: Uint8Array, value: Uint8Array): Uint8Array {
  return sha256(concatBytes(publicKey, value));
}

/** Hex of the publisher's mid. */
export function publisherHex(r: BagRecord): string {
  return toHex(computeMid(r.publicKey));
}

/** True if two records are byte-for-byte the same signed statement. */
export function sameBagRecord(a: BagRecord, b: BagRecord): boolean {
  return a.version === b.version && a.expiresAt === b.expiresAt && a.removed === b.removed && equalBytes(a.signature, b.signature) && equalBytes(a.value, b.value) && equalBytes(a.publicKey, b.publicKey);
}
