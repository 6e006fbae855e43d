/**
 * The persisted form of a routing table: plain JSON-friendly records, one per live contact.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import { fromHex, toHex } from '../../../framework/util/bytes.js';
import { checkContactAddress, type Contact, type ContactInit } from './contact.js';
import type { RoutingTable } from './routing-table.js'; // for {@link} in TSDoc

/** One contact as stored by {@link RoutingTable.snapshot}. */
export interface SnapshotEntry {
  /** Node id, lowercase hex. */
  readonly id: string;
  /** IP literal of the contact's address. */
  readonly host: string;
  /** UDP port of the contact's address. */
  readonly port: number;
  /** Public key binary, lowercase hex, when known. */
  readonly publicKey?: string;
}

/** The snapshot record of `contact`. */
export function toSnapshotEntry(contact: Contact): SnapshotEntry {
  const entry: { id: string; host: string; port: number; publicKey?: string } = {
    id: toHex(contact.id),
    host: contact.address.host,
    port: contact.address.port,
  };
  if (contact.publicKeyBinary !== undefined) entry.publicKey = toHex(contact.publicKeyBinary);
  return entry;
}

/**
 * Parses one snapshot record back into a contact to add.
 * @param entry the record, as read from storage (untrusted shape).
 * @param index its position, named in error messages.
 * @param idBytes the id length the table expects.
 * @throws an {@link InvalidArgumentError} naming the entry and field when the record is malformed.
 */
export function parseSnapshotEntry(entry: unknown, index: number, idBytes: number): ContactInit {
  const where = `snapshot entry ${index}`;
  if (typeof entry !== 'object' || entry === null) throw new InvalidArgumentError(`${where} is not an object`);
  const e = entry as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id.length !== idBytes * 2) {
    throw new InvalidArgumentError(`${where}: id must be ${idBytes * 2} hex characters`);
  }
  if (typeof e.host !== 'string' || typeof e.port !== 'number') {
    throw new InvalidArgumentError(`${where}: host must be a string and port a number`);
  }
  if (e.publicKey !== undefined && typeof e.publicKey !== 'string') {
    throw new InvalidArgumentError(`${where}: publicKey must be a hex string when present`);
  }
  const address = { host: e.host, port: e.port };
  try {
    checkContactAddress(address);
    const id = fromHex(e.id);
    return e.publicKey === undefined ? { id, address } : { id, address, publicKeyBinary: fromHex(e.publicKey) };
  } catch (cause) {
    throw new InvalidArgumentError(`${where}: ${(cause as Error).message}`, { cause });
  }
}
