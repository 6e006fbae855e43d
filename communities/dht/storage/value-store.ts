/**
 * What one node holds of the DHT: bounded, expiring, verified records per key.
 * @module
 */
import type { Clock } from '../../../framework/time/clock.js';
import { equalBytes, toHex } from '../../../framework/util/bytes.js';
import type { Entry, Slot } from './store-entry.js';
import {
  compareEntries,
  copyRecord,
  mapFor,
  ORIGIN_RANK,
  positiveOption,
  slotEntries,
  snapshot,
  VERDICTS,
} from './store-entry.js';
import type { StoredValue, StoreVerdict, ValueOrigin, ValueStoreOptions } from './store-types.js';
import {
  DEFAULT_MAX_BYTES_PER_SOURCE,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_ENTRIES_PER_SOURCE,
  DEFAULT_MAX_KEYS,
  DEFAULT_MAX_TTL_MS,
  DEFAULT_MAX_UNSIGNED_PER_KEY,
} from './store-types.js';
import { SourceQuotas } from './source-quota.js';
import type { SourceUsage } from './source-quota.js';
import type { PublicKeyCache, ValueRecord } from './value-record.js';
import { checkRecord, DEFAULT_MAX_DATA_BYTES, isSigned, isWellFormed, recordId } from './value-record.js';

/**
 * The records one node holds, with every bound enforced: one signed record per (key, publisher), newest
 * version wins; unsigned records deduplicated by data and capped per key; global caps on keys and records;
 * every record expires; and per-source quotas, so one source (an IP group, see `sourceGroup`) can make
 * the node hold at most its share. Signed records are verified before anything is stored. Expired records are never
 * served; they are removed by {@link ValueStore.sweep}, and lazily when their key is written or a cap is hit.
 *
 * @example
 * ```ts
 * const store = new ValueStore(clock);
 * store.put(signRecord(key, hashKey('name'), utf8('v'), clock.now()), 60_000, 'store'); // 'stored'
 * store.get(hashKey('name')); // [StoredValue]
 * ```
 */
export class ValueStore {
  private readonly maxDataBytes: number;
  private readonly maxUnsignedPerKey: number;
  private readonly maxKeys: number;
  private readonly maxEntries: number;
  private readonly maxTtlMs: number;
  private readonly keyCache: PublicKeyCache | undefined;
  private readonly quotas: SourceQuotas;
  private readonly slots = new Map<string, Slot>();
  private readonly counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<StoreVerdict, number>;
  private entryCount = 0;
  private dataBytes = 0;
  private evicted = 0;
  /** A lower bound of every held record's `expiresAt`: no sweep is needed before it. */
  private earliestExpiry = Number.POSITIVE_INFINITY;

  /**
   * @param clock the time source for expiry.
   * @param options limits; see {@link ValueStoreOptions}.
   * @throws `InvalidArgumentError` when a limit is not a positive integer.
   */
  constructor(
    private readonly clock: Clock,
    options: ValueStoreOptions = {},
  ) {
    this.maxDataBytes = positiveOption('maxDataBytes', options.maxDataBytes, DEFAULT_MAX_DATA_BYTES);
    const { maxUnsignedPerKey } = options;
    this.maxUnsignedPerKey = positiveOption('maxUnsignedPerKey', maxUnsignedPerKey, DEFAULT_MAX_UNSIGNED_PER_KEY);
    this.maxKeys = positiveOption('maxKeys', options.maxKeys, DEFAULT_MAX_KEYS);
    this.maxEntries = positiveOption('maxEntries', options.maxEntries, DEFAULT_MAX_ENTRIES);
    this.maxTtlMs = positiveOption('maxTtlMs', options.maxTtlMs, DEFAULT_MAX_TTL_MS);
    this.keyCache = options.keyCache;
    this.quotas = new SourceQuotas(
      positiveOption('maxEntriesPerSource', options.maxEntriesPerSource, DEFAULT_MAX_ENTRIES_PER_SOURCE),
      positiveOption('maxBytesPerSource', options.maxBytesPerSource, DEFAULT_MAX_BYTES_PER_SOURCE),
    );
  }

  /** Number of records held (expired ones count until swept). */
  get size(): number {
    return this.entryCount;
  }

  /** Number of keys with at least one record held. */
  get keyCount(): number {
    return this.slots.size;
  }

  /** Sum of the `data` sizes of the records held, in bytes. */
  get bytes(): number {
    return this.dataBytes;
  }

  /** How many times {@link ValueStore.put} returned each verdict (a copy). */
  get stats(): Readonly<Record<StoreVerdict, number>> {
    return { ...this.counts };
  }

  /** Number of sources with at least one record charged to them. */
  get sourceCount(): number {
    return this.quotas.sources;
  }

  /**
   * @param source a source key, as given to {@link ValueStore.put}.
   * @returns the records and data bytes held on its behalf (expired ones count until swept).
   */
  sourceUsage(source: string): SourceUsage {
    return this.quotas.of(source);
  }

  /** How many unsigned records were evicted to make room for one expiring later. */
  get evictions(): number {
    return this.evicted;
  }

  /**
   * Offers a record. Never throws on bad input: the verdict says what happened, and only `stored`,
   * `updated` and `refreshed` change the store. Records are copied.
   * @param record the record, typically just decoded from a message.
   * @param ttlMs how long to keep it, in ms; cut to `maxTtlMs`. A refresh never shortens an expiry.
   * @param origin why this node holds it.
   * @param source who asked (its IP group, see `sourceGroup`): a new record is charged to it and refused
   *   with `quota` once the source holds `maxEntriesPerSource` records or `maxBytesPerSource` bytes (its
   *   expired records are dropped first). Omit for records this node stores on its own behalf (uncharged).
   * @returns the verdict, also counted in {@link ValueStore.stats}.
   */
  put(record: ValueRecord, ttlMs: number, origin: ValueOrigin, source?: string): StoreVerdict {
    const verdict = this.admit(record, ttlMs, origin, source);
    this.counts[verdict]++;
    return verdict;
  }

  /**
   * The live records under a key.
   * @param key the 20-byte key.
   * @param now the time to judge expiry at. @default clock.now()
   * @returns snapshots: signed records (one per publisher) ordered by publisher mid, then unsigned ones by
   *   `storedAt`. Empty if nothing live is held.
   */
  get(key: Uint8Array, now: number = this.clock.now()): StoredValue[] {
    const slot = this.slots.get(toHex(key));
    if (slot === undefined) return [];
    const live = slotEntries(slot).filter((e) => e.expiresAt > now);
    return live.sort(compareEntries).map(snapshot);
  }

  /**
   * @param now the time to judge expiry at. @default clock.now()
   * @returns copies of the keys that hold at least one live record, in ascending byte order.
   */
  keys(now: number = this.clock.now()): Uint8Array[] {
    const out: Array<[string, Uint8Array]> = [];
    for (const [hex, slot] of this.slots) {
      for (const e of slotEntries(slot)) {
        if (e.expiresAt > now) {
          out.push([hex, Uint8Array.from(slot.key)]);
          break;
        }
      }
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, key]) => key);
  }

  /**
   * The live `store` and `local` records not replicated for at least `intervalMs` (cached records are
   * never replicated).
   * @param now the current time in ms.
   * @param intervalMs the replication interval in ms.
   * @returns snapshots ordered by key, then as {@link ValueStore.get} orders them.
   */
  entriesDueForReplication(now: number, intervalMs: number): StoredValue[] {
    const due: StoredValue[] = [];
    const slots = [...this.slots].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [, slot] of slots) {
      for (const e of slotEntries(slot).sort(compareEntries)) {
        if (e.origin !== 'cache' && e.expiresAt > now && e.lastReplicatedAt <= now - intervalMs) due.push(snapshot(e));
      }
    }
    return due;
  }

  /**
   * Records that a held record was just replicated.
   * @param entry a snapshot from {@link ValueStore.entriesDueForReplication} (or just its record).
   * @param now when it was replicated. @default clock.now()
   * @returns false if the record is no longer held.
   */
  markReplicated(entry: { readonly record: ValueRecord }, now: number = this.clock.now()): boolean {
    const slot = this.slots.get(toHex(entry.record.key));
    const id = recordId(entry.record);
    const held = slot === undefined ? undefined : (isSigned(entry.record) ? slot.signed : slot.unsigned).get(id);
    if (held === undefined) return false;
    held.lastReplicatedAt = now;
    return true;
  }

  /**
   * Removes every expired record.
   * @param now the time to judge expiry at. @default clock.now()
   * @returns how many records were removed.
   */
  sweep(now: number = this.clock.now()): number {
    let removed = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [hex, slot] of this.slots) {
      removed += this.sweepEntries(hex, slotEntries(slot), now);
      for (const e of slotEntries(slot)) earliest = Math.min(earliest, e.expiresAt);
    }
    this.earliestExpiry = earliest;
    return removed;
  }

  private admit(record: ValueRecord, ttlMs: number, origin: ValueOrigin, source: string | undefined): StoreVerdict {
    if (!isWellFormed(record) || !Object.hasOwn(ORIGIN_RANK, origin)) return 'invalid';
    if (record.data.length > this.maxDataBytes) return 'too-large';
    if (typeof ttlMs !== 'number' || !(ttlMs > 0)) return 'expired';
    const now = this.clock.now();
    const expiresAt = now + Math.min(ttlMs, this.maxTtlMs);
    const hex = toHex(record.key);
    const id = recordId(record);
    const signed = isSigned(record);
    let existing = this.slots.get(hex)?.[signed ? 'signed' : 'unsigned'].get(id);
    if (existing !== undefined && existing.expiresAt <= now) {
      this.remove(hex, existing);
      existing = undefined;
    }

    if (signed) {
      const held = existing?.record;
      const identical =
        held !== undefined &&
        isSigned(held) &&
        held.version === record.version &&
        equalBytes(held.signature, record.signature) &&
        equalBytes(held.publicKey, record.publicKey) &&
        equalBytes(held.data, record.data);
      if (!identical) {
        const check = checkRecord(record, this.keyCache);
        if (check !== 'valid') return check;
      }
      if (existing !== undefined) {
        if (record.version < existing.record.version) return 'stale-version';
        if (record.version === existing.record.version) {
          if (!equalBytes(record.data, existing.record.data)) return 'stale-version';
          this.extend(existing, expiresAt, origin);
          return 'refreshed';
        }
        const payer = source ?? existing.source;
        const same = payer === existing.source;
        const addBytes = same ? record.data.length - existing.record.data.length : record.data.length;
        if (payer !== undefined && !this.quotaAllows(payer, same ? 0 : 1, addBytes, now)) return 'quota';
        this.quotas.release(existing);
        this.dataBytes += record.data.length - existing.record.data.length;
        existing.record = copyRecord(record);
        existing.source = payer;
        this.quotas.charge(existing);
        existing.storedAt = now;
        this.extend(existing, expiresAt, origin);
        return 'updated';
      }
    } else if (existing !== undefined) {
      this.extend(existing, expiresAt, origin);
      return 'refreshed';
    }

    if (source !== undefined && !this.quotaAllows(source, 1, record.data.length, now)) return 'quota';
    const slot = this.slots.get(hex);
    if (!signed && slot !== undefined && slot.unsigned.size >= this.maxUnsignedPerKey) {
      this.sweepEntries(hex, [...slot.unsigned.values()], now);
    }
    if (!signed && slot !== undefined && slot.unsigned.size >= this.maxUnsignedPerKey) {
      const victim = this.evictionCandidate(slot, origin);
      if (victim === undefined || victim.expiresAt >= expiresAt) return 'full';
      this.remove(hex, victim);
      this.evicted++;
    } else if (!this.hasRoom(hex, now)) {
      return 'full';
    }
    this.insert(hex, { id, record: copyRecord(record), expiresAt, storedAt: now, origin, lastReplicatedAt: now, source });
    return 'stored';
  }

  /** Extends an entry's expiry (never shortens it) and upgrades its origin (never downgrades it). */
  private extend(entry: Entry, expiresAt: number, origin: ValueOrigin): void {
    entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
    if (ORIGIN_RANK[origin] > ORIGIN_RANK[entry.origin]) entry.origin = origin;
  }

  /** The unsigned entry expiring soonest among those a record of `origin` may evict (no stronger origin). */
  private evictionCandidate(slot: Slot, origin: ValueOrigin): Entry | undefined {
    let victim: Entry | undefined;
    for (const e of slot.unsigned.values()) {
      if (ORIGIN_RANK[e.origin] > ORIGIN_RANK[origin]) continue;
      if (victim === undefined || (e.expiresAt - victim.expiresAt || compareEntries(e, victim)) < 0) victim = e;
    }
    return victim;
  }

  /** True if `source` may hold `addEntries` more records and `addBytes` more bytes, after dropping its expired records. */
  private quotaAllows(source: string, addEntries: number, addBytes: number, now: number): boolean {
    if (this.quotas.fits(source, addEntries, addBytes)) return true;
    for (const e of this.quotas.entriesOf(source)) if (e.expiresAt <= now) this.remove(toHex(e.record.key), e);
    return this.quotas.fits(source, addEntries, addBytes);
  }

  /** True if one more record (and its key, if new) fits the global caps, sweeping expired records if needed. */
  private hasRoom(hex: string, now: number): boolean {
    const fits = (): boolean =>
      this.entryCount < this.maxEntries && (this.slots.has(hex) || this.slots.size < this.maxKeys);
    if (fits()) return true;
    if (now < this.earliestExpiry) return false;
    this.sweep(now);
    return fits();
  }

  private insert(hex: string, entry: Entry): void {
    let slot = this.slots.get(hex);
    if (slot === undefined) {
      slot = { key: entry.record.key, signed: new Map(), unsigned: new Map() };
      this.slots.set(hex, slot);
    }
    mapFor(slot, entry).set(entry.id, entry);
    this.quotas.charge(entry);
    this.entryCount++;
    this.dataBytes += entry.record.data.length;
    this.earliestExpiry = Math.min(this.earliestExpiry, entry.expiresAt);
  }

  private remove(hex: string, entry: Entry): void {
    const slot = this.slots.get(hex);
    if (slot === undefined || !mapFor(slot, entry).delete(entry.id)) return;
    this.quotas.release(entry);
    this.entryCount--;
    this.dataBytes -= entry.record.data.length;
    if (slot.signed.size === 0 && slot.unsigned.size === 0) this.slots.delete(hex);
  }

  /** Removes the expired ones of `entries` (all under key `hex`); returns how many. */
  private sweepEntries(hex: string, entries: readonly Entry[], now: number): number {
    let removed = 0;
    for (const e of entries) {
      if (e.expiresAt <= now) {
        this.remove(hex, e);
        removed++;
      }
    }
    return removed;
  }
}
