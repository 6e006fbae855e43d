/**
 * The settings every record community shares (lifetimes, upkeep, requests, store caps, datastore), their
 * defaults and their checks, so each record type declares only its own.
 * @module
 */
import type { CommunitySettings } from '../../../framework/index.js';
import type { RecordDatastore } from './datastore.js';
import type { ErrorClass, RecordCommunitySettings } from './record-community.js';
import type { StoreLimits } from './store-limits.js';

/** One hour, in ms. */
const HOUR_MS = 3_600_000;

/** The settings every record community takes (the defaults are those of the bag and the namespace). */
export interface RecordSettings extends CommunitySettings {
  /** Caps of this node's store of the type: records, keys, and the shares of one source and one IP group. */
  store?: StoreLimits;
  /** Where stored records are kept beyond the process. @default memory only */
  datastore?: RecordDatastore | undefined;
  /** Lifetime when a call gives none, in ms. @default 3_600_000 (1 h) */
  defaultTtlMs?: number;
  /** Shortest lifetime the API accepts, in ms. @default 120_000 */
  minTtlMs?: number;
  /** Longest lifetime the API and storers accept, in ms. @default 86_400_000 (24 h) */
  maxTtlMs?: number;
  /** Storers re-store what they hold to the current k closest this often, in ms. @default 3_600_000 */
  replicateIntervalMs?: number;
  /** How often upkeep (sweep, renew this node's records, replicate) runs, in ms. @default 60_000 */
  maintenanceIntervalMs?: number;
  /** Timeout of one request, in ms. @default 2_000 */
  requestTimeoutMs?: number;
}

/**
 * Applies the shared defaults to `s` and checks them: every duration a positive integer, and
 * `minTtlMs <= defaultTtlMs <= maxTtlMs`.
 * @param s the settings given.
 * @param error the community's error class (its `invalid-value` and `invalid-ttl` errors).
 * @returns the shared settings resolved; a record type adds its own fields to them.
 */
export function resolveRecordSettings(s: RecordSettings, error: ErrorClass): RecordCommunitySettings {
  const r = {
    discovery: { walk: false, churn: false, ...s.discovery },
    store: s.store ?? {},
    datastore: s.datastore,
    defaultTtlMs: s.defaultTtlMs ?? HOUR_MS,
    minTtlMs: s.minTtlMs ?? 120_000,
    maxTtlMs: s.maxTtlMs ?? 24 * HOUR_MS,
    replicateIntervalMs: s.replicateIntervalMs ?? HOUR_MS,
    maintenanceIntervalMs: s.maintenanceIntervalMs ?? 60_000,
    requestTimeoutMs: s.requestTimeoutMs ?? 2_000,
  };
  for (const name of ['defaultTtlMs', 'minTtlMs', 'maxTtlMs', 'replicateIntervalMs', 'maintenanceIntervalMs', 'requestTimeoutMs'] as const) {
    checkPositive(name, r[name], error);
  }
  if (!(r.minTtlMs <= r.defaultTtlMs && r.defaultTtlMs <= r.maxTtlMs)) throw new error('settings need minTtlMs <= defaultTtlMs <= maxTtlMs', 'invalid-ttl');
  return r;
}

/** @throws `error` (`invalid-value`) unless `value` is a positive safe integer. */
export function checkPositive(name: string, value: unknown, error: ErrorClass): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new error(`setting ${name} must be a positive integer, got ${String(value)}`, 'invalid-value');
}
