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
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return v4;
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

/**
 * The 4 bytes of a dotted quad, parsed in one pass; `undefined` for anything `isIP` would not call IPv4
 * (a part empty, over 255, with a leading zero, or not 4 parts). Every address of an answer goes through it.
 */
function parseIpv4(host: string): Uint8Array | undefined {
  const n = host.length;
  if (n < 7 || n > 15) return undefined;
  const out = new Uint8Array(IPV4_BYTES);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 0x2e : host.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part === IPV4_BYTES) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return undefined; // a leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return undefined;
    } else return undefined;
  }
  return part === IPV4_BYTES ? out : undefined;
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

/**
 * The 4 or 16 bytes of a literal IP host, with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) given as
 * its 4 IPv4 bytes and a zone id (`%eth0`) ignored.
 * @param host an IPv4 or IPv6 literal.
 * @returns the bytes, or `undefined` when `host` is not a literal IP address.
 * @example
 * ```ts
 * canonicalIpBytes('::ffff:203.0.113.7'); // Uint8Array [203, 0, 113, 7]
 * ```
 */
export function canonicalIpBytes(host: string): Uint8Array | undefined {
  const bytes = ipToBytes(host.split('%')[0]!);
  if (bytes === undefined || bytes.length === IPV4_BYTES) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  return bytes[10] === 0xff && bytes[11] === 0xff ? bytes.subarray(12) : bytes;
}

/**
 * True for loopback, unspecified, private and link-local addresses: IPv4 127/8, 0/8, 10/8, 172.16/12,
 * 192.168/16, 169.254/16; IPv6 ::1, ::, fc00::/7, fe80::/10. Pass IPv4-mapped addresses through
 * {@link canonicalIpBytes} first.
 * @param bytes a 4- or 16-byte IP address.
 */
export function isLocalIp(bytes: Uint8Array): boolean {
  const a = bytes[0]!;
  const b = bytes[1]!;
  if (bytes.length === IPV4_BYTES) {
    return a === 127 || a === 0 || a === 10 || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  let zeroUntil15 = true;
  for (let i = 0; i < 15 && zeroUntil15; i++) zeroUntil15 = bytes[i] === 0;
  if (zeroUntil15 && (bytes[15] === 1 || bytes[15] === 0)) return true;
  return (a & 0xfe) === 0xfc || (a === 0xfe && (b & 0xc0) === 0x80);
}

/**
 * True when `host` is a literal loopback, unspecified, private or link-local address (see
 * {@link isLocalIp}), IPv4-mapped ones included; false for public addresses and for non-literals.
 * @example
 * ```ts
 * isLocalHost('192.168.1.20'); // true
 * isLocalHost('203.0.113.7');  // false
 * ```
 */
export function isLocalHost(host: string): boolean {
  const bytes = canonicalIpBytes(host);
  return bytes !== undefined && isLocalIp(bytes);
}

/**
 * The address block one machine is assumed to control: the IPv4 address itself (`4/a.b.c.d`,
 * IPv4-mapped IPv6 included) or the IPv6 /64 (`6/x:y:z:w`, the first four groups); a host that is not a
 * literal IP is its own block (`?/host`). Used to key per-IP rate limits.
 * @example
 * ```ts
 * ipBlock('203.0.113.7');            // '4/203.0.113.7'
 * ipBlock('2001:db8:1:2:aaaa::5');   // '6/2001:db8:1:2'
 * ```
 */
export function ipBlock(host: string): string {
  const b = canonicalIpBytes(host);
  if (b === undefined) return `?/${host}`;
  if (b.length === IPV4_BYTES) return `4/${formatIpv4(b, 0)}`;
  const word = (i: number): string => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16);
  return `6/${word(0)}:${word(1)}:${word(2)}:${word(3)}`;
}
