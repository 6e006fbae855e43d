/**
 * Bag settings and their defaults (the lifetimes, upkeep and store caps every record type shares are in
 * `RecordSettings`).
 * @module
 */
import type { RecordCommunitySettings } from '../dht/records/record-community.js';
import type { RecordSettings } from '../dht/records/record-settings.js';
import { checkPositive, resolveRecordSettings } from '../dht/records/record-settings.js';
import { BagError } from './errors.js';
import { WIRE_MAX_VALUE_BYTES } from './policy.js';

/** Largest `limit` a search may ask for. */
export const MAX_SEARCH_LIMIT = 1_000;

/** Settings of a {@link BagCommunity}, given to `host.register(BagCommunity, settings)`. */
export interface BagSettings extends RecordSettings {
  /** Largest value, in bytes (checked by the publisher and by every storer). @default 256 */
  maxValueBytes?: number;
  /** Most entries (and tombstones) a storer keeps under one key. @default 1_000 */
  maxEntriesPerKey?: number;
  /** Most entries one IP group may add under one key at a storer. @default 100 */
  maxPerGroupPerKey?: number;
  /** Entries `search` returns when given no limit. @default 100 */
  defaultSearchLimit?: number;
}

/** {@link BagSettings} with every default applied. */
export interface ResolvedBagSettings extends RecordCommunitySettings {
  /** See {@link BagSettings.maxValueBytes}. */
  readonly maxValueBytes: number;
  /** See {@link BagSettings.maxEntriesPerKey}. */
  readonly maxEntriesPerKey: number;
  /** See {@link BagSettings.maxPerGroupPerKey}. */
  readonly maxPerGroupPerKey: number;
  /** See {@link BagSettings.defaultSearchLimit}. */
  readonly defaultSearchLimit: number;
}

/**
 * Applies defaults and checks ranges.
 * @throws {@link BagError} `invalid-value` for a setting out of range, `invalid-ttl` for inconsistent lifetimes.
 */
export function resolveBagSettings(s: BagSettings): ResolvedBagSettings {
  const r: ResolvedBagSettings = {
    ...resolveRecordSettings(s, BagError),
    maxValueBytes: s.maxValueBytes ?? 256,
    maxEntriesPerKey: s.maxEntriesPerKey ?? 1_000,
    maxPerGroupPerKey: s.maxPerGroupPerKey ?? 100,
    defaultSearchLimit: s.defaultSearchLimit ?? 100,
  };
  for (const name of ['maxValueBytes', 'maxEntriesPerKey', 'maxPerGroupPerKey', 'defaultSearchLimit'] as const) checkPositive(name, r[name], BagError);
  if (r.maxValueBytes > WIRE_MAX_VALUE_BYTES) throw new BagError(`maxValueBytes is at most ${WIRE_MAX_VALUE_BYTES}`, 'invalid-value');
  if (r.defaultSearchLimit > MAX_SEARCH_LIMIT) throw new BagError(`defaultSearchLimit is at most ${MAX_SEARCH_LIMIT}`, 'invalid-value');
  return r;
}
