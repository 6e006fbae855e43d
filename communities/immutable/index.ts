/**
 * The immutable community: content-addressed immutable values of up to 8 KiB, checked against their key,
 * in datagrams of at most 1,280 bytes.
 * @module
 */
export { IMMUTABLE_COMMUNITY_ID, ImmutableCommunity } from './community.js';
export type { GetImmutableOptions, ImmutableEvents, ImmutableSettings, PutImmutableOptions, PutImmutableResult } from './community.js';
export {
  CHUNK_BYTES,
  CHUNK_HASH_BYTES,
  CHUNK_HASH_DOMAIN,
  chunkCount,
  chunkHash,
  chunkValue,
  formatImmutableKey,
  IMMUTABLE_KEY_BYTES,
  IMMUTABLE_KEY_PREFIX,
  isImmutableKeyText,
  locationOf,
  matchesKey,
  MAX_CHUNKS,
  MAX_IMMUTABLE_VALUE_BYTES,
  parseImmutableKey,
  ROOT_HASH_DOMAIN,
  rootKey,
} from './chunks.js';
export type { ChunkedValue } from './chunks.js';
export { ChunkCollector } from './collector.js';
export { IMMUTABLE_MAX_DATAGRAM_BYTES, limitDatagrams, limitTransport } from './datagram.js';
export { ImmutableError } from './errors.js';
export { DEFAULT_IMMUTABLE_CACHE, ImmutableValueCache } from './value-cache.js';
export type { ImmutableCacheLimits } from './value-cache.js';
export { checkChunk, ImmutableChunkWire, ImmutableMessages, immutablePolicy, isWellFormedChunk, MAX_CHUNK_RECORD_BYTES } from './policy.js';
export type { ImmutableChunk, ImmutableChunkWireValue } from './policy.js';
