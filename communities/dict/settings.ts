/**
 * Dictionary settings and their defaults (the lifetimes, upkeep and store caps every record type shares are
 * in `RecordSettings`).
 * @module
 */
import type { RecordCommunitySettings } from '../dht/records/record-community.js';
import type { RecordSettings } from '../dht/records/record-settings.js';
import { checkPositive, resolveRecordSettings } from '../dht/records/record-settings.js';
import { DictError } from './errors.js';
import { WIRE_MAX_DICT_VALUE_BYTES, WIRE_MAX_SUBKEY_BYTES } from './policy.js';

/** Largest `limit` a `get` may ask for. */
export const MAX_GET_LIMIT = 1_000;

/** Settings of a {@link DictCommunity}, given to `host.register(DictCommunity, settings)`. */
export interface DictSettings extends RecordSettings {
  /** Longest subkey, in bytes (checked by the writer and by every storer). @default 64 */
  maxSubkeyBytes?: number;
  /** Largest value, in bytes (checked by the writer and by every storer). @default 512 */
  maxValueBytes?: number;
  /** Most owned entries a storer keeps under one key (open ones are capped by `maxOpenPerKey`). @default 1_000 */
  maxEntriesPerKey?: number;
  /** Most open entries a storer keeps under one key. @default 256 */
  maxOpenPerKey?: number;
  /** Most entries (owned or open) one IP group may add under one key at a storer. @default 64 */
  maxPerGroupPerKey?: number;
  /** Most open entries one IP group may add under one key at a storer. @default 16 */
  maxOpenPerGroupPerKey?: number;
  /** Entries `get` returns when given no limit. @default 1_000 */
  defaultGetLimit?: number;
}

/** {@link DictSettings} with every default applied. */
export interface ResolvedDictSettings extends RecordCommunitySettings {
  /** See {@link DictSettings.maxSubkeyBytes}. */
  readonly maxSubkeyBytes: number;
  /** See {@link DictSettings.maxValueBytes}. */
  readonly maxValueBytes: number;
  /** See {@link DictSettings.maxEntriesPerKey}. */
  readonly maxEntriesPerKey: number;
  /** See {@link DictSettings.maxOpenPerKey}. */
  readonly maxOpenPerKey: number;
  /** See {@link DictSettings.maxPerGroupPerKey}. */
  readonly maxPerGroupPerKey: number;
  /** See {@link DictSettings.maxOpenPerGroupPerKey}. */
  readonly maxOpenPerGroupPerKey: number;
  /** See {@link DictSettings.defaultGetLimit}. */
  readonly defaultGetLimit: number;
}

/**
 * Applies defaults and checks ranges.
 * @throws {@link DictError} `invalid-value` for a setting out of range, `invalid-ttl` for inconsistent lifetimes.
 */
export function resolveDictSettings(s: DictSettings): ResolvedDictSettings {
  const r: ResolvedDictSettings = {
    ...resolveRecordSettings(s, DictError),
    maxSubkeyBytes: s.maxSubkeyBytes ?? 64,
    maxValueBytes: s.maxValueBytes ?? 512,
    maxEntriesPerKey: s.maxEntriesPerKey ?? 1_000,
    maxOpenPerKey: s.maxOpenPerKey ?? 256,
    maxPerGroupPerKey: s.maxPerGroupPerKey ?? 64,
    maxOpenPerGroupPerKey: s.maxOpenPerGroupPerKey ?? 16,
    defaultGetLimit: s.defaultGetLimit ?? MAX_GET_LIMIT,
  };
  for (const name of ['maxSubkeyBytes', 'maxValueBytes', 'maxEntriesPerKey', 'maxOpenPerKey', 'maxPerGroupPerKey', 'maxOpenPerGroupPerKey', 'defaultGetLimit'] as const) checkPositive(name, r[name], DictError);
  if (r.maxSubkeyBytes > WIRE_MAX_SUBKEY_BYTES) throw new DictError(`maxSubkeyBytes is at most ${WIRE_MAX_SUBKEY_BYTES}`, 'invalid-value');
  if (r.maxValueBytes > WIRE_MAX_DICT_VALUE_BYTES) throw new DictError(`maxValueBytes is at most ${WIRE_MAX_DICT_VALUE_BYTES}`, 'invalid-value');
  if (r.defaultGetLimit > MAX_GET_LIMIT) throw new DictError(`defaultGetLimit is at most ${MAX_GET_LIMIT}`, 'invalid-value');
  return r;
}
