/**
 * A dictionary read: one page of entries from every storer that answered and this node, merged (the later
 * expiration per subkey), such that consecutive reads with the returned cursor yield every live subkey
 * exactly once, even when storers hold slightly different dictionaries.
 * @module
 */
import type { PublicKey, PublicKeyCache } from '../../framework/index.js';
import { fromHex, toHex } from '../../framework/index.js';
import type { ReadResult } from '../dht/index.js';
import { DictError } from './errors.js';
import type { DictRecord } from './record.js';
import { SUBKEY_ID_BYTES, subkeyId } from './record.js';

/** Options of {@link DictCommunity.get}. */
export interface DictGetOptions {
  /** Most entries returned. @default the community's `defaultGetLimit` (1,000); at most 1,000 */
  limit?: number;
  /** Continue after the page that returned this cursor. */
  cursor?: string;
  /** Only the subkeys this owner wrote (its key or its 20-byte mid). */
  owner?: PublicKey | Uint8Array;
  /** Cancels the read. */
  signal?: AbortSignal;
  /** Only what this node holds itself (no network). @default false */
  local?: boolean;
}

/** One subkey of a dictionary. */
export interface DictEntry {
  /** The subkey. */
  readonly subkey: Uint8Array;
  /** Its value: the one with the latest expiration any storer reached holds. */
  readonly value: Uint8Array;
  /** When it expires, ms since the epoch (as its writer set it). */
  readonly expiresAt: number;
  /** Who owns the subkey (verified: the entry carries its signature); `undefined` for an open subkey. */
  readonly owner?: PublicKey | undefined;
}

/** A page of a dictionary. */
export interface DictPage {
  /** Entries in subkey-id order, each subkey (and owner) once. */
  readonly entries: DictEntry[];
  /** Pass to the next `get` to continue; absent when this page was the last. */
  readonly cursor?: string;
}

/** Parses a cursor string. @throws {@link DictError} `invalid-cursor`. */
export function parseCursor(cursor: string | undefined): Uint8Array | undefined {
  if (cursor === undefined) return undefined;
  if (typeof cursor !== 'string' || cursor.length !== 2 * SUBKEY_ID_BYTES || !/^[0-9a-f]+$/.test(cursor)) {
    throw new DictError(`cursor must be a string a previous get returned, got ${String(cursor).slice(0, 80)}`, 'invalid-cursor');
  }
  return fromHex(cursor);
}

/**
 * One page out of a read: live entries with an id no storer that still had more has passed (the horizon),
 * so the next page, from the cursor, misses nothing.
 * @param read the engine's merged read.
 * @param limit most entries.
 * @param now this node's clock, ms.
 * @param keys parsed-key cache (owners are verified keys).
 */
export function pageOf(read: ReadResult<DictRecord>, limit: number, now: number, keys: PublicKeyCache): DictPage {
  let horizon: string | undefined;
  for (const s of read.storers) {
    if (s.exhausted || s.lastId === undefined) continue;
    const last = toHex(s.lastId);
    if (horizon === undefined || last < horizon) horizon = last;
  }
  const live: Array<{ id: string; record: DictRecord }> = [];
  for (const { record, expiresAt } of read.records) {
    const id = toHex(subkeyId(record.subkey, record.owner));
    if (horizon !== undefined && id > horizon) break;
    if (record.expiresAt > now && expiresAt > now) live.push({ id, record });
  }
  const chosen = live.slice(0, limit);
  const entries = chosen.flatMap(({ record: r }): DictEntry[] => {
    if (r.owner === undefined) return [{ subkey: r.subkey, value: r.value, expiresAt: r.expiresAt }];
    const owner = keys.get(r.owner); // parses: the entry's signature verified under this key binary
    return owner === undefined ? [] : [{ subkey: r.subkey, value: r.value, expiresAt: r.expiresAt, owner }];
  });
  const cursor = live.length > limit ? chosen[chosen.length - 1]!.id : horizon;
  return cursor === undefined ? { entries } : { entries, cursor };
}
