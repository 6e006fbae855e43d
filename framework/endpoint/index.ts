/**
 * Datagram transports: the {@link Endpoint} contract, addresses, the UDP endpoint and the in-memory network.
 * @module
 */
export * from './endpoint.js';
export * from './address.js';
export * from './udp-endpoint.js';
export * from './memory-network.js';
