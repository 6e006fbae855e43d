/**
 * Namespace settings and their defaults (the lifetimes, upkeep and store caps every record type shares are
 * in `RecordSettings`).
 * @module
 */
import type { RecordCommunitySettings } from '../dht/records/record-community.js';
import type { RecordSettings } from '../dht/records/record-settings.js';
import { checkPositive, resolveRecordSettings } from '../dht/records/record-settings.js';
import { NamespaceError } from './errors.js';
import { WIRE_MAX_NAMESPACE_VALUE_BYTES } from './policy.js';

/** Settings of a {@link NamespaceCommunity}, given to `host.register(NamespaceCommunity, settings)`. */
export interface NamespaceSettings extends RecordSettings {
  /** Largest value, in bytes. @default 1_024 */
  maxValueBytes?: number;
}

/** {@link NamespaceSettings} with every default applied. */
export interface ResolvedNamespaceSettings extends RecordCommunitySettings {
  /** See {@link NamespaceSettings.maxValueBytes}. */
  readonly maxValueBytes: number;
}

/**
 * Applies defaults and checks ranges.
 * @throws {@link NamespaceError} `invalid-value` for a setting out of range, `invalid-ttl` for inconsistent lifetimes.
 */
export function resolveNamespaceSettings(s: NamespaceSettings): ResolvedNamespaceSettings {
  const r: ResolvedNamespaceSettings = { ...resolveRecordSettings(s, NamespaceError), maxValueBytes: s.maxValueBytes ?? 1_024 };
  checkPositive('maxValueBytes', r.maxValueBytes, NamespaceError);
  if (r.maxValueBytes > WIRE_MAX_NAMESPACE_VALUE_BYTES) throw new NamespaceError(`maxValueBytes is at most ${WIRE_MAX_NAMESPACE_VALUE_BYTES}`, 'invalid-value');
  return r;
}
