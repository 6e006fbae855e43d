/**
 * The bag community: a set of signed values per key, paged searches with an amplification bound.
 * @module
 */
export * from './community.js';
export * from './errors.js';
export * from './handlers.js';
export * from './maintenance.js';
export * from './messages.js';
export * from './publish.js';
export * from './record.js';
export * from './search.js';
export * from './settings.js';
export * from './statistics.js';
export * from './store.js';
