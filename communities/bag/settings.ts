/**
 * Bag settings and their defaults.
 * @module
 */
import type { CommunitySettings } from '../../framework/index.js';
import type { RecordDatastore, StoreLimits } from '../dht/index.js';
import { BagError } from './errors.js';
import { WIRE_MAX_VALUE_BYTES } from './policy.js';

/** One hour, in ms. */
const HOUR_MS = 3_600_000;
/** Largest `limit` a search may ask for. */
export const MAX_SEARCH_LIMIT = 1_000;

/** Settings of a {@link BagCommunity}, given to `host.register(BagCommunity, settings)`. */
export interface BagSettings extends CommunitySettings {
  /** Largest value, in bytes (checked by the publisher and by every storer). @default 256 */
  maxValueBytes?: number;
  /** Most entries (and tombstones) a storer keeps under one key. @default 1_000 */
  maxEntriesPerKey?: number;
  /** Most entries one IP group may add under one key at a storer. @default 100 */
  maxPerGroupPerKey?: number;
  /** Caps of this node's bag store: records, keys, and the shares of one source and one IP group. */
  store?: StoreLimits;
  /** Where stored entries are kept beyond the process. @default memory only */
  datastore?: RecordDatastore | undefined;
  /** Lifetime of an entry when `add` gets none, in ms. @default 3_600_000 (1 h) */
  defaultTtlMs?: number;
  /** Shortest lifetime `add` accepts, in ms. @default 120_000 */
  minTtlMs?: number;
  /** Longest lifetime `add` and storers accept, in ms. @default 86_400_000 (24 h) */
  maxTtlMs?: number;
  /** Storers re-store what they hold to the current k closest this often, in ms. @default 3_600_000 */
  replicateIntervalMs?: number;
  /** How often upkeep (sweep, renew our entries, replicate) runs, in ms. @default 60_000 */
  maintenanceIntervalMs?: number;
  /** Timeout of one request, in ms. @default 2_000 */
  requestTimeoutMs?: number;
  /** Entries `search` returns when given no limit. @default 100 */
  defaultSearchLimit?: number;
}

/** {@link BagSettings} with every default applied. */
export type ResolvedBagSettings = Required<Omit<BagSettings, 'discovery' | 'datastore'>> & Pick<BagSettings, 'discovery' | 'datastore'>;

/**
 * Applies defaults and checks ranges.
 * @throws {@link BagError} `invalid-value` for a setting out of range, `invalid-ttl` for inconsistent lifetimes.
 */
export function resolveBagSettings(s: BagSettings): ResolvedBagSettings {
  const r: ResolvedBagSettings = {
    discovery: { walk: false, churn: false, ...s.discovery },
    maxValueBytes: s.maxValueBytes ?? 256,
    maxEntriesPerKey: s.maxEntriesPerKey ?? 1_000,
    maxPerGroupPerKey: s.maxPerGroupPerKey ?? 100,
    store: s.store ?? {},
    datastore: s.datastore,
    defaultTtlMs: s.defaultTtlMs ?? HOUR_MS,
    minTtlMs: s.minTtlMs ?? 120_000,
    maxTtlMs: s.maxTtlMs ?? 24 * HOUR_MS,
    replicateIntervalMs: s.replicateIntervalMs ?? HOUR_MS,
    maintenanceIntervalMs: s.maintenanceIntervalMs ?? 60_000,
    requestTimeoutMs: s.requestTimeoutMs ?? 2_000,
    defaultSearchLimit: s.defaultSearchLimit ?? 100,
  };
  const positive = [
    'maxValueBytes', 'maxEntriesPerKey', 'maxPerGroupPerKey', 'defaultTtlMs', 'minTtlMs', 'maxTtlMs',
    'replicateIntervalMs', 'maintenanceIntervalMs', 'requestTimeoutMs', 'defaultSearchLimit',
  ] as const;
  for (const name of positive) {
    const v = r[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new BagError(`setting ${name} must be a positive integer, got ${String(v)}`, 'invalid-value');
  }
  if (r.maxValueBytes > WIRE_MAX_VALUE_BYTES) throw new BagError(`maxValueBytes is at most ${WIRE_MAX_VALUE_BYTES}`, 'invalid-value');
  if (r.defaultSearchLimit > MAX_SEARCH_LIMIT) throw new BagError(`defaultSearchLimit is at most ${MAX_SEARCH_LIMIT}`, 'invalid-value');
  if (!(r.minTtlMs <= r.defaultTtlMs && r.defaultTtlMs <= r.maxTtlMs)) throw new BagError('settings need minTtlMs <= defaultTtlMs <= maxTtlMs', 'invalid-ttl');
  return r;
}
