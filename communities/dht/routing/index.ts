/**
 * The Kademlia routing table and the XOR id helpers it is built on.
 * @module
 */
export { type Contact, type ContactInit } from './contact.js';
export {
  commonPrefixLength,
  compareDistance,
  getBit,
  maskPrefix,
  NODE_ID_BITS,
  NODE_ID_BYTES,
  prefixToBitString,
  randomIdInRange,
  xorDistance,
} from './node-id.js';
export { RoutingTable } from './routing-table.js';
export {
  DEFAULT_MAX_PER_IP_GROUP_PER_BUCKET,
  DEFAULT_MAX_PER_IP_GROUP_PER_TABLE,
  ipDiversityPolicy,
  type IpDiversityOptions,
  ipGroup,
  ipGroupOf,
  isLocalAddress,
} from './ip-diversity.js';
export { type SnapshotEntry } from './snapshot.js';
export {
  type AdmitPolicy,
  DEFAULT_BUCKET_SIZE,
  DEFAULT_MAX_FAILURES,
  DEFAULT_STALE_AFTER_MS,
  type ResolvedRoutingTableOptions,
  type RoutingTableOptions,
} from './options.js';
export {
  type AddResult,
  type BucketInfo,
  type PeerReplacedEvent,
  type RefreshTarget,
  type RoutingTableEvents,
} from './types.js';
