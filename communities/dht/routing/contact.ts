/**
 * A peer as the routing table knows it.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import { type Address, isValidPort } from '../../../framework/endpoint/address.js';
import type { RoutingTable } from './routing-table.js'; // for {@link} in TSDoc

/**
 * One entry of the routing table. The table hands out its live entries: read them, do not mutate them
 * (use {@link RoutingTable.add}, {@link RoutingTable.touch} and {@link RoutingTable.fail} instead).
 */
export interface Contact {
  /** The node id (a copy owned by the table). */
  readonly id: Uint8Array;
  /** Where the node was last seen. */
  address: Address;
  /** When the node was last seen alive, in ms since the epoch (from the table's clock). */
  lastSeen: number;
  /** Consecutive failed requests since the node was last seen alive. */
  failures: number;
  /** The node's public key binary, when known. */
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

/** A new contact for `init` (id copied), not yet seen: apply {@link refreshContact} before use. */
export function newContact(init: ContactInit): Contact {
  return { id: Uint8Array.from(init.id), address: init.address, lastSeen: 0, failures: 0 };
}

/** Applies what we just heard about a contact: address, key and rtt when given, seen `now`, failures reset. */
export function refreshContact(c: Contact, init: ContactInit, now: number): void {
  c.address = { host: init.address.host, port: init.address.port };
  if (init.publicKeyBinary !== undefined) c.publicKeyBinary = Uint8Array.from(init.publicKeyBinary);
  if (init.rttMs !== undefined) c.rttMs = init.rttMs;
  c.lastSeen = now;
  c.failures = 0;
}
