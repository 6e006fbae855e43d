/**
 * Conversion between IP address text and its 4- or 16-byte binary form, used by `t.address()`.
 * The text produced for IPv6 is the canonical form `node:net` (inet_ntop) gives: lowercase, without
 * leading zeros, the first longest run of two or more zero groups compressed to `::`, and a trailing
 * dotted quad for IPv4-mapped (`::ffff:1.2.3.4`) and IPv4-compatible (`::1.2.3.4`) addresses.
 * @module
 */
import { isIP } from 'node:net';

/** Number of bytes of an IPv4 address. */
export const IPV4_BYTES = 4;
/** Number of bytes of an IPv6 address. */
export const IPV6_BYTES = 16;

/**
 * Binary form of a literal IP address: 4 bytes for IPv4, 16 for IPv6.
 * @param host an IPv4 dotted quad or IPv6 text (no zone id).
 * @returns the bytes, or `undefined` if `host` is not a literal IP address or carries a zone id.
 */
export function ipToBytes(host: string): Uint8Array | undefined {
  const family = isIP(host);
  if (family === 4) return ipv4ToBytes(host);
  if (family !== 6 || host.includes('%')) return undefined;
  let text = host;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = ipv4ToBytes(last);
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const zeros = 8 - head.length - tail.length;
  const out = new Uint8Array(IPV6_BYTES);
  let i = 0;
  const put = (group: string): void => {
    const w = Number.parseInt(group, 16);
    out[i++] = w >> 8;
    out[i++] = w & 0xff;
  };
  for (const g of head) put(g);
  i += 2 * zeros;
  for (const g of tail) put(g);
  return out;
}

function ipv4ToBytes(host: string): Uint8Array {
  const out = new Uint8Array(IPV4_BYTES);
  const parts = host.split('.');
  for (let i = 0; i < IPV4_BYTES; i++) out[i] = Number(parts[i]);
  return out;
}

function formatIpv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/**
 * Canonical text of a 4- or 16-byte IP address (see the module comment for the IPv6 form).
 * @param bytes exactly 4 or 16 bytes; any other length gives `undefined`.
 */
export function bytesToIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === IPV4_BYTES) return formatIpv4(bytes, 0);
  if (bytes.length !== IPV6_BYTES) return undefined;
  const words = new Array<number>(8);
  for (let i = 0; i < 8; i++) words[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  // Longest run of zero words (the first one on a tie), as BSD inet_ntop6 does.
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      return s + formatIpv4(bytes, 12);
    }
    s += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) s += ':';
  return s;
}
