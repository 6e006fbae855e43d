/**
 * Communities: the base class, peers, discovery, requests.
 * @module
 */
export * from './community.js';
export * from './community-id.js';
export * from './context.js';
export * from './discovery.js';
export * from './messages.js';
export * from './peer.js';
export * from './peer-store.js';
export * from './request-cache.js';
export { defineRequest } from './request-type.js';
export type { RequestBody, RequestOptions, RequestType } from './request-type.js';
export * from './stats.js';
