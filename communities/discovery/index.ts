/**
 * The DHT discovery community: `connectPeer(mid)`.
 * @module
 */
export * from './announcer.js';
export * from './discovery-community.js';
export * from './messages.js';
export * from './peer-records.js';
export * from './peer-search.js';
