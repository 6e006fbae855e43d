/**
 * Bag settings and their defaults.
 * @module
 */
import type { CommunitySettings } from '../../framework/index.js';
import { BagError } from './errors.js';
import { WIRE_MAX_LIMIT, WIRE_MAX_VALUE_BYTES } from './messages.js';

/** One hour, in ms. */
const HOUR_MS = 3_600_000;

/** Settings of a {@link BagCommunity}, given to `host.register(BagCommunity, settings)`. */
export interface BagSettings extends CommunitySettings {
  /** Largest value, in bytes (checked by the publisher and by every storer). @default 256 */
  maxValueBytes?: number;
  /** Most records a storer keeps under one key. @default 1_000 */
  maxEntriesPerKey?: number;
  /** Most records of one publisher a storer keeps under one key. @default 100 */
  maxEntriesPerPublisher?: number;
  /** Most keys a storer holds. @default 10_000 */
  maxKeys?: number;
  /** Most records a storer holds over all keys. @default 100_000 */
  maxEntries?: number;
  /** Lifetime of an entry when `add` gets no ttl, in ms. @default 3_600_000 (1 h) */
  defaultTtlMs?: number;
  /** Shortest lifetime `add` accepts, in ms. @default 120_000 */
  minTtlMs?: number;
  /** Longest lifetime `add` and storers accept, in ms. @default 86_400_000 (24 h) */
  maxTtlMs?: number;
  /** Clock difference tolerated between a publisher and a storer, in ms. @default 60_000 */
  clockSkewMs?: number;
  /** Storers re-store what they hold to the current k closest this often, in ms. @default 3_600_000 */
  replicateIntervalMs?: number;
  /** How often upkeep (sweep, republish, replicate) runs, in ms. @default 60_000 */
  maintenanceIntervalMs?: number;
  /** Timeout of one request, in ms. @default 2_000 */
  requestTimeoutMs?: number;
  /** Entries `search` returns when given no limit. @default 100 */
  defaultSearchLimit?: number;
}

/** {@link BagSettings} with every default applied. */
export type ResolvedBagSettings = Required<Omit<BagSettings, 'discovery'>> & Pick<BagSettings, 'discovery'>;

/**
 * Applies defaults and checks ranges.
 * @throws {@link BagError} `invalid-value` for a setting out of range.
 */
export function resolveBagSettings(s: BagSettings): ResolvedBagSettings {
  const r: ResolvedBagSettings = {
    discovery: { walk: false, churn: false, ...s.discovery },
    maxValueBytes: s.maxValueBytes ?? 256,
    maxEntriesPerKey: s.maxEntriesPerKey ?? 1_000,
    maxEntriesPerPublisher: s.maxEntriesPerPublisher ?? 100,
    maxKeys: s.maxKeys ?? 10_000,
    maxEntries: s.maxEntries ?? 100_000,
    defaultTtlMs: s.defaultTtlMs ?? HOUR_MS,
    minTtlMs: s.minTtlMs ?? 120_000,
    maxTtlMs: s.maxTtlMs ?? 24 * HOUR_MS,
    clockSkewMs: s.clockSkewMs ?? 60_000,
    replicateIntervalMs: s.replicateIntervalMs ?? HOUR_MS,
    maintenanceIntervalMs: s.maintenanceIntervalMs ?? 60_000,
    requestTimeoutMs: s.requestTimeoutMs ?? 2_000,
    defaultSearchLimit: s.defaultSearchLimit ?? 100,
  };
  const positive: Array<keyof ResolvedBagSettings> = [
    'maxValueBytes', 'maxEntriesPerKey', 'maxEntriesPerPublisher', 'maxKeys', 'maxEntries', 'defaultTtlMs',
    'minTtlMs', 'maxTtlMs', 'replicateIntervalMs', 'maintenanceIntervalMs', 'requestTimeoutMs', 'defaultSearchLimit',
  ];
  for (const name of positive) {
    const v = r[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new BagError(`setting ${name} must be a positive integer, got ${String(v)}`, 'invalid-value');
  }
  if (r.maxValueBytes > WIRE_MAX_VALUE_BYTES) throw new BagError(`maxValueBytes is at most ${WIRE_MAX_VALUE_BYTES}`, 'invalid-value');
  if (r.defaultSearchLimit > WIRE_MAX_LIMIT) throw new BagError(`defaultSearchLimit is at most ${WIRE_MAX_LIMIT}`, 'invalid-value');
  if (!(r.minTtlMs <= r.defaultTtlMs && r.defaultTtlMs <= r.maxTtlMs)) throw new BagError('settings need minTtlMs <= defaultTtlMs <= maxTtlMs', 'invalid-ttl');
  if (!(Number.isSafeInteger(r.clockSkewMs) && r.clockSkewMs >= 0)) throw new BagError('clockSkewMs must be >= 0', 'invalid-value');
  return r;
}
