/**
 * Who made a node hold what: records and bytes charged to each source (the sender's address) and to each
 * source group (its /24 or /48), with a cap on each. Internal to the record store.
 * @module
 */

/** Records and bytes one source or group holds. */
export interface Usage {
  /** Records charged. */
  readonly records: number;
  /** Their sizes summed, in bytes. */
  readonly bytes: number;
}

/** Anything that can be charged: a held record with its size. */
export interface Chargeable {
  /** Its size in bytes. */
  readonly bytes: number;
}

interface Account {
  readonly items: Set<Chargeable>;
  bytes: number;
}

/** Charges per key (a source, or a group), with caps on records and bytes. */
export class QuotaBook {
  private readonly accounts = new Map<string, Account>();

  /** @param maxRecords most records one key may hold. @param maxBytes most bytes one key may hold. */
  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
  ) {}

  /** Keys holding at least one record. */
  get size(): number {
    return this.accounts.size;
  }

  /** @returns what `key` holds (zeros for an unknown key). */
  of(key: string): Usage {
    const a = this.accounts.get(key);
    return { records: a?.items.size ?? 0, bytes: a?.bytes ?? 0 };
  }

  /** @returns true if `key` may hold `records` more records and `bytes` more bytes. */
  fits(key: string, records: number, bytes: number): boolean {
    const u = this.of(key);
    return u.records + records <= this.maxRecords && u.bytes + bytes <= this.maxBytes;
  }

  /** @returns the items charged to `key` (a copy, safe to release while iterating). */
  itemsOf(key: string): Chargeable[] {
    return [...(this.accounts.get(key)?.items ?? [])];
  }

  /** Charges `item` to `key` (once). */
  charge(key: string, item: Chargeable): void {
    let a = this.accounts.get(key);
    if (a === undefined) this.accounts.set(key, (a = { items: new Set(), bytes: 0 }));
    if (a.items.has(item)) return;
    a.items.add(item);
    a.bytes += item.bytes;
  }

  /** Releases `item` from `key`. */
  release(key: string, item: Chargeable): void {
    const a = this.accounts.get(key);
    if (a === undefined || !a.items.delete(item)) return;
    a.bytes -= item.bytes;
    if (a.items.size === 0) this.accounts.delete(key);
  }
}
