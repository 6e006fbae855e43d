/**
 * py-ipv8's DHT node ids (`ipv8/dht/routing.py`, `calc_node_id`): BEP 42 style, bound to the address a
 * node is seen at. The first 3 bytes are the big-endian CRC of the masked IP, the other 17 the first
 * 17 bytes of the mid. py-ipv8's docstring says crc32c, but its code calls `binascii.crc32`: the plain
 * CRC-32 (ISO-HDLC) is what goes on the wire, and what this module computes.
 * @module
 */
import { crc32 } from 'node:zlib';
import type { Address } from '../../framework/endpoint/address.js';
import { InvalidArgumentError } from '../../framework/errors.js';
import { IPV4_BYTES, ipToBytes } from '../../framework/wire/ip.js';

/** The IPv4 mask (`0x030f3fff`). */
const IPV4_MASK = [0x03, 0x0f, 0x3f, 0xff] as const;
/** The mask of the first 8 bytes of an IPv6 address. */
const IPV6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff] as const;
/** Bytes of the CRC kept in the id. */
const CRC_BYTES = 3;
/** Bytes of a node id. */
export const IPV8_NODE_ID_BYTES = 20;

/**
 * The node id py-ipv8 gives the node with `mid` seen at `address`.
 * @throws {@link InvalidArgumentError} when the host is not a literal IP address or `mid` is not 20 bytes.
 * @example
 * ```ts
 * const id = ipv8NodeId({ host: '127.0.0.1', port: 8090 }, key.publicKey.mid);
 * ```
 */
export function ipv8NodeId(address: Address, mid: Uint8Array): Uint8Array {
  const ip = ipToBytes(address.host);
  if (ip === undefined) throw new InvalidArgumentError(`node id needs a literal IP address, got ${address.host}`);
  if (mid.length !== IPV8_NODE_ID_BYTES) throw new InvalidArgumentError(`mid must be 20 bytes, got ${mid.length}`);
  const mask = ip.length === IPV4_BYTES ? IPV4_MASK : IPV6_MASK;
  const masked = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) masked[i] = ip[i]! & mask[i]!;
  const crc = crc32(masked) >>> 0;
  const id = new Uint8Array(IPV8_NODE_ID_BYTES);
  id[0] = crc >>> 24;
  id[1] = (crc >>> 16) & 0xff;
  id[2] = (crc >>> 8) & 0xff;
  id.set(mid.subarray(0, IPV8_NODE_ID_BYTES - CRC_BYTES), CRC_BYTES);
  return id;
}
