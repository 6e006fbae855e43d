/**
 * A bag search: one page of entries from every storer that answered and this node, merged so that
 * consecutive searches with the returned cursor yield every live entry exactly once, even when storers hold
 * slightly different sets.
 * @module
 */
import type { PublicKey, PublicKeyCache } from '../../framework/index.js';
import { fromHex, toHex } from '../../framework/index.js';
import type { ReadResult } from '../dht/index.js';
import { BagError } from './errors.js';
import type { BagRecord } from './record.js';
import { ENTRY_ID_BYTES, entryId } from './record.js';

/** Options of {@link BagCommunity.search}. */
export interface SearchOptions {
  /** Most entries returned. @default the community's `defaultSearchLimit` (100); at most 1,000 */
  limit?: number;
  /** Continue after the page that returned this cursor. */
  cursor?: string;
  /** Only this publisher's entries (its key or its 20-byte mid). */
  publisher?: PublicKey | Uint8Array;
  /** Cancels the search. */
  signal?: AbortSignal;
  /** Only what this node holds itself (no network). @default false */
  local?: boolean;
}

/** One entry of a bag. */
export interface BagEntry {
  /** The value. */
  readonly value: Uint8Array;
  /** Who added it (verified: the entry carries its signature). */
  readonly publisher: PublicKey;
  /** The publisher's version (its clock in ms when it last signed the entry). */
  readonly version: number;
  /** When it expires unless renewed (ms since the epoch, publisher's clock). */
  readonly expiresAt: number;
}

/** A page of a bag. */
export interface SearchResult {
  /** Entries in entry-id order, each (publisher, value) once. */
  readonly entries: BagEntry[];
  /** Pass to the next search to continue; absent when this page was the last. */
  readonly cursor?: string;
}

/** Parses a cursor string. @throws {@link BagError} `invalid-cursor`. */
export function parseCursor(cursor: string | undefined): Uint8Array | undefined {
  if (cursor === undefined) return undefined;
  if (typeof cursor !== 'string' || !/^[0-9a-f]+$/.test(cursor) || cursor.length !== 2 * ENTRY_ID_BYTES) {
    throw new BagError(`cursor must be a string a previous search returned, got ${String(cursor).slice(0, 80)}`, 'invalid-cursor');
  }
  return fromHex(cursor);
}

/**
 * One page out of a read: live entries (tombstones hide theirs) with an id no storer that still had more
 * has passed (the horizon), so the next page, from the cursor, misses nothing.
 */
export function pageOf(read: ReadResult<BagRecord>, limit: number, now: number, keys: PublicKeyCache): SearchResult {
  let horizon: string | undefined;
  for (const s of read.storers) {
    if (s.exhausted || s.lastId === undefined) continue;
    const last = toHex(s.lastId);
    if (horizon === undefined || last < horizon) horizon = last;
  }
  const live: Array<{ id: string; record: BagRecord }> = [];
  for (const { record } of read.records) {
    const id = toHex(entryId(record.publicKey, record.value));
    if (horizon !== undefined && id > horizon) break;
    if (!record.removed && record.expiresAt > now) live.push({ id, record });
  }
  const chosen = live.slice(0, limit);
  const entries = chosen.map(({ record: r }) => ({ value: r.value, publisher: keys.get(r.publicKey)!, version: r.version, expiresAt: r.expiresAt }));
  const cursor = live.length > limit ? chosen[chosen.length - 1]!.id : horizon;
  return cursor === undefined ? { entries } : { entries, cursor };
}
