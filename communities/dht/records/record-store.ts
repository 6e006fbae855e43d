/**
 * What one node holds of one record type: bounded, expiring, verified records per location, for any
 * {@link RecordPolicy}. Every bound is enforced here once for every type: the newest version per record id,
 * expiry, caps per location and per node, and quotas per source address and per IP group (so one party can
 * fill only a small share of the store, and cannot bury a key's other publishers), with this node's own
 * records exempt from the caps strangers fill. Accepted records are written to the injected datastore
 * before the verdict is returned.
 * @module
 */
import type { Address, Clock } from '../../../framework/index.js';
import { addressKey, compareBytes, encodeBody, InvalidArgumentError, toHex } from '../../../framework/index.js';
import { sourceGroup } from '../storage/source-group.js';
import type { RecordDatastore, RecordOrigin } from './datastore.js';
import type { RecordPolicy, RecordVerdict } from './policy.js';
import { RECORD_VERDICTS } from './policy.js';
import { QuotaBook } from './quotas.js';
import { groupClassKey, RecordTable } from './record-table.js';
import type { Entry, Slot } from './record-table.js';
import { DEFAULT_MAX_BYTES_PER_GROUP, DEFAULT_MAX_BYTES_PER_SOURCE, DEFAULT_GROUP_SHARE, DEFAULT_MAX_LOCATIONS, DEFAULT_MAX_RECORDS, DEFAULT_SOURCE_SHARE } from './store-limits.js';
import type { PutContext, RecordStoreOptions } from './store-limits.js';
import type { HeldPage, HeldRecord } from './record-table.js';
import type { Usage } from './quotas.js';

const ORIGIN_RANK: Readonly<Record<RecordOrigin, number>> = { cache: 0, store: 1, local: 2 };

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0)) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The records of one type one node holds.
 * @typeParam R the record type.
 * @example
 * ```ts
 * const store = new RecordStore(valuePolicy(keys), clock);
 * store.put(record, 3_600_000, { origin: 'store', from }); // 'stored'
 * store.page(location, undefined, undefined).records;     // [HeldRecord]
 * ```
 */
export class RecordStore<R> {
  private readonly table: RecordTable<R>;
  private readonly maxRecords: number;
  private readonly maxLocations: number;
  private readonly datastore: RecordDatastore | undefined;
  private readonly onPersistError: (error: unknown) => void;
  private readonly counts = Object.fromEntries(RECORD_VERDICTS.map((v) => [v, 0])) as Record<RecordVerdict, number>;
  private evicted = 0;

  /**
   * @param policy the record type.
   * @param clock the time source for expiry.
   * @param options caps and the datastore.
   * @throws `InvalidArgumentError` for a cap that is not a positive integer.
   */
  constructor(
    readonly policy: RecordPolicy<R, unknown>,
    private readonly clock: Clock,
    options: RecordStoreOptions = {},
  ) {
    this.maxRecords = positive('maxRecords', options.maxRecords, DEFAULT_MAX_RECORDS);
    this.maxLocations = positive('maxLocations', options.maxLocations, DEFAULT_MAX_LOCATIONS);
    const perSource = positive('maxRecordsPerSource', options.maxRecordsPerSource, Math.max(16, Math.floor(this.maxRecords * DEFAULT_SOURCE_SHARE)));
    const perGroup = positive('maxRecordsPerGroup', options.maxRecordsPerGroup, Math.max(64, Math.floor(this.maxRecords * DEFAULT_GROUP_SHARE)));
    this.table = new RecordTable<R>(
      new QuotaBook(perSource, positive('maxBytesPerSource', options.maxBytesPerSource, DEFAULT_MAX_BYTES_PER_SOURCE)),
      new QuotaBook(perGroup, positive('maxBytesPerGroup', options.maxBytesPerGroup, DEFAULT_MAX_BYTES_PER_GROUP)),
    );
    this.datastore = options.datastore;
    this.onPersistError = options.onPersistError ?? (() => undefined);
  }

  /** The store's clock reading, in ms. */
  now(): number {
    return this.clock.now();
  }

  /** Records held (expired ones count until swept). */
  get size(): number {
    return this.table.total;
  }

  /** Locations with at least one record. */
  get locationCount(): number {
    return this.table.slots.size;
  }

  /** Sizes of the held records summed, in bytes. */
  get bytes(): number {
    return this.table.bytes;
  }

  /** Records evicted from a full location to make room for one that expires later. */
  get evictions(): number {
    return this.evicted;
  }

  /** How often {@link RecordStore.put} returned each verdict (a copy). */
  get verdicts(): Readonly<Record<RecordVerdict, number>> {
    return { ...this.counts };
  }

  /** The per-source and per-group caps in force. */
  get quotas(): { readonly perSource: Usage; readonly perGroup: Usage } {
    return {
      perSource: { records: this.table.sources.maxRecords, bytes: this.table.sources.maxBytes },
      perGroup: { records: this.table.groups.maxRecords, bytes: this.table.groups.maxBytes },
    };
  }

  /** @returns what the source at `from` (its address, and its IP group) makes this node hold. */
  usage(from: Address): { readonly source: Usage; readonly group: Usage } {
    return { source: this.table.sources.of(addressKey(from)), group: this.table.groups.of(sourceGroup(from)) };
  }

  /**
   * Offers a record. Never throws on bad input: the verdict says what happened, and only `stored`,
   * `updated` and `refreshed` change the store (and the datastore, written before this returns).
   * @param record the record, typically just decoded from a message.
   * @param ttlMs how long to keep it, in ms; cut to the type's `maxTtlMs` and to a signed expiry. A refresh
   *   never shortens an expiry.
   * @param context origin, sender and compare-and-swap.
   * @returns the verdict, also counted in {@link RecordStore.verdicts}.
   */
  put(record: R, ttlMs: number, context: PutContext): RecordVerdict {
    let verdict: RecordVerdict;
    try {
      // A record decoded from a packet is already a private copy; one handed in by this node's own code is
      // copied, so the caller changing its arrays later cannot change (or forge) what is held.
      verdict = this.admit(context.from === undefined ? structuredClone(record) : record, ttlMs, context);
    } catch {
      verdict = 'invalid';
    }
    this.counts[verdict]++;
    return verdict;
  }

  /**
   * One page of a location.
   * @param location the 20-byte location.
   * @param after the id (hex) of the last record the reader has; `undefined` starts at the first.
   * @param publisherHex only records of this publisher (its mid in hex), when given.
   * @param now the time to judge expiry at. @default clock.now()
   */
  page(location: Uint8Array, after: string | undefined, publisherHex?: string, now: number = this.clock.now()): HeldPage<R> {
    return this.table.page(location, after, publisherHex, now);
  }

  /** @returns the live records at `location`, ascending by id. */
  get(location: Uint8Array, now: number = this.clock.now()): HeldRecord<R>[] {
    return this.table.page(location, undefined, undefined, now).records;
  }

  /** @returns the locations holding at least one live record, ascending. */
  locations(now: number = this.clock.now()): Uint8Array[] {
    return this.table.locations(now);
  }

  /**
   * Live `store` and `local` records (caches are never replicated) not replicated for `intervalMs`,
   * grouped by location in ascending order.
   */
  dueForReplication(now: number, intervalMs: number): Array<{ location: Uint8Array; records: HeldRecord<R>[] }> {
    return this.table.dueForReplication(now, intervalMs);
  }

  /** Records that `records` at `location` were just replicated (or received from another storer). */
  markReplicated(location: Uint8Array, idHexes: Iterable<string>, now: number = this.clock.now()): void {
    this.table.markReplicated(location, idHexes, now);
  }

  /**
   * Removes every expired record (from the datastore too).
   * @returns how many were removed.
   */
  sweep(now: number = this.clock.now()): number {
    let removed = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const slot of [...this.table.slots.values()]) {
      for (const e of [...slot.entries.values()]) {
        if (e.expiresAt <= now) {
          this.remove(slot, e);
          removed++;
        } else earliest = Math.min(earliest, e.expiresAt);
      }
    }
    this.table.earliestExpiry = earliest;
    return removed;
  }

  /**
   * Loads the datastore's records of this type (call once, before the node answers). Each is checked
   * again like any incoming record; expired ones are deleted.
   * @returns how many were restored, had expired, or were refused (malformed, forged, over a cap).
   */
  restore(decode: (location: Uint8Array, bytes: Uint8Array) => R | undefined): { restored: number; expired: number; refused: number } {
    const report = { restored: 0, expired: 0, refused: 0 };
    if (this.datastore === undefined) return report;
    const now = this.clock.now();
    const entries = [...this.datastore.entries(this.policy.name)];
    for (const p of entries) {
      const record = decode(p.location, p.record);
      if (!(p.expiresAt > now)) {
        report.expired++;
        if (record !== undefined) this.forget(p.location, record);
        continue;
      }
      const verdict = record === undefined ? 'invalid' : this.put(record, p.expiresAt - now, { origin: p.origin });
      if (verdict === 'stored' || verdict === 'updated' || verdict === 'refreshed') report.restored++;
      else report.refused++;
    }
    return report;
  }

  /**
   * Puts a record without any check or cap. For tests and diagnostics only (e.g. to simulate a lying
   * storer); never persisted.
   * @internal
   */
  insertUnverified(record: R, ttlMs: number, origin: RecordOrigin = 'store', now: number = this.clock.now()): void {
    const location = this.policy.location(record);
    const hex = toHex(location);
    const old = this.table.slots.get(hex)?.entries.get(toHex(this.policy.id(record)));
    if (old !== undefined) this.remove(this.table.slots.get(hex)!, old, false);
    this.table.insert(this.table.slotFor(hex, location), this.entry(record, location, now + ttlMs, now, origin, undefined));
  }

  private admit(record: R, ttlMs: number, context: PutContext): RecordVerdict {
    const policy = this.policy;
    const { origin, from, cas } = context;
    if (!Object.hasOwn(ORIGIN_RANK, origin) || !policy.wellFormed(record)) return 'invalid';
    const location = policy.location(record);
    const bytes = policy.size(record);
    if (bytes > policy.limits.maxRecordBytes) return 'too-large';
    if (typeof ttlMs !== 'number' || !(ttlMs > 0)) return 'expired';
    const now = this.clock.now();
    let expiresAt = now + Math.min(ttlMs, policy.limits.maxTtlMs);
    const signed = policy.signedExpiry?.(record);
    if (signed !== undefined) {
      if (signed <= now) return 'expired';
      if (signed > now + policy.limits.maxTtlMs + SIGNED_EXPIRY_SKEW_MS) return 'bad-ttl';
      expiresAt = Math.min(signed, origin === 'local' ? signed : expiresAt);
    }
    const hex = toHex(location);
    const idHex = toHex(policy.id(record));
    let slot = this.table.slots.get(hex);
    let held = slot?.entries.get(idHex);
    if (held !== undefined && held.expiresAt <= now) {
      this.remove(slot!, held);
      held = undefined;
      slot = this.table.slots.get(hex);
    }
    if (held !== undefined && policy.same(held.record, record)) {
      if (cas !== undefined && policy.version(held.record) !== cas) return 'conflict';
      return this.refresh(held, expiresAt, origin);
    }
    const check = policy.check(record, location);
    if (check !== 'valid') return check;
    if (cas !== undefined && held !== undefined && policy.version(held.record) !== cas) return 'conflict';
    const source = origin === 'local' || from === undefined ? undefined : addressKey(from);
    const group = origin === 'local' || from === undefined ? undefined : sourceGroup(from);
    if (held !== undefined) {
      if (!this.newer(record, held.record)) return 'stale';
      const payer = source === undefined ? { source: held.source, group: held.group } : { source, group };
      const next = this.entry(record, location, expiresAt, now, maxOrigin(held.origin, origin), payer);
      next.replicatedAt = now;
      const freed = payer.source === held.source ? held.bytes : 0;
      if (payer.source !== undefined && !this.quotaAllows(payer.source, payer.group!, payer.source === held.source ? 0 : 1, next.bytes - freed, now)) return 'quota';
      if (!this.persist(next)) return 'unavailable';
      this.remove(slot!, held, false);
      this.table.insert(this.table.slotFor(hex, location), next);
      return 'updated';
    }
    if (source !== undefined && group !== undefined) {
      if (!this.quotaAllows(source, group, 1, bytes, now)) return 'quota';
      if ((slot?.perGroup.get(group) ?? 0) >= policy.limits.maxPerGroupPerLocation) return 'quota';
      const cls = policy.classify?.(record) ?? 'default';
      const classCap = policy.limits.maxPerGroupPerClass?.[cls];
      if (classCap !== undefined && (slot?.perGroupClass.get(groupClassKey(group, cls)) ?? 0) >= classCap) return 'quota';
    }
    const entry = this.entry(record, location, expiresAt, now, origin, { source, group });
    const room = this.makeRoom(hex, slot, entry, now);
    if (room !== undefined) return room;
    if (!this.persist(entry)) return 'unavailable';
    this.table.insert(this.table.slotFor(hex, location), entry);
    return 'stored';
  }

  /** True when `record` replaces `held` (same id, not the same statement): a higher version, or a tie it wins. */
  private newer(record: R, held: R): boolean {
    const policy = this.policy;
    const a = policy.version(record);
    const b = policy.version(held);
    if (a !== b || policy.equalVersions !== 'lowest-bytes') return a > b;
    return compareBytes(encodeBody(policy.wire, policy.toWire(record)), encodeBody(policy.wire, policy.toWire(held))) < 0;
  }

  /** Extends `held`'s expiry (never shortens it) and upgrades its origin (never downgrades it). */
  private refresh(held: Entry<R>, expiresAt: number, origin: RecordOrigin): RecordVerdict {
    const next = { ...held, expiresAt: Math.max(held.expiresAt, expiresAt), origin: maxOrigin(held.origin, origin) };
    if ((next.expiresAt !== held.expiresAt || next.origin !== held.origin) && !this.persist(next)) return 'unavailable';
    if (held.origin === 'local' || next.origin !== 'local') {
      held.expiresAt = next.expiresAt;
      held.origin = next.origin;
      return 'refreshed';
    }
    // Becoming this node's own record: it no longer counts against the caps strangers fill.
    const hex = toHex(held.location);
    this.remove(this.table.slots.get(hex)!, held, false);
    this.table.insert(this.table.slotFor(hex, held.location), { ...next, source: undefined, group: undefined });
    return 'refreshed';
  }

  /** `undefined` when `entry` fits the location's and the node's caps (evicting or sweeping if needed), else the refusal. */
  private makeRoom(hex: string, slot: Slot<R> | undefined, entry: Entry<R>, now: number): RecordVerdict | undefined {
    const limits = this.policy.limits.maxPerLocation;
    const cap = limits[entry.cls] ?? limits.default;
    if (slot !== undefined && (slot.perClass.get(entry.cls) ?? 0) >= cap) {
      for (const e of [...slot.entries.values()]) if (e.expiresAt <= now) this.remove(slot, e);
      if ((slot.perClass.get(entry.cls) ?? 0) >= cap) {
        const victim = this.evictionCandidate(slot, entry);
        if (victim === undefined) return 'full';
        this.remove(slot, victim);
        this.evicted++;
      }
    }
    if (entry.origin === 'local') return undefined;
    const fits = (): boolean => this.table.charged < this.maxRecords && (this.table.slots.has(hex) || this.table.slots.size < this.maxLocations);
    if (fits()) return undefined;
    if (now >= this.table.earliestExpiry) this.sweep(now);
    return fits() ? undefined : 'full';
  }

  /** The record of `entry`'s class expiring soonest among those it may evict (no stronger origin, expiring before it). */
  private evictionCandidate(slot: Slot<R>, entry: Entry<R>): Entry<R> | undefined {
    let victim: Entry<R> | undefined;
    for (const e of slot.entries.values()) {
      if (e.cls !== entry.cls || ORIGIN_RANK[e.origin] > ORIGIN_RANK[entry.origin] || e.expiresAt >= entry.expiresAt) continue;
      if (victim === undefined || e.expiresAt < victim.expiresAt || (e.expiresAt === victim.expiresAt && e.idHex < victim.idHex)) victim = e;
    }
    return victim;
  }

  /** True if `source` (and its `group`) may hold `records` more records and `bytes` more bytes, after dropping their expired records. */
  private quotaAllows(source: string, group: string, records: number, bytes: number, now: number): boolean {
    const { sources, groups } = this.table;
    const fits = (): boolean => sources.fits(source, records, bytes) && groups.fits(group, records, bytes);
    if (fits()) return true;
    for (const book of [sources, groups]) {
      for (const item of book.itemsOf(book === sources ? source : group)) {
        const e = item as Entry<R>;
        if (e.expiresAt <= now) this.remove(this.table.slots.get(toHex(e.location))!, e);
      }
    }
    return fits();
  }

  private entry(record: R, location: Uint8Array, expiresAt: number, now: number, origin: RecordOrigin, payer: { source: string | undefined; group: string | undefined } | undefined): Entry<R> {
    const publisher = this.policy.publisher(record);
    return {
      idHex: toHex(this.policy.id(record)),
      record,
      location,
      expiresAt,
      storedAt: now,
      origin,
      replicatedAt: now,
      bytes: this.policy.size(record),
      cls: this.policy.classify?.(record) ?? 'default',
      publisherHex: publisher === undefined ? undefined : toHex(publisher),
      source: origin === 'local' ? undefined : payer?.source,
      group: origin === 'local' ? undefined : payer?.group,
    };
  }

  /** Removes `e` from memory and, unless `fromDisk` is false (it is being replaced), from the datastore. */
  private remove(slot: Slot<R>, e: Entry<R>, fromDisk = true): void {
    if (this.table.detach(slot, e) && fromDisk) this.forget(e.location, e.record);
  }

  private forget(location: Uint8Array, record: R): void {
    if (this.datastore === undefined) return;
    try {
      this.datastore.delete(this.policy.name, `${toHex(location)}/${toHex(this.policy.id(record))}`);
    } catch (error) {
      this.onPersistError(error);
    }
  }

  /** Writes `e` to the datastore. @returns false when it could not. */
  private persist(e: Entry<R>): boolean {
    if (this.datastore === undefined) return true;
    try {
      const bytes = encodeBody(this.policy.wire, this.policy.toWire(e.record));
      this.datastore.put(this.policy.name, `${toHex(e.location)}/${e.idHex}`, { location: e.location, record: bytes, expiresAt: e.expiresAt, origin: e.origin });
      return true;
    } catch (error) {
      this.onPersistError(error);
      return false;
    }
  }
}

/** Clock difference tolerated between a publisher's signed expiry and a storer's clock, in ms. */
export const SIGNED_EXPIRY_SKEW_MS = 60_000;

function maxOrigin(a: RecordOrigin, b: RecordOrigin): RecordOrigin {
  return ORIGIN_RANK[a] >= ORIGIN_RANK[b] ? a : b;
}
