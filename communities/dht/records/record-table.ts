/**
 * The table of held records behind a {@link RecordStore}: records by location and id, counts per location
 * class and per IP group, totals, the per-source and per-group accounts, and the views (pages, locations,
 * what is due for replication). It enforces nothing; the store decides what goes in. Internal.
 * @module
 */
import { toHex } from '../../../framework/index.js';
import type { RecordOrigin } from './datastore.js';
import { QuotaBook } from './quotas.js';

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

/** A held record with its bookkeeping. */
export interface Entry<R> {
  /** Its id within the location, in hex. */
  idHex: string;
  /** The record. */
  record: R;
  /** Its location. */
  location: Uint8Array;
  /** When it expires, in ms since the epoch. */
  expiresAt: number;
  /** When this version was first stored. */
  storedAt: number;
  /** Why the node holds it. */
  origin: RecordOrigin;
  /** When it was last replicated, or received from another node. */
  replicatedAt: number;
  /** Its size as the policy counts it. */
  bytes: number;
  /** Its class for the per-location caps. */
  cls: string;
  /** Its publisher's mid in hex, if it names one. */
  publisherHex: string | undefined;
  /** The source address it is charged to (`undefined`: uncharged). */
  source: string | undefined;
  /** The IP group it is charged to. */
  group: string | undefined;
}

/** The records held at one location. */
export interface Slot<R> {
  /** The location. */
  readonly location: Uint8Array;
  /** Its records by id hex. */
  readonly entries: Map<string, Entry<R>>;
  /** Records per class. */
  readonly perClass: Map<string, number>;
  /** Records per IP group. */
  readonly perGroup: Map<string, number>;
  /** Records per IP group and class, keyed by {@link groupClassKey}. */
  readonly perGroupClass: Map<string, number>;
  /** The entries in id order, rebuilt after a change. */
  sorted: Entry<R>[] | undefined;
}

/** @returns a caller's copy of an entry's fields. */
export function snapshot<R>(e: Entry<R>): HeldRecord<R> {
  return { record: e.record, location: e.location, idHex: e.idHex, expiresAt: e.expiresAt, storedAt: e.storedAt, origin: e.origin, replicatedAt: e.replicatedAt };
}

/** Records by location, with their counts and accounts. */
export class RecordTable<R> {
  /** Slots by location hex. */
  readonly slots = new Map<string, Slot<R>>();
  /** Records and bytes charged to each source address. */
  readonly sources: QuotaBook;
  /** Records and bytes charged to each IP group. */
  readonly groups: QuotaBook;
  /** Records held for others (not `local`). */
  charged = 0;
  /** Records held. */
  total = 0;
  /** Their sizes summed. */
  bytes = 0;
  /** A lower bound of every held record's expiry: no sweep is needed before it. */
  earliestExpiry = Number.POSITIVE_INFINITY;

  /** @param sources the per-source account caps. @param groups the per-group account caps. */
  constructor(sources: QuotaBook, groups: QuotaBook) {
    this.sources = sources;
    this.groups = groups;
  }

  /** The slot of `location` (hex `hex`), made when missing. */
  slotFor(hex: string, location: Uint8Array): Slot<R> {
    let slot = this.slots.get(hex);
    if (slot === undefined) {
      slot = { location: Uint8Array.from(location), entries: new Map(), perClass: new Map(), perGroup: new Map(), perGroupClass: new Map(), sorted: undefined };
      this.slots.set(hex, slot);
    }
    return slot;
  }

  /** Adds `e` to `slot`, its counts and its accounts. */
  insert(slot: Slot<R>, e: Entry<R>): void {
    slot.entries.set(e.idHex, e);
    slot.sorted = undefined;
    slot.perClass.set(e.cls, (slot.perClass.get(e.cls) ?? 0) + 1);
    if (e.group !== undefined) slot.perGroup.set(e.group, (slot.perGroup.get(e.group) ?? 0) + 1);
    if (e.group !== undefined) slot.perGroupClass.set(groupClassKey(e.group, e.cls), (slot.perGroupClass.get(groupClassKey(e.group, e.cls)) ?? 0) + 1);
    if (e.source !== undefined) this.sources.charge(e.source, e);
    if (e.group !== undefined) this.groups.charge(e.group, e);
    if (e.origin !== 'local') this.charged++;
    this.total++;
    this.bytes += e.bytes;
    this.earliestExpiry = Math.min(this.earliestExpiry, e.expiresAt);
  }

  /** Takes `e` out of `slot` (and the slot out of the table when it empties). @returns false if it was not there. */
  detach(slot: Slot<R>, e: Entry<R>): boolean {
    if (slot.entries.get(e.idHex) !== e) return false;
    slot.entries.delete(e.idHex);
    slot.sorted = undefined;
    decrement(slot.perClass, e.cls);
    if (e.group !== undefined) decrement(slot.perGroup, e.group);
    if (e.group !== undefined) decrement(slot.perGroupClass, groupClassKey(e.group, e.cls));
    if (e.source !== undefined) this.sources.release(e.source, e);
    if (e.group !== undefined) this.groups.release(e.group, e);
    if (e.origin !== 'local') this.charged--;
    this.total--;
    this.bytes -= e.bytes;
    if (slot.entries.size === 0) this.slots.delete(toHex(slot.location));
    return true;
  }

  /** Live records at `location` after `after` (of one publisher, when given), ascending by id. */
  page(location: Uint8Array, after: string | undefined, publisherHex: string | undefined, now: number): HeldPage<R> {
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

  /** Locations with a live record, ascending. */
  locations(now: number): Uint8Array[] {
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

  /** Live `store` and `local` records not replicated for `intervalMs`, by location, ascending. */
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

  /** Marks records of `location` as replicated at `now`. */
  markReplicated(location: Uint8Array, idHexes: Iterable<string>, now: number): void {
    const slot = this.slots.get(toHex(location));
    if (slot === undefined) return;
    for (const id of idHexes) {
      const e = slot.entries.get(id);
      if (e !== undefined) e.replicatedAt = now;
    }
  }
}

/** The key of an (IP group, class) pair in {@link Slot.perGroupClass}. */
export function groupClassKey(group: string, cls: string): string {
  return `${group}\u0000${cls}`;
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
