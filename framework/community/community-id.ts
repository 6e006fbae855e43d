/**
 * Community ids: 20 bytes on the wire. Derive them from a name so two programs agree without sharing bytes.
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { InvalidArgumentError } from '../errors.js';
import { utf8 } from '../util/bytes.js';

/** Length of a community id in bytes. */
export const COMMUNITY_ID_LENGTH = 20;

/**
 * A 20-byte community id: SHA-1 of the UTF-8 name.
 * @example
 * ```ts
 * const id = communityIdFromName('my-app/chat/v1');
 * ```
 */
export function communityIdFromName(name: string): Uint8Array {
  if (name.length === 0) throw new InvalidArgumentError('community name must not be empty');
  return sha1(utf8(name));
}
