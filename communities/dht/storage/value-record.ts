/**
 * The unit stored in the DHT: data under a 20-byte key, either unsigned (anyone may add one; records are
 * told apart by their data) or signed by a publisher (one per publisher and key; the highest version wins,
 * as with BEP 44's `seq`).
 *
 * A signature covers `utf8("peerlay:dht:value:v2") | publisher public key binary (74) | key | u64
 * big-endian version | data` (see {@link signedMessage}), so it cannot be replayed under another key,
 * version or protocol, nor attributed to another publisher: the public key binary holds an X25519 half
 * that Ed25519 does not check, and the publisher's mid is the hash of the whole binary, so signing the
 * whole binary is what binds a record to one mid.
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import type { PrivateKey } from '../../../framework/crypto/keys.js';
import { PUBLIC_KEY_BYTES, PublicKey, SIGNATURE_BYTES } from '../../../framework/crypto/keys.js';
import { InvalidArgumentError } from '../../../framework/errors.js';
import { concatBytes, utf8 } from '../../../framework/util/bytes.js';

/** Size in bytes of a DHT key (the same space as node ids). */
export const KEY_BYTES = 20;

/** Default maximum size in bytes of a record's data. */
export const DEFAULT_MAX_DATA_BYTES = 1024;

/** Domain-separation prefix of every signed value message. */
export const VALUE_SIGNATURE_DOMAIN = 'peerlay:dht:value:v2';

const DOMAIN_BYTES = utf8(VALUE_SIGNATURE_DOMAIN);
const VERSION_BYTES = 8;

/** A value as stored and exchanged in the DHT. */
export interface ValueRecord {
  /** The 20-byte DHT key (see {@link hashKey}). */
  readonly key: Uint8Array;
  /** The value itself. */
  readonly data: Uint8Array;
  /** The publisher's 74-byte public key binary when signed, `undefined` when unsigned. */
  readonly publicKey: Uint8Array | undefined;
  /**
   * A safe unsigned integer. For signed values the publisher's version (by default the publisher's clock
   * in ms), newest wins; always 0 for unsigned values.
   */
  readonly version: number;
  /** The publisher's 64-byte Ed25519 signature over {@link signedMessage} when signed, else `undefined`. */
  readonly signature: Uint8Array | undefined;
}

/** A {@link ValueRecord} that carries a publisher key and a signature (not necessarily valid ones). */
export interface SignedValueRecord extends ValueRecord {
  /** The publisher's 74-byte public key binary. */
  readonly publicKey: Uint8Array;
  /** The publisher's 64-byte signature. */
  readonly signature: Uint8Array;
}

/** Where {@link verifyRecord} may find already parsed public keys, to skip parsing a binary again. */
export interface PublicKeyCache {
  /**
   * @param binary a 74-byte public key binary.
   * @returns the parsed key, or `undefined` if not cached (the binary is then parsed directly).
   */
  get(binary: Uint8Array): PublicKey | undefined;
  /**
   * Optional memoised verification (the node's verified-signature memo); used instead of
   * `PublicKey.verify` when present.
   */
  verifyCached?(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Result of {@link checkRecord}: `valid`; `invalid` when a field has the wrong type, length or range (or
 * only one of publicKey/signature is present); `bad-signature` when the signature does not verify.
 */
export type RecordCheck = 'valid' | 'invalid' | 'bad-signature';

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function isSafeUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkKey(key: Uint8Array): void {
  if (!isBytes(key) || key.length !== KEY_BYTES) {
    throw new InvalidArgumentError(`key must be a ${KEY_BYTES}-byte Uint8Array, got ${describe(key)}`);
  }
}

function checkData(data: Uint8Array): void {
  if (!isBytes(data)) throw new InvalidArgumentError(`data must be a Uint8Array, got ${describe(data)}`);
}

function describe(value: unknown): string {
  return isBytes(value) ? `${value.length} bytes` : typeof value;
}

/**
 * The bytes a publisher signs.
 * @param key the 20-byte key.
 * @param version the version, a safe unsigned integer.
 * @param data the value.
 * @param publicKey the publisher's 74-byte public key binary.
 * @returns `utf8("peerlay:dht:value:v2") | publicKey | key | u64 big-endian version | data`.
 * @throws `InvalidArgumentError` on a key that is not 20 bytes, a public key that is not 74 bytes or a
 *   version that is not a safe uint.
 */
export function signedMessage(key: Uint8Array, version: number, data: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkKey(key);
  checkData(data);
  if (!isBytes(publicKey) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError(`publicKey must be a ${PUBLIC_KEY_BYTES}-byte Uint8Array, got ${describe(publicKey)}`);
  }
  if (!isSafeUint(version)) throw new InvalidArgumentError(`version must be a safe unsigned integer, got ${version}`);
  const versionBytes = new Uint8Array(VERSION_BYTES);
  new DataView(versionBytes.buffer).setBigUint64(0, BigInt(version), false);
  return concatBytes(DOMAIN_BYTES, publicKey, key, versionBytes, data);
}

/**
 * Signs a value.
 * @param privateKey the publisher's key.
 * @param key the 20-byte key.
 * @param data the value (the size limit is enforced by the storing node, not here).
 * @param version the version, a safe unsigned integer; publishers usually pass their `clock.now()`.
 * @returns the signed record (the arrays are copies).
 * @throws `InvalidArgumentError` on a key that is not 20 bytes or a version that is not a safe uint.
 * @example
 * ```ts
 * const record = signRecord(PrivateKey.generate(), hashKey('my key'), utf8('hello'), clock.now());
 * verifyRecord(record); // true
 * ```
 */
export function signRecord(
  privateKey: PrivateKey,
  key: Uint8Array,
  data: Uint8Array,
  version: number,
): SignedValueRecord {
  const publicKey = privateKey.publicKey.toBinary();
  const message = signedMessage(key, version, data, publicKey);
  return {
    key: Uint8Array.from(key),
    data: Uint8Array.from(data),
    publicKey,
    version,
    signature: privateKey.sign(message),
  };
}

/**
 * Makes an unsigned record (version 0).
 * @param key the 20-byte key.
 * @param data the value.
 * @returns the record (the arrays are copies).
 * @throws `InvalidArgumentError` on a key that is not 20 bytes.
 */
export function unsignedRecord(key: Uint8Array, data: Uint8Array): ValueRecord {
  checkKey(key);
  checkData(data);
  const copy = { key: Uint8Array.from(key), data: Uint8Array.from(data) };
  return { ...copy, publicKey: undefined, version: 0, signature: undefined };
}

/**
 * @param record a record.
 * @returns true if it carries a public key and a signature (checked for presence only).
 */
export function isSigned(record: ValueRecord): record is SignedValueRecord {
  return record.publicKey !== undefined && record.signature !== undefined;
}

/**
 * Checks every field's type, length and range without verifying the signature: a 20-byte key, data bytes,
 * a safe uint version, and either both a 74-byte public key and a 64-byte signature, or neither with
 * version 0.
 * @param record a record, typically just decoded from the wire.
 * @returns true if well formed.
 */
export function isWellFormed(record: ValueRecord): boolean {
  if (typeof record !== 'object' || record === null) return false;
  if (!isBytes(record.key) || record.key.length !== KEY_BYTES || !isBytes(record.data)) return false;
  if (!isSafeUint(record.version)) return false;
  const { publicKey, signature } = record;
  if (publicKey === undefined && signature === undefined) return record.version === 0;
  return (
    isBytes(publicKey) &&
    publicKey.length === PUBLIC_KEY_BYTES &&
    isBytes(signature) &&
    signature.length === SIGNATURE_BYTES
  );
}

/**
 * Checks a record's shape ({@link isWellFormed}) and, when signed, its signature. Never throws.
 * @param record the record.
 * @param keyCache optional parsed public keys, to avoid parsing the same binary repeatedly.
 * @returns the verdict.
 */
export function checkRecord(record: ValueRecord, keyCache?: PublicKeyCache): RecordCheck {
  if (!isWellFormed(record)) return 'invalid';
  if (!isSigned(record)) return 'valid';
  let publicKey = keyCache?.get(record.publicKey);
  if (publicKey === undefined) {
    try {
      publicKey = PublicKey.fromBinary(record.publicKey);
    } catch {
      return 'invalid';
    }
  }
  const message = signedMessage(record.key, record.version, record.data, record.publicKey);
  const ok = keyCache?.verifyCached !== undefined ? keyCache.verifyCached(publicKey, message, record.signature) : publicKey.verify(message, record.signature);
  return ok ? 'valid' : 'bad-signature';
}

/**
 * True if the record is well formed and, when signed, its signature verifies. Never throws.
 * @param record the record.
 * @param keyCache optional parsed public keys, to avoid parsing the same binary repeatedly.
 * @returns whether the record may be stored or used.
 */
export function verifyRecord(record: ValueRecord, keyCache?: PublicKeyCache): boolean {
  return checkRecord(record, keyCache) === 'valid';
}

/**
 * Turns an application key into a 20-byte DHT key. A string key is hashed to 20 bytes the same way
 * everywhere: SHA-1 of its UTF-8 bytes. A 20-byte `Uint8Array` is already a DHT key and is used as is
 * (copied); any other `Uint8Array` is hashed with SHA-1.
 * @param key the application key.
 * @returns the 20-byte DHT key.
 * @throws `InvalidArgumentError` if `key` is neither a string nor a `Uint8Array`.
 */
export function hashKey(key: string | Uint8Array): Uint8Array {
  if (typeof key === 'string') return sha1(utf8(key));
  if (isBytes(key)) return key.length === KEY_BYTES ? Uint8Array.from(key) : sha1(key);
  throw new InvalidArgumentError(`key must be a string or a Uint8Array, got ${typeof key}`);
}
