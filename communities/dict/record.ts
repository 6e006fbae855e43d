/**
 * A dictionary entry: one subkey of the dictionary under a key, with its value and its absolute expiration
 * (hivemind's `store(key, subkey, value, expiration_time)`). The expiration is the entry's version: for one
 * subkey the later expiration wins.
 *
 * A subkey is **owned** or **open**. An owned entry names its owner's 74-byte public key binary, which is
 * part of the subkey's identity (as hivemind's `[owner:<pubkey>]` subkeys), and carries the owner's
 * signature over `utf8("peerlay:dict:entry:v1") | owner key binary (74) | key (20) | u16 subkey length |
 * subkey | u64 expiresAt | value` (see {@link dictSignedMessage}): only the owner can write it, and no
 * storer can alter its value or extend its expiration. An open entry is unsigned: anyone may replace it with
 * a later expiration.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, utf8 } from '../../framework/index.js';
import type { PrivateKey, PublicKeyCache } from '../../framework/index.js';
import { KEY_BYTES } from '../dht/index.js';

/** Domain-separation tag of every owned entry's signature. */
export const DICT_SIGNATURE_DOMAIN = 'peerlay:dict:entry:v1';
/** Size of a subkey id (see {@link subkeyId}), also the size of a storer cursor. */
export const SUBKEY_ID_BYTES = 32;

const DOMAIN = utf8(DICT_SIGNATURE_DOMAIN);
const OPEN_TAG = Uint8Array.of(0);
const OWNED_TAG = Uint8Array.of(1);

/** One dictionary entry, owned (with `owner` and `signature`) or open (with neither). */
export interface DictRecord {
  /** The 20-byte dictionary key (see `hashKey`). */
  readonly key: Uint8Array;
  /** The subkey. */
  readonly subkey: Uint8Array;
  /** The value. */
  readonly value: Uint8Array;
  /** When the entry expires, ms since the epoch (the writer's clock); the later one wins. */
  readonly expiresAt: number;
  /** The owner's 74-byte public key binary; `undefined` for an open entry. */
  readonly owner?: Uint8Array | undefined;
  /** The owner's Ed25519 signature over {@link dictSignedMessage}; `undefined` for an open entry. */
  readonly signature?: Uint8Array | undefined;
}

/** The fields a writer chooses. */
export type DictFields = Pick<DictRecord, 'key' | 'subkey' | 'value' | 'expiresAt'>;

/**
 * Result of {@link checkDictRecord}: `valid`; `invalid` for a field of the wrong type, length or range (or
 * an owner without a signature); `bad-signature` when an owned entry's signature does not verify.
 */
export type DictRecordCheck = 'valid' | 'invalid' | 'bad-signature';

/**
 * The bytes an owner signs. They cover the owner's whole key binary (the owner's identity, and so the
 * subkey's, hashes all of it, while Ed25519 checks only its second half), the key, the subkey (with its
 * length, so subkey and value cannot trade bytes), the expiration and the value.
 * @returns `utf8(DICT_SIGNATURE_DOMAIN) | owner | key | u16 subkey length | subkey | u64 expiresAt | value`.
 */
export function dictSignedMessage(owner: Uint8Array, r: DictFields): Uint8Array {
  const length = new Uint8Array(2);
  new DataView(length.buffer).setUint16(0, r.subkey.length, false);
  const expiry = new Uint8Array(8);
  new DataView(expiry.buffer).setBigUint64(0, BigInt(r.expiresAt), false);
  return concatBytes(DOMAIN, owner, r.key, length, r.subkey, expiry, r.value);
}

/**
 * Signs an owned entry.
 * @param privateKey the owner's key.
 * @param fields key (20 bytes), subkey, value and expiresAt (a safe integer, ms since the epoch).
 * @returns the signed entry.
 * @example
 * ```ts
 * const r = signDictRecord(key, { key: hashKey('peers'), subkey: utf8('alice'), value: utf8('10.0.0.1'), expiresAt: now + 3_600_000 });
 * checkDictRecord(r, keys); // 'valid'
 * ```
 */
export function signDictRecord(privateKey: PrivateKey, fields: DictFields): DictRecord {
  const owner = privateKey.publicKey.toBinary();
  return { ...fields, owner, signature: privateKey.sign(dictSignedMessage(owner, fields)) };
}

/**
 * An open entry (unsigned: anyone may replace it with a later expiration).
 * @param fields key (20 bytes), subkey, value and expiresAt.
 */
export function openDictRecord(fields: DictFields): DictRecord {
  return { key: fields.key, subkey: fields.subkey, value: fields.value, expiresAt: fields.expiresAt };
}

/** True if every field has the right type, length and range (the signature is not checked). */
export function isWellFormedDictRecord(r: DictRecord): boolean {
  const owned = r.owner !== undefined || r.signature !== undefined;
  return (
    r.key instanceof Uint8Array &&
    r.key.length === KEY_BYTES &&
    r.subkey instanceof Uint8Array &&
    r.subkey.length <= 0xffff &&
    r.value instanceof Uint8Array &&
    Number.isSafeInteger(r.expiresAt) &&
    r.expiresAt >= 0 &&
    (!owned || (r.owner instanceof Uint8Array && r.owner.length === PUBLIC_KEY_BYTES && r.signature instanceof Uint8Array && r.signature.length === SIGNATURE_BYTES))
  );
}

/**
 * Checks shape and, for an owned entry, the signature. Never throws.
 * @param keys parsed-key cache (the node's `context.keys`).
 */
export function checkDictRecord(r: DictRecord, keys: PublicKeyCache): DictRecordCheck {
  if (!isWellFormedDictRecord(r)) return 'invalid';
  if (r.owner === undefined) return 'valid';
  const owner = keys.get(r.owner);
  if (owner === undefined) return 'invalid';
  return owner.verify(dictSignedMessage(r.owner, r), r.signature!) ? 'valid' : 'bad-signature';
}

/**
 * The subkey id, a storer's identity of the entry within its key: `SHA-256(0x00 | subkey)` for an open
 * subkey, `SHA-256(0x01 | owner key binary | subkey)` for an owned one. An owned subkey is another subkey
 * than the open one of the same name, and than the same name owned by someone else.
 */
export function subkeyId(subkey: Uint8Array, owner: Uint8Array | undefined): Uint8Array {
  return sha256(owner === undefined ? concatBytes(OPEN_TAG, subkey) : concatBytes(OWNED_TAG, owner, subkey));
}

/** True if two entries are byte-for-byte the same statement. */
export function sameDictRecord(a: DictRecord, b: DictRecord): boolean {
  return (
    a.expiresAt === b.expiresAt &&
    equalBytes(a.subkey, b.subkey) &&
    equalBytes(a.value, b.value) &&
    optionalEqual(a.owner, b.owner) &&
    optionalEqual(a.signature, b.signature)
  );
}

function optionalEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : equalBytes(a, b);
}
