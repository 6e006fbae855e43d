/**
 * Checks of the arguments every record type's API takes alike: an application key, and a publisher named by
 * its key or its mid. Each community passes its own error class.
 * @module
 */
import { PublicKey } from '../../framework/index.js';
import type { ErrorClass } from './records/record-community.js';
import { hashKey, KEY_BYTES } from './storage/value-record.js';

/** @returns the 20-byte DHT key of `key`. @throws `error` `invalid-key` for anything but a string or bytes. */
export function dhtKey(key: string | Uint8Array, error: ErrorClass): Uint8Array {
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) throw new error(`key must be a string or a Uint8Array, got ${typeof key}`, 'invalid-key');
  return hashKey(key);
}

/** @returns the mid a `publisher` option names (a key or a 20-byte mid). @throws `error` `invalid-key`. */
export function publisherMid(publisher: PublicKey | Uint8Array | undefined, error: ErrorClass): Uint8Array | undefined {
  if (publisher === undefined) return undefined;
  if (publisher instanceof PublicKey) return publisher.mid;
  if (publisher instanceof Uint8Array && publisher.length === KEY_BYTES) return publisher;
  throw new error('publisher must be a PublicKey or a 20-byte mid', 'invalid-key');
}
