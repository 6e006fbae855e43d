/**
 * Providers settings and their defaults (the lifetimes, upkeep and store caps every record type shares are
 * in `RecordSettings`).
 * @module
 */
import type { RecordCommunitySettings } from '../dht/records/record-community.js';
import type { RecordSettings } from '../dht/records/record-settings.js';
import { checkPositive, resolveRecordSettings } from '../dht/records/record-settings.js';
import { ProvidersError } from './errors.js';

/** Largest `limit` a find may ask for. */
export const MAX_FIND_LIMIT = 1_000;
/** How often a provider re-announces to the current k closest by default, in ms (10 min). */
export const DEFAULT_REANNOUNCE_INTERVAL_MS = 600_000;

/**
 * Settings of a {@link ProvidersCommunity}, given to `host.register(ProvidersCommunity, settings)`.
 * Storers never replicate provider records, so `replicateIntervalMs` is how often a provider re-announces
 * what it provides to the current k closest nodes (default 10 min, not the 1 h of other record types).
 */
export interface ProvidersSettings extends RecordSettings {
  /** Most providers a storer keeps under one key. @default 1_000 */
  maxProvidersPerKey?: number;
  /** Most providers one IP group (a /24, a /48, or one loopback or LAN address) may announce under one key at a storer. @default 20 */
  maxPerGroupPerKey?: number;
  /** Providers `findProviders` returns when given no limit. @default 20 */
  defaultFindLimit?: number;
}

/** {@link ProvidersSettings} with every default applied. */
export interface ResolvedProvidersSettings extends RecordCommunitySettings {
  /** See {@link ProvidersSettings.maxProvidersPerKey}. */
  readonly maxProvidersPerKey: number;
  /** See {@link ProvidersSettings.maxPerGroupPerKey}. */
  readonly maxPerGroupPerKey: number;
  /** See {@link ProvidersSettings.defaultFindLimit}. */
  readonly defaultFindLimit: number;
}

/**
 * Applies defaults and checks ranges.
 * @throws {@link ProvidersError} `invalid-value` for a setting out of range, `invalid-ttl` for inconsistent lifetimes.
 */
export function resolveProvidersSettings(s: ProvidersSettings): ResolvedProvidersSettings {
  const r: ResolvedProvidersSettings = {
    ...resolveRecordSettings({ ...s, replicateIntervalMs: s.replicateIntervalMs ?? DEFAULT_REANNOUNCE_INTERVAL_MS }, ProvidersError),
    maxProvidersPerKey: s.maxProvidersPerKey ?? 1_000,
    maxPerGroupPerKey: s.maxPerGroupPerKey ?? 20,
    defaultFindLimit: s.defaultFindLimit ?? 20,
  };
  for (const name of ['maxProvidersPerKey', 'maxPerGroupPerKey', 'defaultFindLimit'] as const) checkPositive(name, r[name], ProvidersError);
  if (r.defaultFindLimit > MAX_FIND_LIMIT) throw new ProvidersError(`defaultFindLimit is at most ${MAX_FIND_LIMIT}`, 'invalid-value');
  return r;
}
