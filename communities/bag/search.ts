/**
 * The client side of a bag search: page through each of the k closest storers from a cursor, verify
 * every record, and merge the answers so that consecutive searches with the returned cursor yield every
 * live entry exactly once, even when storers hold slightly different sets.
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import { fromHex, toHex } from '../../framework/index.js';
import type { FindReplyAnswer } from '../dht/index.js';
import type { BagCommunity } from './community.js';
import { BagError } from './errors.js';
import { fromWire } from './handlers.js';
import { BagSearchRequest, WIRE_MAX_LIMIT } from './messages.js';
import type { BagRecordWireValue } from './messages.js';
import type { BagRecord } from './record.js';
import { checkBagRecord, entryId, ENTRY_ID_BYTES } from './record.js';

/** Options of {@link BagCommunity.search}. */
export interface SearchOptions {
  /** Most entries returned. @default the community's `defaultSearchLimit` (100); at most 1,000 */
  limit?: number;
  /** Continue after the page that returned this cursor. */
  cursor?: string;
  /** Cancels the search. */
  signal?: AbortSignal;
}

/** One entry of a bag. */
export interface BagEntry {
  /** The value. */
  readonly value: Uint8Array;
  /** Who added it (verified: the entry carries its signature). */
  readonly publisher: PublicKey;
  /** The publisher's version (its clock in ms when it last signed the entry). */
  readonly version: number;
  /** When it expires unless republished (ms since the epoch, publisher's clock). */
  readonly expiresAt: number;
}

/** A page of a bag. */
export interface SearchResult {
  /** Entries in entry-id order, each (publisher, value) once. */
  readonly entries: BagEntry[];
  /** Pass to the next search to continue; absent when this page was the last. */
  readonly cursor?: string;
}

/** What one source (a storer, or our own store) gave for a page. */
interface SourcePage {
  readonly records: ReadonlyArray<{ idHex: string; record: BagRecord }>;
  /** True when the source has nothing beyond what it gave. */
  readonly exhausted: boolean;
  /** Highest entry id the source covered. */
  readonly lastHex: string | undefined;
}

/** Parses a cursor string. @throws {@link BagError} `invalid-cursor`. */
export function parseCursor(cursor: string | undefined): Uint8Array | undefined {
  if (cursor === undefined) return undefined;
  if (typeof cursor !== 'string' || !/^[0-9a-f]+$/.test(cursor) || cursor.length !== 2 * ENTRY_ID_BYTES) {
    throw new BagError(`cursor must be a string a previous search returned, got ${String(cursor).slice(0, 80)}`, 'invalid-cursor');
  }
  return fromHex(cursor);
}

/** Runs a search (see {@link BagCommunity.search}). */
export async function search(bag: BagCommunity, key: Uint8Array, options: SearchOptions): Promise<SearchResult> {
  const limit = options.limit ?? bag.settings.defaultSearchLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > WIRE_MAX_LIMIT) {
    throw new BagError(`limit must be an integer in 1..${WIRE_MAX_LIMIT}, got ${limit}`, 'invalid-limit');
  }
  const after = parseCursor(options.cursor);
  bag.statistics.searches++;
  const nodes = await bag.closestNodes(key, options.signal);
  const pages = await Promise.all(nodes.map((n) => fetchPages(bag, n, key, after, limit, options.signal).catch(() => undefined)));
  const now = bag.now();
  const local = bag.store.page(key, after, now).records.map((h) => ({ idHex: h.idHex, record: h.record }));
  const sources = [...pages.filter((p): p is SourcePage => p !== undefined), { records: local, exhausted: true, lastHex: undefined }];
  if (pages.every((p) => p === undefined) && local.length === 0 && nodes.length > 0) {
    options.signal?.throwIfAborted();
    throw new BagError('no storer answered the search; try again later', 'no-nodes');
  }
  return merge(bag, sources, limit, now);
}

/** Merges source pages: newest version per entry, tombstones win, only ids every open source covered. */
function merge(bag: BagCommunity, sources: readonly SourcePage[], limit: number, now: number): SearchResult {
  const best = new Map<string, BagRecord>();
  for (const s of sources) {
    for (const { idHex, record } of s.records) {
      const held = best.get(idHex);
      if (held === undefined || record.version > held.version || (record.version === held.version && record.removed)) best.set(idHex, record);
    }
  }
  let horizon: string | undefined;
  for (const s of sources) if (!s.exhausted && s.lastHex !== undefined && (horizon === undefined || s.lastHex < horizon)) horizon = s.lastHex;
  const ids = [...best.keys()].filter((id) => horizon === undefined || id <= horizon).sort();
  const live = ids.filter((id) => {
    const r = best.get(id)!;
    return !r.removed && r.expiresAt > now;
  });
  const chosen = live.slice(0, limit);
  const entries = chosen.map((id) => {
    const r = best.get(id)!;
    return { value: r.value, publisher: bag.context.keys.get(r.publicKey)!, version: r.version, expiresAt: r.expiresAt };
  });
  const cursor = live.length > limit ? chosen[chosen.length - 1] : horizon;
  return cursor === undefined ? { entries } : { entries, cursor };
}

/** Pages through one storer until it gave `limit` records after `after`, or has no more. */
async function fetchPages(
  bag: BagCommunity,
  node: FindReplyAnswer,
  key: Uint8Array,
  after: Uint8Array | undefined,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<SourcePage | undefined> {
  const got: Array<{ idHex: string; record: BagRecord }> = [];
  let token: Uint8Array | undefined = node.token;
  let lastHex = after === undefined ? '' : toHex(after);
  let stalls = 0;
  while (got.length < limit) {
    const m = await bag.sendRequest(node.peer.address, BagSearchRequest, {
      key,
      cursor: lastHex === '' ? undefined : fromHex(lastHex),
      limit: limit - got.length,
      token,
    }, { signal, recipient: bag.dht.recipientKey(node.peer.id) });
    bag.statistics.pagesRequested++;
    const v = m.value as { token: Uint8Array; records: BagRecordWireValue[]; more: boolean };
    token = v.token;
    const before = lastHex;
    for (const w of v.records) {
      const record = fromWire(key, w);
      const idHex = toHex(entryId(record.publicKey, record.value));
      if (idHex <= lastHex) {
        bag.statistics.recordsRejected++; // out of order: the storer is broken or lying; ignore the rest
        break;
      }
      lastHex = idHex;
      if (checkBagRecord(record, bag.context.keys) === 'valid') got.push({ idHex, record });
      else bag.statistics.recordsRejected++;
    }
    if (!v.more) return { records: got, exhausted: true, lastHex };
    if (lastHex === before) {
      // Nothing new although more follows: a tokenless answer (retry with the fresh token), or a stall.
      if (++stalls >= 2) {
        bag.statistics.storersStalled++;
        return lastHex === '' || got.length === 0 ? undefined : { records: got, exhausted: false, lastHex };
      }
    } else {
      stalls = 0;
    }
  }
  return { records: got, exhausted: false, lastHex };
}
