/**
 * Namespace settings and their defaults.
 * @module
 */
import type { CommunitySettings } from '../../framework/index.js';
import type { RecordDatastore, StoreLimits } from '../dht/index.js';
import { NamespaceError } from './errors.js';
import { WIRE_MAX_NAMESPACE_VALUE_BYTES } from './policy.js';

/** One hour, in ms. */
const HOUR_MS = 3_600_000;

/** Settings of a {@link NamespaceCommunity}, given to `host.register(NamespaceCommunity, settings)`. */
export interface NamespaceSettings extends CommunitySettings {
  /** Largest value, in bytes. @default 1_024 */
  maxValueBytes?: number;
  /** Caps of this node's namespace store: records, and the shares of one source and one IP group. */
  store?: StoreLimits;
  /** Where stored records are kept beyond the process. @default memory only */
  datastore?: RecordDatastore | undefined;
  /** Lifetime of a record when `set` gets none, in ms. @default 3_600_000 (1 h) */
  defaultTtlMs?: number;
  /** Shortest lifetime `set` accepts, in ms. @default 120_000 */
  minTtlMs?: number;
  /** Longest lifetime `set` and storers accept, in ms. @default 86_400_000 (24 h) */
  maxTtlMs?: number;
  /** Storers re-store what they hold to the current k closest this often, in ms. @default 3_600_000 */
  replicateIntervalMs?: number;
  /** How often upkeep (sweep, renew our records, replicate) runs, in ms. @default 60_000 */
  maintenanceIntervalMs?: number;
  /** Timeout of one request, in ms. @default 2_000 */
  requestTimeoutMs?: number;
}

/** {@link NamespaceSettings} with every default applied. */
export type ResolvedNamespaceSettings = Required<Omit<NamespaceSettings, 'discovery' | 'datastore'>> & Pick<NamespaceSettings, 'discovery' | 'datastore'>;

/**
 * Applies defaults and checks ranges.
 * @throws {@link NamespaceError} `invalid-value` for a setting out of range, `invalid-ttl` for inconsistent lifetimes.
 */
export function resolveNamespaceSettings(s: NamespaceSettings): ResolvedNamespaceSettings {
  const r: ResolvedNamespaceSettings = {
    discovery: { walk: false, churn: false, ...s.discovery },
    maxValueBytes: s.maxValueBytes ?? 1_024,
    store: s.store ?? {},
    datastore: s.datastore,
    defaultTtlMs: s.defaultTtlMs ?? HOUR_MS,
    minTtlMs: s.minTtlMs ?? 120_000,
    maxTtlMs: s.maxTtlMs ?? 24 * HOUR_MS,
    replicateIntervalMs: s.replicateIntervalMs ?? HOUR_MS,
    maintenanceIntervalMs: s.maintenanceIntervalMs ?? 60_000,
    requestTimeoutMs: s.requestTimeoutMs ?? 2_000,
  };
  const positive = ['maxValueBytes', 'defaultTtlMs', 'minTtlMs', 'maxTtlMs', 'replicateIntervalMs', 'maintenanceIntervalMs', 'requestTimeoutMs'] as const;
  for (const name of positive) {
    const v = r[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new NamespaceError(`setting ${name} must be a positive integer, got ${String(v)}`, 'invalid-value');
  }
  if (r.maxValueBytes > WIRE_MAX_NAMESPACE_VALUE_BYTES) throw new NamespaceError(`maxValueBytes is at most ${WIRE_MAX_NAMESPACE_VALUE_BYTES}`, 'invalid-value');
  if (!(r.minTtlMs <= r.defaultTtlMs && r.defaultTtlMs <= r.maxTtlMs)) throw new NamespaceError('settings need minTtlMs <= defaultTtlMs <= maxTtlMs', 'invalid-ttl');
  return r;
}
