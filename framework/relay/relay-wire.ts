/**
 * The relay's datagrams. Every one starts with {@link RELAY_MAGIC}, whose first byte 0xF0 no other datagram a
 * Peerlay node handles can start with: Peerlay and py-ipv8 packets start with 0x00 (then the version 0x02 and
 * a 20-byte community id), and STUN messages with 0b00 in their top two bits (0x00–0x3F).
 *
 * ```text
 * magic (4: F0 52 4C 59, "\xF0RLY") | type (1) | body
 * ALLOCATE   client -> relay   request id (u32) | cookie (16; zeros before the relay sent one)
 * CHALLENGE  relay -> client   request id (u32) | cookie (16)
 * ALLOCATED  relay -> client   request id (u32) | relayed port (u16) | lifetime in seconds (u16)
 * REFUSED    relay -> client   request id (u32) | reason (u8)
 * SEND       client -> relay   peer address | payload      (relay: send payload from the allocation to peer)
 * DATA       relay -> client   peer address | payload      (relay: peer sent payload to the allocation)
 * RELEASE    client -> relay   cookie (16)
 * address:   family (u8: 4 or 6) | IP (4 or 16) | port (u16), all big-endian
 * ```
 * An answer is never larger than the ALLOCATE that caused it (25 bytes), so the relay amplifies nothing.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { bytesToIp, ipToBytes } from '../wire/ip.js';

/** The 4 bytes every relay datagram starts with. */
export const RELAY_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf0, 0x52, 0x4c, 0x59);
/** Bytes before the body: magic and type. */
const TYPE_AT = 4;
const BODY_AT = 5;
/** Length of a relay cookie, in bytes. */
export const RELAY_COOKIE_BYTES = 16;
/**
 * The most a relayed datagram grows by when wrapped: magic, type and an IPv6 peer address (5 + 1 + 16 + 2).
 * A {@link RelayClient} offers its host `inner.maxPacketBytes` minus this, so a full-size packet still fits.
 */
export const RELAY_OVERHEAD_BYTES = 24;

/** Relay datagram types. */
export const RelayType = {
  allocate: 1,
  challenge: 2,
  allocated: 3,
  refused: 4,
  send: 5,
  data: 6,
  release: 7,
} as const;

/** Why a relay refused an allocation. */
export type RelayRefusal = 'ip-limit' | 'full' | 'open-failed';
const REFUSALS: readonly RelayRefusal[] = ['ip-limit', 'full', 'open-failed'];

/** A decoded relay datagram. */
export type RelayMessage =
  | { type: 'allocate'; requestId: number; cookie: Uint8Array }
  | { type: 'challenge'; requestId: number; cookie: Uint8Array }
  | { type: 'allocated'; requestId: number; port: number; lifetimeSeconds: number }
  | { type: 'refused'; requestId: number; reason: RelayRefusal }
  | { type: 'send' | 'data'; peer: Address; payload: Uint8Array }
  | { type: 'release'; cookie: Uint8Array };

/** True if `data` starts with {@link RELAY_MAGIC} (its type and body may still be invalid). */
export function isRelayDatagram(data: Uint8Array): boolean {
  return data.length >= BODY_AT && data[0] === 0xf0 && data[1] === 0x52 && data[2] === 0x4c && data[3] === 0x59;
}

function frame(type: number, bodyBytes: number): { out: Uint8Array; view: DataView } {
  const out = new Uint8Array(BODY_AT + bodyBytes);
  out.set(RELAY_MAGIC);
  out[TYPE_AT] = type;
  return { out, view: new DataView(out.buffer) };
}

/** Encodes an ALLOCATE, CHALLENGE or RELEASE (the cookie is copied). */
export function encodeCookieMessage(type: 'allocate' | 'challenge' | 'release', requestId: number, cookie: Uint8Array): Uint8Array {
  const withId = type !== 'release';
  const { out, view } = frame(RelayType[type], (withId ? 4 : 0) + RELAY_COOKIE_BYTES);
  if (withId) view.setUint32(BODY_AT, requestId >>> 0);
  out.set(cookie.subarray(0, RELAY_COOKIE_BYTES), BODY_AT + (withId ? 4 : 0));
  return out;
}

/** Encodes an ALLOCATED. */
export function encodeAllocated(requestId: number, port: number, lifetimeSeconds: number): Uint8Array {
  const { out, view } = frame(RelayType.allocated, 8);
  view.setUint32(BODY_AT, requestId >>> 0);
  view.setUint16(BODY_AT + 4, port);
  view.setUint16(BODY_AT + 6, Math.min(0xffff, lifetimeSeconds));
  return out;
}

/** Encodes a REFUSED. */
export function encodeRefused(requestId: number, reason: RelayRefusal): Uint8Array {
  const { out, view } = frame(RelayType.refused, 5);
  view.setUint32(BODY_AT, requestId >>> 0);
  out[BODY_AT + 4] = REFUSALS.indexOf(reason) + 1;
  return out;
}

/**
 * Encodes a SEND or DATA around `payload`.
 * @returns `undefined` when `peer.host` is not an IP literal.
 */
export function encodeWrapped(type: 'send' | 'data', peer: Address, payload: Uint8Array): Uint8Array | undefined {
  const ip = ipToBytes(peer.host);
  if (ip === undefined) return undefined;
  const { out, view } = frame(RelayType[type], 1 + ip.length + 2 + payload.length);
  out[BODY_AT] = ip.length === 4 ? 4 : 6;
  out.set(ip, BODY_AT + 1);
  view.setUint16(BODY_AT + 1 + ip.length, peer.port);
  out.set(payload, BODY_AT + 3 + ip.length);
  return out;
}

/** Bytes a SEND or DATA to or from `peer` adds to its payload (10 for IPv4, 22 for IPv6). */
export function wrapOverhead(peer: Address): number {
  return BODY_AT + 3 + (peer.host.includes(':') ? 16 : 4);
}

/**
 * Decodes a relay datagram; the payload of a SEND or DATA is a view into `data`.
 * @returns `undefined` for anything malformed: no magic, unknown type, wrong length, bad address or reason.
 */
export function decodeRelay(data: Uint8Array): RelayMessage | undefined {
  if (!isRelayDatagram(data)) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const body = data.length - BODY_AT;
  switch (data[TYPE_AT]) {
    case RelayType.allocate:
    case RelayType.challenge: {
      if (body !== 4 + RELAY_COOKIE_BYTES) return undefined;
      const type = data[TYPE_AT] === RelayType.allocate ? 'allocate' : 'challenge';
      return { type, requestId: view.getUint32(BODY_AT), cookie: data.slice(BODY_AT + 4) };
    }
    case RelayType.allocated: {
      if (body !== 8) return undefined;
      const port = view.getUint16(BODY_AT + 4);
      const lifetimeSeconds = view.getUint16(BODY_AT + 6);
      if (port === 0 || lifetimeSeconds === 0) return undefined;
      return { type: 'allocated', requestId: view.getUint32(BODY_AT), port, lifetimeSeconds };
    }
    case RelayType.refused: {
      const reason = REFUSALS[(data[BODY_AT + 4] ?? 0) - 1];
      if (body !== 5 || reason === undefined) return undefined;
      return { type: 'refused', requestId: view.getUint32(BODY_AT), reason };
    }
    case RelayType.send:
    case RelayType.data: {
      const family = data[BODY_AT];
      const ipBytes = family === 4 ? 4 : family === 6 ? 16 : 0;
      if (ipBytes === 0 || body < 1 + ipBytes + 2) return undefined;
      const host = bytesToIp(data.subarray(BODY_AT + 1, BODY_AT + 1 + ipBytes));
      const port = view.getUint16(BODY_AT + 1 + ipBytes);
      if (host === undefined || port === 0) return undefined;
      const type = data[TYPE_AT] === RelayType.send ? 'send' : 'data';
      return { type, peer: { host, port }, payload: data.subarray(BODY_AT + 3 + ipBytes) };
    }
    case RelayType.release:
      if (body !== RELAY_COOKIE_BYTES) return undefined;
      return { type: 'release', cookie: data.slice(BODY_AT) };
    default:
      return undefined;
  }
}
