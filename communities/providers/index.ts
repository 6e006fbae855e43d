/**
 * Provider records on the Kademlia DHT: announce that a node provides a key, find the providers of a key
 * (libp2p's `Provide` / `FindProvidersAsync`, BEP 5's announce_peer / get_peers), with addresses the storers
 * observed. A record type of the DHT's record engine.
 * @module
 */
export { PROVIDERS_COMMUNITY_ID, ProvidersCommunity } from './community.js';
export type { ProvideOptions, ProvideOutcome, Providing, ProvidersCounters, ProvidersEvents } from './community.js';
export { ProvidersError } from './errors.js';
export type { FindProvidersOptions, Provider } from './find.js';
export { PROVIDER_RECORD_BYTES, ProvidersMessages, ProviderWire, providersPolicy } from './policy.js';
export type { ProvidersPolicyLimits, ProviderWireValue } from './policy.js';
export { checkProviderRecord, PROVIDER_SIGNATURE_DOMAIN, providerAddress, providerSignedMessage, signProviderRecord, stampProviderRecord } from './record.js';
export type { ProviderRecord, ProviderRecordCheck } from './record.js';
export type { ProvidersSettings, ResolvedProvidersSettings } from './settings.js';
export { DEFAULT_REANNOUNCE_INTERVAL_MS, MAX_FIND_LIMIT, resolveProvidersSettings } from './settings.js';
