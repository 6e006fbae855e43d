/**
 * Peerlay's API reference: the framework at the top level, each community as a namespace.
 * @module
 */
export * from '../framework/index.js';
export * as dht from '../communities/dht/index.js';
export * as discovery from '../communities/discovery/index.js';
export * as bag from '../communities/bag/index.js';
export * as namespace from '../communities/namespace/index.js';
export * as ipv8 from '../communities/ipv8/index.js';
export * as dict from '../communities/dict/index.js';
export * as providers from '../communities/providers/index.js';
export * as immutable from '../communities/immutable/index.js';
