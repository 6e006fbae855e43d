/**
 * The namespace community: signed, sequence-numbered values under a publisher's key (BEP 44 style).
 * @module
 */
export * from './client.js';
export * from './community.js';
export * from './errors.js';
export * from './handlers.js';
export * from './maintenance.js';
export * from './messages.js';
export * from './record.js';
export * from './settings.js';
export * from './statistics.js';
export * from './store.js';
