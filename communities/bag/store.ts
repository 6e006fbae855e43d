/**
 * What one node holds of the bag: verified, expiring records per key, with every cap enforced and
 * pages served in ascending entry-id order so a cursor (the last id seen) returns every record once.
 * @module
 */
import type { PublicKeyCache } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import type { BagVerdict } from './messages.js';
import type { BagRecord } from './record.js';
import { checkBagRecord, entryId, isWellFormedBagRecord, publisherHex, sameBagRecord } from './record.js';

/** Limits of a {@link BagStore}. */
export interface BagStoreLimits {
  /** Largest value, in bytes. */
  readonly maxValueBytes: number;
  /** Most records (entries and tombstones) under one key. */
  readonly maxEntriesPerKey: number;
  /** Most records of one publisher under one key. */
  readonly maxEntriesPerPublisher: number;
  /** Most keys held. */
  readonly maxKeys: number;
  /** Most records held over all keys. */
  readonly maxEntries: number;
  /** Longest accepted lifetime (`expiresAt - now`), in ms. */
  readonly maxTtlMs: number;
  /** Tolerated clock difference with publishers, added to `maxTtlMs`, in ms. */
  readonly clockSkewMs: number;
}

/** A record as held. */
export interface HeldBagRecord {
  /** The signed record. */
  record: BagRecord;
  /** Its entry id (32 bytes) and hex. */
  readonly id: Uint8Array;
  /** Hex of {@link HeldBagRecord.id}; hex order is byte order. */
  readonly idHex: string;
  /** Hex of the publisher's mid. */
  readonly publisher: string;
  /** Last time this node replicated it, or received it from another node. */
  replicatedAt: number;
}

/** A page of held records, as {@link BagStore.page} returns it. */
export interface HeldPage {
  /** Live records after the cursor, ascending by entry id. */
  readonly records: HeldBagRecord[];
  /** Live records the key holds in all. */
  readonly total: number;
}

interface KeySlot {
  readonly key: Uint8Array;
  readonly records: Map<string, HeldBagRecord>;
  readonly perPublisher: Map<string, number>;
  sorted: HeldBagRecord[] | undefined;
}

/** The bag records one node stores for others. */
export class BagStore {
  private readonly slots = new Map<string, KeySlot>();
  private count = 0;

  /** @param limits caps (see {@link BagStoreLimits}). @param keys parsed public keys. */
  constructor(
    private readonly limits: BagStoreLimits,
    private readonly keys: PublicKeyCache,
  ) {}

  /** Records held over all keys (live and not yet swept). */
  get size(): number {
    return this.count;
  }

  /** Keys held. */
  get keyCount(): number {
    return this.slots.size;
  }

  /**
   * Verifies and stores one record.
   * @returns the verdict (a value; nothing is thrown).
   */
  put(record: BagRecord, now: number): BagVerdict {
    const l = this.limits;
    if (!isWellFormedBagRecord(record)) return 'invalid';
    if (record.value.length > l.maxValueBytes) return 'too-large';
    if (record.expiresAt <= now) return 'expired';
    if (record.expiresAt > now + l.maxTtlMs + l.clockSkewMs) return 'bad-ttl';
    const id = entryId(record.publicKey, record.value);
    const idHex = toHex(id);
    const keyHex = toHex(record.key);
    let slot = this.slots.get(keyHex);
    const held = slot?.records.get(idHex);
    if (held !== undefined && held.record.expiresAt > now) {
      if (sameBagRecord(held.record, record)) return 'refreshed';
      if (record.version <= held.record.version) return 'stale';
    }
    const check = checkBagRecord(record, this.keys);
    if (check !== 'valid') return check;
    if (held !== undefined) {
      const wasLive = held.record.expiresAt > now;
      held.record = record;
      slot!.sorted = undefined;
      return record.removed ? 'removed' : wasLive ? 'refreshed' : 'stored';
    }
    if (slot === undefined) {
      if (this.slots.size >= l.maxKeys) this.sweep(now);
      if (this.slots.size >= l.maxKeys) return 'store-full';
    }
    if (this.count >= l.maxEntries) this.sweep(now);
    if (this.count >= l.maxEntries) return 'store-full';
    slot ??= { key: Uint8Array.from(record.key), records: new Map(), perPublisher: new Map(), sorted: undefined };
    if (slot.records.size >= l.maxEntriesPerKey) {
      this.sweepSlot(keyHex, slot, now);
      if (slot.records.size >= l.maxEntriesPerKey) return 'key-full';
    }
    const publisher = publisherHex(record);
    if ((slot.perPublisher.get(publisher) ?? 0) >= l.maxEntriesPerPublisher) return 'publisher-full';
    this.slots.set(keyHex, slot);
    slot.records.set(idHex, { record, id, idHex, publisher, replicatedAt: now });
    slot.perPublisher.set(publisher, (slot.perPublisher.get(publisher) ?? 0) + 1);
    slot.sorted = undefined;
    this.count++;
    return record.removed ? 'removed' : 'stored';
  }

  /**
   * Live records (entries and tombstones) under `key` with an id above `after`, ascending by id.
   * @returns the records and how many live records the key holds in all.
   */
  page(key: Uint8Array, after: Uint8Array | undefined, now: number): HeldPage {
    const slot = this.slots.get(toHex(key));
    if (slot === undefined) return { records: [], total: 0 };
    slot.sorted ??= [...slot.records.values()].sort((a, b) => (a.idHex < b.idHex ? -1 : a.idHex > b.idHex ? 1 : 0));
    const afterHex = after === undefined ? '' : toHex(after);
    const live = slot.sorted.filter((h) => h.record.expiresAt > now);
    return { records: live.filter((h) => h.idHex > afterHex), total: live.length };
  }

  /** The held record with entry id `idHex` under `key`, if live. */
  get(key: Uint8Array, idHex: string, now: number): HeldBagRecord | undefined {
    const held = this.slots.get(toHex(key))?.records.get(idHex);
    return held !== undefined && held.record.expiresAt > now ? held : undefined;
  }

  /** Marks a record as just replicated (or received from another node). */
  touch(key: Uint8Array, idHex: string, now: number): void {
    const held = this.slots.get(toHex(key))?.records.get(idHex);
    if (held !== undefined) held.replicatedAt = now;
  }

  /** Live records not replicated for `intervalMs`, grouped by key. */
  dueForReplication(now: number, intervalMs: number): Array<{ key: Uint8Array; records: HeldBagRecord[] }> {
    const out: Array<{ key: Uint8Array; records: HeldBagRecord[] }> = [];
    for (const slot of this.slots.values()) {
      const due = [...slot.records.values()].filter((h) => h.record.expiresAt > now && now - h.replicatedAt >= intervalMs);
      if (due.length > 0) out.push({ key: slot.key, records: due });
    }
    return out;
  }

  /** Drops every expired record. @returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [keyHex, slot] of this.slots) removed += this.sweepSlot(keyHex, slot, now);
    return removed;
  }

  /** Forgets everything. */
  clear(): void {
    this.slots.clear();
    this.count = 0;
  }

  /**
   * Puts a record without any check. For tests and diagnostics only (e.g. to simulate a lying storer).
   * @internal
   */
  insertUnverified(record: BagRecord, now: number): void {
    const id = entryId(record.publicKey, record.value);
    const keyHex = toHex(record.key);
    const slot = this.slots.get(keyHex) ?? { key: record.key, records: new Map(), perPublisher: new Map(), sorted: undefined };
    this.slots.set(keyHex, slot);
    if (!slot.records.has(toHex(id))) this.count++;
    slot.records.set(toHex(id), { record, id, idHex: toHex(id), publisher: publisherHex(record), replicatedAt: now });
    slot.sorted = undefined;
  }

  private sweepSlot(keyHex: string, slot: KeySlot, now: number): number {
    let removed = 0;
    for (const [idHex, held] of slot.records) {
      if (held.record.expiresAt > now) continue;
      slot.records.delete(idHex);
      const n = (slot.perPublisher.get(held.publisher) ?? 1) - 1;
      if (n <= 0) slot.perPublisher.delete(held.publisher);
      else slot.perPublisher.set(held.publisher, n);
      removed++;
    }
    if (removed > 0) slot.sorted = undefined;
    if (slot.records.size === 0) this.slots.delete(keyHex);
    this.count -= removed;
    return removed;
  }
}
