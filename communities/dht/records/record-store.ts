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
import { addressKey, encodeBody, InvalidArgumentError, toHex } from '../../../framework/index.js';
import { sourceGroup } from '../storage/source-group.js';
import type { RecordDatastore, RecordOrigin } from './datastore.js';
import type { RecordPolicy, RecordVerdict } from './policy.js';
import { RECORD_VERDICTS } from './policy.js';
import { QuotaBook } from './quotas.js';
import type { StoreLimits } from './store-limits.js';
import type { Usage } from './quotas.js';

/** Default cap on records held over all locations (this node's own records not counted). */
export const DEFAULT_MAX_RECORDS = 100_000;
/** Default cap on locations held. */
export const DEFAULT_MAX_LOCATIONS = 10_000;
/** Default share of `maxRecords` one source address may fill: 1 %. */
export const DEFAULT_SOURCE_SHARE = 0.01;
/** Default share of `maxRecords` one IP group (/24, /48) may fill: 5 %. */
export const DEFAULT_GROUP_SHARE = 0.05;
/** Default cap on bytes one source address may make the node hold: 1 MiB. */
export const DEFAULT_MAX_BYTES_PER_SOURCE = 1_048_576;
/** Default cap on bytes one IP group may make the node hold: 4 MiB. */
export const DEFAULT_MAX_BYTES_PER_GROUP = 4_194_304;

/** Limits and collaborators of a {@link RecordStore}. */
export interface RecordStoreOptions extends StoreLimits {
  /** Where accepted records are written before they are acknowledged. @default none (memory only) */
  readonly datastore?: RecordDatastore | undefined;
  /** Told when the datastore failed to delete a record (the store carries on). */
  readonly onPersistError?: ((error: unknown) => void) | undefined;
}

/** How a record is offered to {@link RecordStore.put}. */
export interface PutContext {
  /** Why this node would hold it. */
  readonly origin: RecordOrigin;
  /** Who sent it; its address and IP group are charged. Omit for this node's own records (uncharged). */
  readonly from?: Address | undefined;
  /** Compare-and-swap: store only if the held version (if any) equals this one. */
  readonly cas?: number | undefined;
}

/** A record as held (a snapshot). */
export interface HeldRecord<R> {
  /** The record. */
  readonly record: R;
  /** Its location. */
  readonly location: Uint8Array;
  /** Its id within the location, in hex (hex order is byte order). */
  readonly idHex: string;
  /** When it expires, in ms since the epoch; it is served only before. */
  readonly expiresAt: number;
  /** When this version was first stored here. */
  readonly storedAt: number;
  /** Why this node holds it. */
  readonly origin: RecordOrigin;
  /** When it was last replicated, or received from another node. */
  readonly replicatedAt: number;
}

/** A page of a location, as {@link RecordStore.page} returns it. */
export interface HeldPage<R> {
  /** Live records after the cursor (and of the publisher, when filtered), ascending by id. */
  readonly records: HeldRecord<R>[];
  /** Live records matching the filter in all. */
  readonly total: number;
}

const ORIGIN_RANK: Readonly<Record<RecordOrigin, number>> = { cache: 0, store: 1, local: 2 };

interface Entry<R> {
  idHex: string;
  record: R;
  location: Uint8Array;
  expiresAt: number;
  storedAt: number;
  origin: RecordOrigin;
  replicatedAt: number;
  bytes: number;
  cls: string;
  publisherHex: string | undefined;
  source: string | undefined;
  group: string | undefined;
}

interface Slot<R> {
  readonly location: Uint8Array;
  readonly entries: Map<string, Entry<R>>;
  readonly perClass: Map<string, number>;
  readonly perGroup: Map<string, number>;
  sorted: Entry<R>[] | undefined;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0)) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function snapshot<R>(e: Entry<R>): HeldRecord<R> {
  return { record: e.record, location: e.location, idHex: e.idHex, expiresAt: e.expiresAt, storedAt: e.storedAt, origin: e.origin, replicatedAt: e.replicatedAt };
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
  private readonly slots = new Map<string, Slot<R>>();
  private readonly maxRecords: number;
  private readonly maxLocations: number;
  private readonly sources: QuotaBook;
  private readonly groups: QuotaBook;
  private readonly datastore: RecordDatastore | undefined;
  private readonly onPersistError: (error: unknown) => void;
  private readonly counts = Object.fromEntries(RECORD_VERDICTS.map((v) => [v, 0])) as Record<RecordVerdict, number>;
  private charged = 0;
  private total = 0;
  private byteCount = 0;
  private evicted = 0;
  private earliestExpiry = Number.POSITIVE_INFINITY;

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
    this.sources = new QuotaBook(perSource, positive('maxBytesPerSource', options.maxBytesPerSource, DEFAULT_MAX_BYTES_PER_SOURCE));
    this.groups = new QuotaBook(perGroup, positive('maxBytesPerGroup', options.maxBytesPerGroup, DEFAULT_MAX_BYTES_PER_GROUP));
    this.datastore = options.datastore;
    this.onPersistError = options.onPersistError ?? (() => undefined);
  }

  /** The store's clock reading, in ms. */
  now(): number {
    return this.clock.now();
  }

  /** Records held (expired ones count until swept). */
  get size(): number {
    return this.total;
  }

  /** Locations with at least one record. */
  get locationCount(): number {
    return this.slots.size;
  }

  /** Sizes of the held records summed, in bytes. */
  get bytes(): number {
    return this.byteCount;
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
      perSource: { records: this.sources.maxRecords, bytes: this.sources.maxBytes },
      perGroup: { records: this.groups.maxRecords, bytes: this.groups.maxBytes },
    };
  }

  /** @returns what the source at `from` (its address, and its IP group) makes this node hold. */
  usage(from: Address): { readonly source: Usage; readonly group: Usage } {
    return { source: this.sources.of(addressKey(from)), group: this.groups.of(sourceGroup(from)) };
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
    const slot = this.slots.get(toHex(location));
    if (slot === undefined) return { records: [], total: 0 };
    slot.sorted ??= [...slot.entries.values()].sort((a, b) => (a.idHex < b.idHex ? -1 : a.idHex > b.idHex ? 1 : 0));
    const records: HeldRecord<R>[] = [];
    let total = 0;
    for (const e of slot.sorted) {
      if (e.expiresAt <= now || (publisherHex !== undefined && e.publisherHex !== publisherHex)) continue;
      total++;
      if (after === undefined || e.idHex > after) records.push(snapshot(e));
    }
    return { records, total };
  }

  /** @returns the live records at `location`, ascending by id. */
  get(location: Uint8Array, now: number = this.clock.now()): HeldRecord<R>[] {
    return this.page(location, undefined, undefined, now).records;
  }

  /** @returns the locations holding at least one live record, ascending. */
  locations(now: number = this.clock.now()): Uint8Array[] {
    const out: Array<[string, Uint8Array]> = [];
    for (const [hex, slot] of this.slots) {
      for (const e of slot.entries.values()) {
        if (e.expiresAt > now) {
          out.push([hex, slot.location]);
          break;
        }
      }
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, l]) => Uint8Array.from(l));
  }

  /**
   * Live `store` and `local` records (caches are never replicated) not replicated for `intervalMs`,
   * grouped by location in ascending order.
   */
  dueForReplication(now: number, intervalMs: number): Array<{ location: Uint8Array; records: HeldRecord<R>[] }> {
    const out: Array<{ hex: string; location: Uint8Array; records: HeldRecord<R>[] }> = [];
    for (const [hex, slot] of this.slots) {
      const due: HeldRecord<R>[] = [];
      for (const e of slot.entries.values()) {
        if (e.origin !== 'cache' && e.expiresAt > now && e.replicatedAt <= now - intervalMs) due.push(snapshot(e));
      }
      if (due.length > 0) out.push({ hex, location: slot.location, records: due.sort((a, b) => (a.idHex < b.idHex ? -1 : 1)) });
    }
    return out.sort((a, b) => (a.hex < b.hex ? -1 : 1)).map(({ location, records }) => ({ location, records }));
  }

  /** Records that `records` at `location` were just replicated (or received from another storer). */
  markReplicated(location: Uint8Array, idHexes: Iterable<string>, now: number = this.clock.now()): void {
    const slot = this.slots.get(toHex(location));
    if (slot === undefined) return;
    for (const id of idHexes) {
      const e = slot.entries.get(id);
      if (e !== undefined) e.replicatedAt = now;
    }
  }

  /**
   * Removes every expired record (from the datastore too).
   * @returns how many were removed.
   */
  sweep(now: number = this.clock.now()): number {
    let removed = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const slot of [...this.slots.values()]) {
      for (const e of [...slot.entries.values()]) {
        if (e.expiresAt <= now) {
          this.remove(slot, e);
          removed++;
        } else earliest = Math.min(earliest, e.expiresAt);
      }
    }
    this.earliestExpiry = earliest;
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
    const old = this.slots.get(hex)?.entries.get(toHex(this.policy.id(record)));
    if (old !== undefined) this.remove(this.slots.get(hex)!, old, false);
    this.insert(this.slotFor(hex, location), this.entry(record, location, now + ttlMs, now, origin, undefined));
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
    let slot = this.slots.get(hex);
    let held = slot?.entries.get(idHex);
    if (held !== undefined && held.expiresAt <= now) {
      this.remove(slot!, held);
      held = undefined;
      slot = this.slots.get(hex);
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
      if (policy.version(record) <= policy.version(held.record)) return 'stale';
      const payer = source === undefined ? { source: held.source, group: held.group } : { source, group };
      const next = this.entry(record, location, expiresAt, now, maxOrigin(held.origin, origin), payer);
      next.replicatedAt = now;
      const freed = payer.source === held.source ? held.bytes : 0;
      if (payer.source !== undefined && !this.quotaAllows(payer.source, payer.group!, payer.source === held.source ? 0 : 1, next.bytes - freed, now)) return 'quota';
      if (!this.persist(next)) return 'unavailable';
      this.remove(slot!, held, false);
      this.insert(this.slotFor(hex, location), next);
      return 'updated';
    }
    if (source !== undefined && group !== undefined) {
      if (!this.quotaAllows(source, group, 1, bytes, now)) return 'quota';
      if ((slot?.perGroup.get(group) ?? 0) >= policy.limits.maxPerGroupPerLocation) return 'quota';
    }
    const entry = this.entry(record, location, expiresAt, now, origin, { source, group });
    const room = this.makeRoom(hex, slot, entry, now);
    if (room !== undefined) return room;
    if (!this.persist(entry)) return 'unavailable';
    this.insert(this.slotFor(hex, location), entry);
    return 'stored';
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
    this.remove(this.slots.get(hex)!, held, false);
    this.insert(this.slotFor(hex, held.location), { ...next, source: undefined, group: undefined });
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
    const fits = (): boolean => this.charged < this.maxRecords && (this.slots.has(hex) || this.slots.size < this.maxLocations);
    if (fits()) return undefined;
    if (now >= this.earliestExpiry) this.sweep(now);
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
    const fits = (): boolean => this.sources.fits(source, records, bytes) && this.groups.fits(group, records, bytes);
    if (fits()) return true;
    for (const book of [this.sources, this.groups]) {
      for (const item of book.itemsOf(book === this.sources ? source : group)) {
        const e = item as Entry<R>;
        if (e.expiresAt <= now) this.remove(this.slots.get(toHex(e.location))!, e);
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

  private slotFor(hex: string, location: Uint8Array): Slot<R> {
    let slot = this.slots.get(hex);
    if (slot === undefined) {
      slot = { location: Uint8Array.from(location), entries: new Map(), perClass: new Map(), perGroup: new Map(), sorted: undefined };
      this.slots.set(hex, slot);
    }
    return slot;
  }

  private insert(slot: Slot<R>, e: Entry<R>): void {
    slot.entries.set(e.idHex, e);
    slot.sorted = undefined;
    slot.perClass.set(e.cls, (slot.perClass.get(e.cls) ?? 0) + 1);
    if (e.group !== undefined) slot.perGroup.set(e.group, (slot.perGroup.get(e.group) ?? 0) + 1);
    if (e.source !== undefined) this.sources.charge(e.source, e);
    if (e.group !== undefined) this.groups.charge(e.group, e);
    if (e.origin !== 'local') this.charged++;
    this.total++;
    this.byteCount += e.bytes;
    this.earliestExpiry = Math.min(this.earliestExpiry, e.expiresAt);
  }

  /** Removes `e` from memory and, unless `fromDisk` is false (it is being replaced), from the datastore. */
  private remove(slot: Slot<R>, e: Entry<R>, fromDisk = true): void {
    if (slot.entries.get(e.idHex) !== e) return;
    slot.entries.delete(e.idHex);
    slot.sorted = undefined;
    decrement(slot.perClass, e.cls);
    if (e.group !== undefined) decrement(slot.perGroup, e.group);
    if (e.source !== undefined) this.sources.release(e.source, e);
    if (e.group !== undefined) this.groups.release(e.group, e);
    if (e.origin !== 'local') this.charged--;
    this.total--;
    this.byteCount -= e.bytes;
    if (slot.entries.size === 0) this.slots.delete(toHex(slot.location));
    if (fromDisk) this.forget(e.location, e.record);
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

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
