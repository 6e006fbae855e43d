/**
 * Immutable chunks as a record type of the engine: at the location `key[0..20)`, one record per chunk,
 * whose id is its index, carrying the value's length and every chunk hash, so the storer verifies it
 * against the location on arrival (see `chunks.ts`). There are no versions: a location holds one value.
 * @module
 */
import type { Infer } from '../../framework/index.js';
import { defineSchema, equalBytes, t } from '../../framework/index.js';
import type { RecordPolicy } from '../dht/index.js';
import { defineRecordMessages, KEY_BYTES } from '../dht/index.js';
import { CHUNK_BYTES, CHUNK_HASH_BYTES, chunkCount, chunkHash, chunkSize, MAX_CHUNKS, MAX_IMMUTABLE_VALUE_BYTES, rootKey } from './chunks.js';

/** One chunk of an immutable value, as stored. */
export interface ImmutableChunk {
  /** The 20-byte DHT location: the first 20 bytes of the value's key. */
  readonly location: Uint8Array;
  /** The chunk's index (its record id), `0 .. chunkCount(length) - 1`. */
  readonly index: number;
  /** The whole value's length in bytes. */
  readonly length: number;
  /** Every chunk hash of the value, concatenated (`32 * chunkCount(length)` bytes). */
  readonly hashes: Uint8Array;
  /** The chunk's bytes. */
  readonly chunk: Uint8Array;
}

/** A chunk on the wire (its location travels once per message). */
export const ImmutableChunkWire = defineSchema({
  index: t.u8(),
  length: t.u16(),
  hashes: t.bytes({ max: MAX_CHUNKS * CHUNK_HASH_BYTES }),
  chunk: t.bytes({ max: CHUNK_BYTES }),
});

/** A chunk's wire form. */
export type ImmutableChunkWireValue = Infer<typeof ImmutableChunkWire>;

/** The immutable community's messages: find (a page of chunks after a cursor) and store, ids 1-4. */
export const ImmutableMessages = defineRecordMessages(ImmutableChunkWire, { prefix: 'immutable', ids: [1, 2, 3, 4] });

/** Bytes a chunk is charged for: the chunk and its hash list. */
export const MAX_CHUNK_RECORD_BYTES = CHUNK_BYTES + MAX_CHUNKS * CHUNK_HASH_BYTES;

/** True when every field has the right type, length and range (nothing is hashed). */
export function isWellFormedChunk(r: ImmutableChunk): boolean {
  if (!(r.location instanceof Uint8Array && r.location.length === KEY_BYTES && r.hashes instanceof Uint8Array && r.chunk instanceof Uint8Array)) return false;
  if (!Number.isSafeInteger(r.length) || r.length < 0 || r.length > MAX_IMMUTABLE_VALUE_BYTES) return false;
  const n = chunkCount(r.length);
  return Number.isSafeInteger(r.index) && r.index >= 0 && r.index < n && r.hashes.length === n * CHUNK_HASH_BYTES && r.chunk.length === chunkSize(r.length, r.index);
}

/**
 * Checks a chunk against a location: well formed, its length and hash list hash to a root whose first 20
 * bytes are `location`, and its bytes hash to its entry of the list. Never throws.
 * @returns `valid`, or `invalid` (malformed, or not a piece of the value at `location`).
 */
export function checkChunk(r: ImmutableChunk, location: Uint8Array): 'valid' | 'invalid' {
  if (!isWellFormedChunk(r) || !equalBytes(r.location, location)) return 'invalid';
  if (!equalBytes(rootKey(r.length, r.hashes).subarray(0, KEY_BYTES), location)) return 'invalid';
  const entry = r.hashes.subarray(r.index * CHUNK_HASH_BYTES, (r.index + 1) * CHUNK_HASH_BYTES);
  return equalBytes(chunkHash(r.chunk), entry) ? 'valid' : 'invalid';
}

/**
 * The immutable record type.
 * @param maxTtlMs the longest lifetime a storer grants.
 * @returns the policy.
 */
export function immutablePolicy(maxTtlMs: number): RecordPolicy<ImmutableChunk, ImmutableChunkWireValue> {
  return {
    name: 'immutable',
    wire: ImmutableChunkWire,
    // One value per location (a second one would need a SHA-256 preimage of 160 bits): its chunks fill it.
    limits: { maxRecordBytes: MAX_CHUNK_RECORD_BYTES, maxPerLocation: { default: MAX_CHUNKS }, maxPerGroupPerLocation: MAX_CHUNKS, maxTtlMs },
    toWire: (r) => ({ index: r.index, length: r.length, hashes: r.hashes, chunk: r.chunk }),
    fromWire: (location, w) => ({ location, ...w }),
    wellFormed: isWellFormedChunk,
    location: (r) => r.location,
    id: (r) => Uint8Array.of(r.index),
    publisher: () => undefined,
    check: checkChunk,
    version: () => 0,
    same: (a, b) => a.index === b.index && a.length === b.length && equalBytes(a.chunk, b.chunk) && equalBytes(a.hashes, b.hashes),
    size: (r) => r.chunk.length + r.hashes.length,
  };
}
