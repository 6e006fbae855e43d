/**
 * The node's embedded database (LMDB): the values it holds, for others and its own, and the snapshot of its
 * routing table. Every write is a synchronous LMDB transaction committed before the call returns, so a value
 * the node acknowledged survives the process being killed (`kill -9`); the flush to the disk itself follows
 * in the background (LMDB's overlapping sync), so only an OS crash in that instant could lose it.
 * @module
 */
import { open, TransactionFlags } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import type { SnapshotEntry, ValueOrigin } from '../../communities/dht/index.js';
import { StateError } from '../errors.js';

/** One value as kept on disk. */
export interface PersistedValue {
  /** The 20-byte DHT key. */
  readonly key: Uint8Array;
  /** The value. */
  readonly data: Uint8Array;
  /** The publisher's public key binary (signed values). */
  readonly publicKey?: Uint8Array | undefined;
  /** The publisher's version (0 for unsigned values). */
  readonly version: number;
  /** The publisher's signature (signed values). */
  readonly signature?: Uint8Array | undefined;
  /** When it expires, in ms since the epoch. */
  readonly expiresAt: number;
  /** Why this node holds it. */
  readonly origin: ValueOrigin;
  /** Its identity within the key (`recordId`). */
  readonly id: string;
}

/** Flags of every write: committed before returning, flushed to disk right after. */
const WRITE_FLAGS = TransactionFlags.ABORTABLE | TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH;
const ROUTING_KEY = 'routing-table';
const SCHEMA_KEY = 'schema';
const SCHEMA_VERSION = 1;

/** The state database; one per state directory. */
export class StateDb {
  private closed = false;

  private constructor(
    private readonly root: RootDatabase,
    private readonly values: Database<PersistedValue, string>,
    private readonly meta: Database<unknown, string>,
  ) {}

  /**
   * Opens (or creates) the database file.
   * @param path the database file (LMDB also creates `<path>-lock`).
   * @throws {@link StateError} when it cannot be opened or was written by an incompatible version.
   */
  static open(path: string): StateDb {
    let root: RootDatabase;
    try {
      root = open({ path, noSubdir: true, maxDbs: 4, compression: false });
    } catch (cause) {
      throw new StateError(`cannot open the state database ${path}: ${(cause as Error).message}`, { cause });
    }
    const values = root.openDB<PersistedValue, string>({ name: 'values', encoding: 'msgpack' });
    const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' });
    const schema = meta.get(SCHEMA_KEY);
    if (schema === undefined) meta.putSync(SCHEMA_KEY, SCHEMA_VERSION);
    else if (schema !== SCHEMA_VERSION) {
      void root.close();
      throw new StateError(`the state database ${path} has schema ${String(schema)}; this peerlay reads ${SCHEMA_VERSION}`);
    }
    return new StateDb(root, values, meta);
  }

  /**
   * Replaces every value held under `keyHex` by `entries` in one transaction.
   * @param keyHex the DHT key, lowercase hex.
   * @param entries the values now held under it (none removes the key).
   */
  replaceKey(keyHex: string, entries: readonly PersistedValue[]): void {
    this.check();
    this.values.transactionSync(() => {
      for (const { key } of this.values.getRange({ start: `${keyHex}/`, end: `${keyHex}0` })) this.values.removeSync(key);
      for (const e of entries) this.values.putSync(`${keyHex}/${e.id}`, e);
    }, WRITE_FLAGS);
  }

  /** Every value on disk, expired or not, in key order. */
  *entries(): Generator<PersistedValue> {
    this.check();
    for (const { value } of this.values.getRange()) yield value;
  }

  /** Number of values on disk. */
  get size(): number {
    this.check();
    return this.values.getCount();
  }

  /**
   * Removes the values that expired.
   * @param now the current time in ms since the epoch.
   * @returns how many were removed.
   */
  sweep(now: number): number {
    this.check();
    const expired: string[] = [];
    for (const { key, value } of this.values.getRange()) if (!(value.expiresAt > now)) expired.push(key);
    if (expired.length > 0) this.values.transactionSync(() => expired.forEach((k) => this.values.removeSync(k)), WRITE_FLAGS);
    return expired.length;
  }

  /** Saves the routing table snapshot. */
  saveRoutingTable(snapshot: readonly SnapshotEntry[]): void {
    this.check();
    this.meta.transactionSync(() => this.meta.putSync(ROUTING_KEY, snapshot), WRITE_FLAGS);
  }

  /** The saved routing table snapshot (empty if none; its entries are validated when loaded). */
  loadRoutingTable(): unknown[] {
    this.check();
    const saved = this.meta.get(ROUTING_KEY);
    return Array.isArray(saved) ? saved : [];
  }

  /** Closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  private check(): void {
    if (this.closed) throw new StateError('the state database is closed');
  }
}
