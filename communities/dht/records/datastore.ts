/**
 * Where the record engine keeps what it holds beyond the process: an injected datastore. The engine writes
 * every record it accepts before it acknowledges it, deletes what it drops, and reads everything back at
 * start. {@link MemoryDatastore} keeps nothing across processes (the default); the CLI node gives an LMDB one.
 * @module
 */

/** Why a node holds a record: asked to store it, cached along a lookup path, or published by this node. */
export type RecordOrigin = 'store' | 'cache' | 'local';

/** One record as a datastore keeps it. */
export interface PersistedRecord {
  /** The 20-byte location the record lives at. */
  readonly location: Uint8Array;
  /** The record, encoded by its policy's wire schema (without a lifetime). */
  readonly record: Uint8Array;
  /** When it expires, in ms since the epoch. */
  readonly expiresAt: number;
  /** Why this node holds it. */
  readonly origin: RecordOrigin;
}

/**
 * The engine's persistence port. `type` is the record type's name (`value`, `bag`, `namespace`, ...); `id`
 * is `locationHex/recordIdHex`, unique within the type. Writes must be durable when they return (the engine
 * acknowledges a record only after `put` returned). A method may throw: the engine then refuses the record
 * (verdict `unavailable`) rather than acknowledge what it could not keep.
 */
export interface RecordDatastore {
  /** Stores (or replaces) one record. */
  put(type: string, id: string, entry: PersistedRecord): void;
  /** Removes one record; removing an absent one is a no-op. */
  delete(type: string, id: string): void;
  /** Every record of `type` held, expired or not, in any order. */
  entries(type: string): Iterable<PersistedRecord>;
}

/** A datastore in memory: what a node keeps only while its process runs. */
export class MemoryDatastore implements RecordDatastore {
  private readonly types = new Map<string, Map<string, PersistedRecord>>();

  /** @inheritDoc */
  put(type: string, id: string, entry: PersistedRecord): void {
    let map = this.types.get(type);
    if (map === undefined) this.types.set(type, (map = new Map()));
    map.set(id, entry);
  }

  /** @inheritDoc */
  delete(type: string, id: string): void {
    this.types.get(type)?.delete(id);
  }

  /** @inheritDoc */
  entries(type: string): Iterable<PersistedRecord> {
    return [...(this.types.get(type)?.values() ?? [])];
  }

  /** Records held of `type`. */
  size(type: string): number {
    return this.types.get(type)?.size ?? 0;
  }
}
