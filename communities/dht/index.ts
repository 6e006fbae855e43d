/**
 * The DHT community: `storeValue`/`findValues` on a Kademlia DHT with signed values.
 * @module
 */
export * from './dht-community.js';
export * from './errors.js';
export * from './lookup.js';
export * from './messages.js';
export * from './rtt.js';
export * from './settings.js';
export * from './statistics.js';
export * from './value-ops.js';
export * from './wire-records.js';
export * from './routing/index.js';
export * from './storage/index.js';
export * from './peer-tokens.js';
export * from './join.js';
export * from './find-query.js';
