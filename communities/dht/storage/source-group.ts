/**
 * Who a stored value is charged to: the IP group of the node that sent the store. One operator rarely
 * controls many /24 IPv4 or /48 IPv6 networks, while public keys cost nothing to mint, so quotas keyed by
 * IP group bound what one party can make a node hold. Loopback, private and link-local sources are keyed
 * by their full address (host and port), so many nodes on one machine or LAN are told apart.
 * @module
 */
import type { Address } from '../../../framework/endpoint/address.js';
import { addressKey } from '../../../framework/endpoint/address.js';
import { ipToBytes } from '../../../framework/wire/ip.js';

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
  let bytes = ipToBytes(address.host);
  if (bytes === undefined) return addressKey(address);
  if (bytes.length === 16 && isV4Mapped(bytes)) bytes = bytes.subarray(12);
  if (isLocalIp(bytes)) return addressKey(address);
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.0/${IPV4_GROUP_BITS}`;
  const word = (i: number): string => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16);
  return `${word(0)}:${word(1)}:${word(2)}::/${IPV6_GROUP_BITS}`;
}

/**
 * @param bytes a 4- or 16-byte IP address.
 * @returns true for loopback, unspecified, private and link-local addresses (IPv4 127/8, 0/8, 10/8,
 *   172.16/12, 192.168/16, 169.254/16; IPv6 ::1, ::, fc00::/7, fe80::/10).
 */
export function isLocalIp(bytes: Uint8Array): boolean {
  const a = bytes[0]!;
  const b = bytes[1]!;
  if (bytes.length === 4) {
    return a === 127 || a === 0 || a === 10 || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const zeroUntil15 = bytes.subarray(0, 15).every((x) => x === 0);
  if (zeroUntil15 && (bytes[15] === 1 || bytes[15] === 0)) return true;
  return (a & 0xfe) === 0xfc || (a === 0xfe && (b & 0xc0) === 0x80);
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
