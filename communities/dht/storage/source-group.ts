/**
 * Who a stored value is charged to: the IP group of the node that sent the store. One operator rarely
 * controls many /24 IPv4 or /48 IPv6 networks, while public keys cost nothing to mint, so quotas keyed by
 * IP group bound what one party can make a node hold. Loopback, private and link-local sources are keyed
 * by their full address (host and port), so many nodes on one machine or LAN are told apart.
 * @module
 */
import type { Address } from '../../../framework/endpoint/address.js';
import { addressKey } from '../../../framework/endpoint/address.js';
import { canonicalIpBytes, isLocalIp } from '../../../framework/wire/ip.js';

export { isLocalIp };

/** Prefix length of an IPv4 source group, in bits. */
export const IPV4_GROUP_BITS = 24;
/** Prefix length of an IPv6 source group, in bits. */
export const IPV6_GROUP_BITS = 48;

/**
 * The quota key of a source address: `a.b.c.0/24` for a public IPv4 address (also when IPv4-mapped in
 * IPv6), the first 48 bits as `2001:db8:1::/48` (the first three groups) for a public IPv6 address, and the full `host:port`
 * for loopback, private (RFC 1918, ULA) and link-local addresses.
 * @param address where the store came from.
 * @returns a stable string key.
 * @example
 * ```ts
 * sourceGroup({ host: '203.0.113.7', port: 4000 }); // '203.0.113.0/24'
 * sourceGroup({ host: '127.0.0.1', port: 4000 });   // '127.0.0.1:4000'
 * ```
 */
export function sourceGroup(address: Address): string {
  const bytes = canonicalIpBytes(address.host);
  if (bytes === undefined) return addressKey(address);
  if (isLocalIp(bytes)) return addressKey(address);
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.0/${IPV4_GROUP_BITS}`;
  const word = (i: number): string => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16);
  return `${word(0)}:${word(1)}:${word(2)}::/${IPV6_GROUP_BITS}`;
}
