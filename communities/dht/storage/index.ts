/**
 * DHT storage: signed and unsigned value records, the per-node value store, merging lookup answers, and
 * store tokens.
 * @module
 */
export { mergeNewest, type RecordVerifier } from './merge-newest.js';
export {
  DEFAULT_MAX_BYTES_PER_SOURCE,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_ENTRIES_PER_SOURCE,
  DEFAULT_MAX_KEYS,
  DEFAULT_MAX_TTL_MS,
  DEFAULT_MAX_UNSIGNED_PER_KEY,
  type StoredValue,
  type StoreVerdict,
  type ValueOrigin,
  type ValueStoreOptions,
} from './store-types.js';
export { IPV4_GROUP_BITS, IPV6_GROUP_BITS, isLocalIp, sourceGroup } from './source-group.js';
export type { SourceUsage } from './source-quota.js';
export { TOKEN_BYTES, TOKEN_ROTATE_MS, TOKEN_SECRET_BYTES, TokenManager } from './token-manager.js';
export {
  checkRecord,
  DEFAULT_MAX_DATA_BYTES,
  hashKey,
  isSigned,
  isWellFormed,
  KEY_BYTES,
  type PublicKeyCache,
  type RecordCheck,
  recordId,
  type SignedValueRecord,
  signedMessage,
  signRecord,
  unsignedRecord,
  VALUE_SIGNATURE_DOMAIN,
  type ValueRecord,
  verifyRecord,
} from './value-record.js';
export { ValueStore } from './value-store.js';
