/**
 * The content address of an immutable value: a one-level hash tree over 512-byte chunks.
 *
 * A value `V` of `L` bytes (`0 <= L <= 8192`) is cut into `n = max(1, ceil(L / 512))` chunks,
 * `chunk_i = V[512 i, min(L, 512 (i + 1)))` (an empty value is one empty chunk). Then
 *
 * ```
 * h_i = SHA-256(utf8("peerlay:immutable:chunk:v1") | chunk_i)
 * key = SHA-256(utf8("peerlay:immutable:root:v1") | u32be(L) | h_0 | h_1 | ... | h_{n-1})
 * ```
 *
 * The two tags differ before either ends, so a chunk hash input is never a root input (domain separation),
 * and `n` follows from `L`, so the root input has one reading. The key is 32 bytes; the value lives at the
 * DHT location `key[0..20)`. Every chunk travels with `L` and the whole list `h_0 .. h_{n-1}`: any node
 * recomputes the root from them and checks its chunk against its entry, so a storer (which knows only the
 * location) and a reader (which knows the whole key) verify each chunk on arrival, without a signature.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, fromHex, toHex, utf8 } from '../../framework/index.js';
import { KEY_BYTES } from '../dht/index.js';

/** Largest immutable value, in bytes (8 KiB). */
export const MAX_IMMUTABLE_VALUE_BYTES = 8_192;
/** Bytes of one chunk (the last may be shorter). 512 minimises `chunk + list` for an 8 KiB value. */
export const CHUNK_BYTES = 512;
/** Most chunks of one value. */
export const MAX_CHUNKS = MAX_IMMUTABLE_VALUE_BYTES / CHUNK_BYTES;
/** Bytes of one chunk hash (SHA-256). */
export const CHUNK_HASH_BYTES = 32;
/** Bytes of an immutable key (SHA-256 root). */
export const IMMUTABLE_KEY_BYTES = 32;
/** Domain-separation tag of a chunk hash. */
export const CHUNK_HASH_DOMAIN = 'peerlay:immutable:chunk:v1';
/** Domain-separation tag of the root (the key). */
export const ROOT_HASH_DOMAIN = 'peerlay:immutable:root:v1';
/** How an immutable key is spelled in text (CLI, HTTP): this prefix and 64 hex digits. */
export const IMMUTABLE_KEY_PREFIX = 'imm:';

const CHUNK_TAG = utf8(CHUNK_HASH_DOMAIN);
const ROOT_TAG = utf8(ROOT_HASH_DOMAIN);
const KEY_TEXT = /^imm:[0-9a-fA-F]{64}$/;

/** @returns how many chunks a value of `length` bytes has: `max(1, ceil(length / CHUNK_BYTES))`. */
export function chunkCount(length: number): number {
  return Math.max(1, Math.ceil(length / CHUNK_BYTES));
}

/** @returns the size of chunk `index` of a value of `length` bytes. */
export function chunkSize(length: number, index: number): number {
  return Math.max(0, Math.min(CHUNK_BYTES, length - index * CHUNK_BYTES));
}

/** @returns `SHA-256(CHUNK_HASH_DOMAIN | chunk)`. */
export function chunkHash(chunk: Uint8Array): Uint8Array {
  return sha256(concatBytes(CHUNK_TAG, chunk));
}

/**
 * The key of a value from its length and its chunk hashes.
 * @param length the value's length in bytes.
 * @param hashes the chunk hashes, concatenated (`32 * chunkCount(length)` bytes).
 * @returns `SHA-256(ROOT_HASH_DOMAIN | u32be(length) | hashes)`.
 */
export function rootKey(length: number, hashes: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, length, false);
  return sha256(concatBytes(ROOT_TAG, prefix, hashes));
}

/** A value cut into chunks, with its key. */
export interface ChunkedValue {
  /** The 32-byte key. */
  readonly key: Uint8Array;
  /** The value's length. */
  readonly length: number;
  /** Every chunk hash, concatenated. */
  readonly hashes: Uint8Array;
  /** The chunks, in order. */
  readonly chunks: readonly Uint8Array[];
}

/**
 * Cuts a value into chunks and computes its key.
 * @param value at most {@link MAX_IMMUTABLE_VALUE_BYTES} bytes (not checked here).
 * @example
 * ```ts
 * const { key } = chunkValue(utf8('hello'));
 * formatImmutableKey(key); // 'imm:…' (64 hex digits)
 * ```
 */
export function chunkValue(value: Uint8Array): ChunkedValue {
  const n = chunkCount(value.length);
  const chunks: Uint8Array[] = [];
  const hashes = new Uint8Array(n * CHUNK_HASH_BYTES);
  for (let i = 0; i < n; i++) {
    const chunk = value.slice(i * CHUNK_BYTES, i * CHUNK_BYTES + chunkSize(value.length, i));
    chunks.push(chunk);
    hashes.set(chunkHash(chunk), i * CHUNK_HASH_BYTES);
  }
  return { key: rootKey(value.length, hashes), length: value.length, hashes, chunks };
}

/** @returns true when `value` hashes to `key`. */
export function matchesKey(value: Uint8Array, key: Uint8Array): boolean {
  return value.length <= MAX_IMMUTABLE_VALUE_BYTES && equalBytes(chunkValue(value).key, key);
}

/** @returns the DHT location of `key`: its first 20 bytes. */
export function locationOf(key: Uint8Array): Uint8Array {
  return key.slice(0, KEY_BYTES);
}

/** @returns the text spelling of a key: `imm:` and 64 lowercase hex digits. */
export function formatImmutableKey(key: Uint8Array): string {
  return `${IMMUTABLE_KEY_PREFIX}${toHex(key)}`;
}

/** @returns true when `text` is spelled as an immutable key (`imm:` and 64 hex digits). */
export function isImmutableKeyText(text: string): boolean {
  return KEY_TEXT.test(text);
}

/**
 * Reads a key: its text spelling or its 32 bytes.
 * @returns the 32 key bytes, or `undefined` when `key` is neither.
 */
export function parseImmutableKey(key: string | Uint8Array): Uint8Array | undefined {
  if (key instanceof Uint8Array) return key.length === IMMUTABLE_KEY_BYTES ? key.slice() : undefined;
  if (typeof key !== 'string' || !isImmutableKeyText(key)) return undefined;
  return fromHex(key.slice(IMMUTABLE_KEY_PREFIX.length).toLowerCase());
}
