/**
 * A peer as the routing table knows it.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import { type Address, addressKey, isValidPort, sameAddress } from '../../../framework/endpoint/address.js';
import { equalBytes, toHex } from '../../../framework/util/bytes.js';
import { WeakInterner } from '../../../framework/util/intern.js';
import type { RoutingTable } from './routing-table.js'; // for {@link} in TSDoc

/**
 * One entry of the routing table. The table hands out its live entries: read them, do not mutate them
 * (use {@link RoutingTable.add}, {@link RoutingTable.touch} and {@link RoutingTable.fail} instead).
 */
export interface Contact {
  /** The node id: a copy, shared read-only with every other table in the process that holds this id. */
  readonly id: Uint8Array;
  /** Where the node was last seen (a frozen object shared by every table holding this address). */
  address: Address;
  /** When the node was last seen alive, in ms since the epoch (from the table's clock). */
  lastSeen: number;
  /** Consecutive failed requests since the node was last seen alive. */
  failures: number;
  /** The node's public key binary, when known (shared read-only like {@link Contact.id}). */
  publicKeyBinary?: Uint8Array;
  /** Last measured round-trip time in milliseconds, when known. */
  rttMs?: number;
}

/** What a caller gives {@link RoutingTable.add}: the identity and address of a node it heard from. */
export interface ContactInit {
  /** The node id; must have the table's id length. */
  readonly id: Uint8Array;
  /** Where the node was seen. */
  readonly address: Address;
  /** The node's public key binary, when known. */
  readonly publicKeyBinary?: Uint8Array;
  /** A measured round-trip time in milliseconds, when known. */
  readonly rttMs?: number;
}

/**
 * Checks the shape of an address given to the routing table.
 * @throws an {@link InvalidArgumentError} when `host` is not a non-empty string or `port` is not 0..65535.
 */
export function checkContactAddress(address: Address): void {
  if (typeof address !== 'object' || address === null || typeof address.host !== 'string' || address.host === '') {
    throw new InvalidArgumentError('contact address must have a non-empty host');
  }
  if (!isValidPort(address.port)) {
    throw new InvalidArgumentError(`contact address port must be an integer in 0..65535, got ${address.port}`);
  }
}

/**
 * Ids and key binaries of contacts, shared by content across every table in the process (held weakly):
 * the same peer sits in the tables of many nodes of a simulation, and its 20-byte id and 74-byte key cost
 * a few hundred bytes of heap per copy. The shared arrays are never mutated (contacts are read-only).
 */
const SHARED_BYTES = new WeakInterner<Uint8Array>();

/**
 * The shared copy last returned for each array a caller passed (held weakly by that array), so a caller that
 * passes the same array again (a peer's `mid` or cached key binary, on each of its packets) skips the hex
 * key: checked by content, so an array changed since gets its content's copy as before. The copy held
 * here stays alive with the caller's array, so it stays the interner's value for its content.
 */
const LAST_COPY = new WeakMap<Uint8Array, Uint8Array>();

/** The process-wide shared copy of `bytes` (never the caller's array). */
export function sharedCopy(bytes: Uint8Array): Uint8Array {
  const last = LAST_COPY.get(bytes);
  if (last !== undefined && equalBytes(last, bytes)) return last;
  const copy = SHARED_BYTES.intern(toHex(bytes), () => Uint8Array.from(bytes));
  LAST_COPY.set(bytes, copy);
  return copy;
}

/** Contact addresses, shared (frozen) by every table in the process, like {@link SHARED_BYTES}. */
const SHARED_ADDRESSES = new WeakInterner<Address>();

/** The shared address last returned for each address object a caller passed, like {@link LAST_COPY}. */
const LAST_ADDRESS = new WeakMap<Address, Address>();

/** The process-wide shared, frozen copy of `address` (never the caller's object). */
function sharedAddress(address: Address): Address {
  const last = LAST_ADDRESS.get(address);
  if (last !== undefined && last.host === address.host && last.port === address.port) return last;
  const shared = SHARED_ADDRESSES.intern(addressKey(address), () => Object.freeze({ host: address.host, port: address.port }));
  LAST_ADDRESS.set(address, shared);
  return shared;
}

/** A new contact for `init` (id and address copied), not yet seen: apply {@link refreshContact} before use. */
export function newContact(init: ContactInit): Contact {
  // Every field from the start: one object shape, no out-of-object property store added later.
  return { id: sharedCopy(init.id), address: sharedAddress(init.address), lastSeen: 0, failures: 0, publicKeyBinary: undefined, rttMs: undefined };
}

/** Applies what we just heard about a contact: address, key and rtt when given, seen `now`, failures reset. */
export function refreshContact(c: Contact, init: ContactInit, now: number): void {
  if (!sameAddress(c.address, init.address)) c.address = sharedAddress(init.address);
  const key = init.publicKeyBinary;
  if (key !== undefined && (c.publicKeyBinary === undefined || !equalBytes(c.publicKeyBinary, key))) {
    c.publicKeyBinary = sharedCopy(key);
  }
  if (init.rttMs !== undefined) c.rttMs = init.rttMs;
  c.lastSeen = now;
  c.failures = 0;
}
