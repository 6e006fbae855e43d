/**
 * The bag community: a set of signed values per key, paged searches with an amplification bound.
 * @module
 */
export { BAG_COMMUNITY_ID, BagCommunity } from './community.js';
export type { AddOptions, BagEvents } from './community.js';
export { BagError } from './errors.js';
export { BagEntryWire, BagMessages, bagPolicy } from './policy.js';
export type { BagEntryWireValue, BagPolicyLimits } from './policy.js';
export { BAG_SIGNATURE_DOMAIN, bagSignedMessage, checkBagRecord, entryId, signBagRecord } from './record.js';
export type { BagRecord, BagRecordCheck } from './record.js';
export type { BagEntry, SearchOptions, SearchResult } from './search.js';
export type { BagSettings, ResolvedBagSettings } from './settings.js';
export { resolveBagSettings } from './settings.js';
