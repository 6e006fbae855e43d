/**
 * A namespace record: a value under (publisher public key, key), BEP 44's mutable item. The key plays the
 * role of BEP 44's salt; the record lives at `SHA-1(public key binary | key)`; the signature covers
 * `utf8("peerlay:namespace:v1") | u8 key length | key | i64 big-endian seq | value`, so a record cannot
 * be replayed under another key, seq or protocol; storers keep only the highest seq.
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { concatBytes, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, utf8 } from '../../framework/index.js';
import type { PrivateKey, PublicKeyCache } from '../../framework/index.js';

/** Domain-separation tag of every namespace signature. */
export const NAMESPACE_SIGNATURE_DOMAIN = 'peerlay:namespace:v1';
/** Longest key (BEP 44 salt), in bytes. */
export const MAX_NAMESPACE_KEY_BYTES = 64;

const DOMAIN = utf8(NAMESPACE_SIGNATURE_DOMAIN);

/** One signed namespace record. */
export interface NamespaceRecord {
  /** The publisher's 74-byte public key binary. */
  readonly publicKey: Uint8Array;
  /** The key within the publisher's namespace (BEP 44 salt), at most 64 bytes. */
  readonly key: Uint8Array;
  /** The sequence number (a non-negative safe integer, signed as int64): the highest wins. */
  readonly seq: number;
  /** The value. */
  readonly value: Uint8Array;
  /** The publisher's Ed25519 signature over {@link namespaceSignedMessage}. */
  readonly signature: Uint8Array;
}

/** Result of {@link checkNamespaceRecord}. */
export type NamespaceRecordCheck = 'valid' | 'invalid' | 'bad-signature';

/** Where a record lives: `SHA-1(public key binary | key)` (20 bytes). */
export function namespaceLocation(publicKey: Uint8Array, key: Uint8Array): Uint8Array {
  return sha1(concatBytes(publicKey, key));
}

/** The bytes a publisher signs: `domain | u8 key length | key | i64 BE seq | value`. */
export function namespaceSignedMessage(key: Uint8Array, seq: number, value: Uint8Array): Uint8Array {
  const seqBytes = new Uint8Array(8);
  new DataView(seqBytes.buffer).setBigInt64(0, BigInt(seq), false);
  return concatBytes(DOMAIN, Uint8Array.of(key.length), key, seqBytes, value);
}

/**
 * Signs a record.
 * @example
 * ```ts
 * const r = signNamespaceRecord(privateKey, utf8('profile'), 1, utf8('{"name":"alice"}'));
 * ```
 */
export function signNamespaceRecord(privateKey: PrivateKey, key: Uint8Array, seq: number, value: Uint8Array): NamespaceRecord {
  return {
    publicKey: privateKey.publicKey.toBinary(),
    key: Uint8Array.from(key),
    seq,
    value: Uint8Array.from(value),
    signature: privateKey.sign(namespaceSignedMessage(key, seq, value)),
  };
}

/** True if every field has the right type, length and range (the signature is not checked). */
export function isWellFormedNamespaceRecord(r: NamespaceRecord): boolean {
  return (
    r.publicKey instanceof Uint8Array &&
    r.publicKey.length === PUBLIC_KEY_BYTES &&
    r.key instanceof Uint8Array &&
    r.key.length <= MAX_NAMESPACE_KEY_BYTES &&
    r.value instanceof Uint8Array &&
    r.signature instanceof Uint8Array &&
    r.signature.length === SIGNATURE_BYTES &&
    Number.isSafeInteger(r.seq) &&
    r.seq >= 0
  );
}

/** Checks shape and signature. Never throws. @param keys parsed-key cache (the node's `context.keys`). */
export function checkNamespaceRecord(r: NamespaceRecord, keys: PublicKeyCache): NamespaceRecordCheck {
  if (!isWellFormedNamespaceRecord(r)) return 'invalid';
  const publicKey = keys.get(r.publicKey);
  if (publicKey === undefined) return 'invalid';
  return publicKey.verify(namespaceSignedMessage(r.key, r.seq, r.value), r.signature) ? 'valid' : 'bad-signature';
}

/** True if both are the same signed statement (same seq, value and signature). */
export function sameNamespaceRecord(a: NamespaceRecord, b: NamespaceRecord): boolean {
  return a.seq === b.seq && equalBytes(a.value, b.value) && equalBytes(a.signature, b.signature);
}
