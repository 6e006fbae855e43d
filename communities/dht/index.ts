/**
 * The DHT: `storeValue`/`findValues` on a Kademlia DHT with signed values, and the record engine every
 * record type (values, bag, namespace, your own) is a policy of.
 * @module
 */
export { DHT_COMMUNITY_ID, DHTCommunity } from './dht-community.js';
export { DHTError } from './errors.js';
export type { DHTErrorReason } from './errors.js';
export type { DHTSettings, ResolvedDHTSettings } from './settings.js';
export { DHTStatistics } from './statistics.js';
export { MAX_NAT_OBSERVATIONS, MAX_NAT_OBSERVATIONS_PER_GROUP, MIN_NAT_REPORTERS, NAT_OBSERVATION_TTL_MS, NatObserver } from './nat-status.js';
export type { NatMappingVerdict, NatObserverEvents, NatObserverOptions, NatStatus } from './nat-status.js';
export type { DHTEvents, FindReply, FindReplyAnswer, LookupCallOptions } from './types.js';
export type { FindManyOptions, FindOptions, FoundValue, ManyResult, StoreItem, StoreManyOptions, StoreOptions, StoreRecordOptions } from './value-types.js';
export { resolveValueCacheSettings, ValueCache } from './value-cache.js';
export type { ResolvedValueCacheSettings, ValueCacheCounters, ValueCacheHost, ValueCacheSettings } from './value-cache.js';
export { MAX_LIFETIME_MS } from './settings.js';
export {
  checkRecord,
  DEFAULT_MAX_DATA_BYTES,
  hashKey,
  isSigned,
  KEY_BYTES,
  signedMessage,
  signRecord,
  unsignedRecord,
  VALUE_SIGNATURE_DOMAIN,
  verifyRecord,
} from './storage/value-record.js';
export type { PublicKeyCache, RecordCheck as ValueRecordCheck, SignedValueRecord, ValueRecord } from './storage/value-record.js';
export { isWellFormed } from './storage/value-record.js';
export { sourceGroup } from './storage/source-group.js';
export type { Answered, LookupObserver, LookupPeer, LookupResult, QueryReply } from './lookup.js';
export type {
  EventPeer,
  LookupEvent,
  LookupEventBase,
  LookupFinishedEvent,
  LookupKind,
  LookupListener,
  LookupStartedEvent,
  PathEndedEvent,
  QueryFailedEvent,
  QuerySentEvent,
  ResponseEvent,
} from './lookup-events.js';
export type { RoutingTable } from './routing/routing-table.js';
export type { AdmitPolicy, ResolvedRoutingTableOptions, RoutingTableOptions } from './routing/options.js';
export type { AddResult, PeerReplacedEvent, RefreshTarget, RoutingTableEvents } from './routing/types.js';
export type { ContactInit } from './routing/contact.js';
export type { RttEstimator } from './rtt.js';
export type { TokenManager } from './storage/token-manager.js';
export { TOKEN_BYTES } from './storage/token-manager.js';
export type { PeerTokens } from './peer-tokens.js';
export type { Contact } from './routing/contact.js';
export type { BucketInfo } from './routing/types.js';
export type { SnapshotEntry } from './routing/snapshot.js';
export { compareDistance } from './routing/node-id.js';
// The record engine: write your own record type (see docs/records.md).
export { MemoryDatastore } from './records/datastore.js';
export type { PersistedRecord, RecordDatastore, RecordOrigin } from './records/datastore.js';
export { ACCEPTED_VERDICTS, MAX_RECORD_ID_BYTES, RECORD_VERDICTS } from './records/policy.js';
export type { RecordCheck, RecordLimits, RecordPolicy, RecordVerdict, StoreSource } from './records/policy.js';
export { RecordEngine } from './records/record-engine.js';
export { RecordCommunity } from './records/record-community.js';
export type { ErrorClass, RecordCommunityParts, RecordCommunitySettings } from './records/record-community.js';
export { resolveRecordSettings } from './records/record-settings.js';
export type { RecordSettings } from './records/record-settings.js';
export type { EnginePublishOptions, NodeSearchOptions, OwnRecord, ReadOptions, ReadResult, RecordEngineOptions, RecordNetwork, RecordTiming, Scheduler } from './records/engine-types.js';
export { defineRecordMessages, NodeRef } from './records/record-messages.js';
export { MAX_PAGES } from './records/record-client.js';
export type { FindRequestBody, FindResponseBody, NodeRefValue, RecordMessageIds, RecordMessages, StoreManyEntry, StoreManyRequestBody, StoreRequestBody, StoreResponseBody, WireItem } from './records/record-messages.js';
export type { RecordClient } from './records/record-client.js';
export { defineFindManyMessages, WIRE_MAX_NODE_TABLE, WIRE_MAX_TARGETS } from './records/find-many-messages.js';
export type { FindManyAnswer, FindManyMessages, FindManyRequestBody, FindManyResponseBody } from './records/find-many-messages.js';
export { FIND_MANY_IGNORED_MS, FindBatcher, FindManyIgnorers, MAX_FIND_MANY_IGNORERS } from './records/find-many.js';
export type { FindBatcherParts } from './records/find-many.js';
export type { ClosestNode, ClosestNodesOptions, FindReply as RecordFindReply, PublishOutcome, QueryOptions, RecordPeer, RequestFn, StorerPage, TimedRecord, TokenBook } from './records/engine-types.js';
export type { Responder, TokenIssuer } from './records/record-server.js';
export { RecordStore } from './records/record-store.js';
export type { HeldPage, HeldRecord } from './records/record-table.js';
export type { PutContext, RecordStoreOptions } from './records/store-limits.js';
export type { Usage } from './records/quotas.js';
export type { StoreLimits } from './records/store-limits.js';
export { RecordStatistics } from './records/record-statistics.js';
