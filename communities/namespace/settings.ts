/**
 * Namespace settings and their defaults.
 * @module
 */
import type { CommunitySettings } from '../../framework/index.js';
import { NamespaceError } from './errors.js';
import { WIRE_MAX_NAMESPACE_VALUE_BYTES } from './messages.js';

const HOUR_MS = 3_600_000;

/** Settings of a {@link NamespaceCommunity}, given to `host.register(NamespaceCommunity, settings)`. */
export interface NamespaceSettings extends CommunitySettings {
  /** Largest value, in bytes (checked by the writer and by every storer). @default 1_024 */
  maxValueBytes?: number;
  /** Most records a storer holds. @default 10_000 */
  maxRecords?: number;
  /** Lifetime of a record when `set` gets no ttl, in ms. @default 3_600_000 (1 h) */
  defaultTtlMs?: number;
  /** Shortest lifetime `set` accepts, in ms. @default 120_000 */
  minTtlMs?: number;
  /** Longest lifetime `set` and storers accept, in ms (storers cut longer ones). @default 86_400_000 (24 h) */
  maxTtlMs?: number;
  /** Storers re-store what they hold to the current k closest this often, in ms. @default 3_600_000 */
  replicateIntervalMs?: number;
  /** How often upkeep (sweep, republish, replicate) runs, in ms. @default 60_000 */
  maintenanceIntervalMs?: number;
  /** Timeout of one request, in ms. @default 2_000 */
  requestTimeoutMs?: number;
}

/** {@link NamespaceSettings} with every default applied. */
export type ResolvedNamespaceSettings = Required<Omit<NamespaceSettings, 'discovery'>> & Pick<NamespaceSettings, 'discovery'>;

/**
 * Applies defaults and checks ranges.
 * @throws {@link NamespaceError} `invalid-value` / `invalid-ttl` for a setting out of range.
 */
export function resolveNamespaceSettings(s: NamespaceSettings): ResolvedNamespaceSettings {
  const r: ResolvedNamespaceSettings = {
    discovery: { walk: false, churn: false, ...s.discovery },
    maxValueBytes: s.maxValueBytes ?? 1_024,
    maxRecords: s.maxRecords ?? 10_000,
    defaultTtlMs: s.defaultTtlMs ?? HOUR_MS,
    minTtlMs: s.minTtlMs ?? 120_000,
    maxTtlMs: s.maxTtlMs ?? 24 * HOUR_MS,
    replicateIntervalMs: s.replicateIntervalMs ?? HOUR_MS,
    maintenanceIntervalMs: s.maintenanceIntervalMs ?? 60_000,
    requestTimeoutMs: s.requestTimeoutMs ?? 2_000,
  };
  for (const [name, v] of Object.entries(r)) {
    if (name === 'discovery') continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new NamespaceError(`setting ${name} must be a positive integer, got ${String(v)}`, 'invalid-value');
  }
  if (r.maxValueBytes > WIRE_MAX_NAMESPACE_VALUE_BYTES) throw new NamespaceError(`maxValueBytes is at most ${WIRE_MAX_NAMESPACE_VALUE_BYTES}`, 'invalid-value');
  if (!(r.minTtlMs <= r.defaultTtlMs && r.defaultTtlMs <= r.maxTtlMs)) throw new NamespaceError('settings need minTtlMs <= defaultTtlMs <= maxTtlMs', 'invalid-ttl');
  return r;
}
