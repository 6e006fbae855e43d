/**
 * The node's embedded database (LMDB): the records the node holds, for others and its own, of every record
 * type, and the snapshot of its routing table. Every write is a synchronous LMDB transaction committed
 * before the call returns, so a record the node acknowledged survives the process being killed (`kill -9`);
 * the flush to the disk itself follows in the background (LMDB's overlapping sync), so only an OS crash in
 * that instant could lose it.
 *
 * A damaged file is refused before LMDB maps it (`state-check.ts`): {@link StateDb.open} checks the file's
 * pages with plain reads, and {@link StateDb.verify} adds a full read through LMDB in a child process.
 * @module
 */
import { resolve } from 'node:path';
import { open, TransactionFlags } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import type { SnapshotEntry } from '../../communities/dht/index.js';
import type { PersistedRecord, RecordDatastore, RecordOrigin } from '../../communities/dht/records/datastore.js';
import { InvalidArgumentError } from '../../framework/errors.js';
import { StateError } from '../errors.js';
import { checkDatabaseFile } from './state-check.js';
import { checkDatabaseEntries, INTEGRITY_CHECK_TIMEOUT_MS } from './state-check-child.js';

/**
 * One DHT value as schema 1 kept it (the `values` sub-database), before the record engine. Read back
 * through {@link StateDb.legacyValues} so the node can import it into the engine.
 */
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
  readonly origin: RecordOrigin;
  /** Its identity within the key (`recordId`). */
  readonly id: string;
}

/** What {@link StateDb.verify} found in an intact database. */
export interface VerifyReport {
  /** False when there was no file yet (nothing to check). */
  readonly existed: boolean;
  /** Records read, of every type. */
  readonly records: number;
  /** Schema 1 values read. */
  readonly legacyValues: number;
  /** How long the check took, in ms (child process included). */
  readonly ms: number;
}

/** Options of {@link StateDb.verify}. */
export interface VerifyOptions {
  /** How long the check may run, in ms. @default INTEGRITY_CHECK_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/** The schema this code writes: records of every type in `records`. Schema 1 had DHT values only. */
export const STATE_SCHEMA_VERSION = 2;
/** Flags of every write: committed before returning, flushed to disk right after. */
const WRITE_FLAGS = TransactionFlags.ABORTABLE | TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH;
const LEGACY_SCHEMA_VERSION = 1;
const ROUTING_KEY = 'routing-table';
const SCHEMA_KEY = 'schema';
const RECORD_TYPE = /^[a-z][a-z0-9-]{0,31}$/;
const ORIGINS: ReadonlySet<string> = new Set<RecordOrigin>(['store', 'cache', 'local']);
const OPEN_OPTIONS = { noSubdir: true, maxDbs: 4, compression: false } as const;

/** A record as its msgpack value on disk (the key holds type and id). */
interface StoredRecord {
  readonly location: Uint8Array;
  readonly record: Uint8Array;
  readonly expiresAt: number;
  readonly origin: RecordOrigin;
}

/**
 * The state database; one per state directory. It is the record engine's {@link RecordDatastore}: records
 * live in one sub-database keyed `type/id`, so the records of one type are one range.
 * @example
 * ```ts
 * await StateDb.verify(path); // throws DamagedStateError rather than let LMDB crash on a damaged file
 * const db = StateDb.open(path);
 * db.put('value', `${locationHex}/${idHex}`, { location, record, expiresAt, origin: 'store' });
 * for (const entry of db.entries('value')) restore(entry);
 * ```
 */
export class StateDb implements RecordDatastore {
  private closed = false;

  private constructor(
    private readonly root: RootDatabase,
    private readonly records: Database<StoredRecord, string>,
    private readonly values: Database<PersistedValue, string>,
    private readonly meta: Database<unknown, string>,
    private schemaVersion: number,
  ) {}

  /**
   * Opens (or creates) the database file. It checks the file's meta pages first ({@link checkDatabaseFile});
   * run {@link StateDb.verify} before it to check every page.
   * @param path the database file (LMDB also creates `<path>-lock`).
   * @throws {@link DamagedStateError} when the file is empty or truncated, or its meta pages are damaged.
   * @throws {@link StateError} when it cannot be opened or was written by an incompatible version.
   */
  static open(path: string): StateDb {
    checkDatabaseFile(path);
    let root: RootDatabase;
    try {
      root = open({ path, ...OPEN_OPTIONS });
    } catch (cause) {
      throw new StateError(`cannot open the state database ${path}: ${(cause as Error).message}`, { cause });
    }
    const records = root.openDB<StoredRecord, string>({ name: 'records', encoding: 'msgpack' });
    const values = root.openDB<PersistedValue, string>({ name: 'values', encoding: 'msgpack' });
    const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' });
    const schema = meta.get(SCHEMA_KEY);
    if (schema === undefined) meta.transactionSync(() => meta.putSync(SCHEMA_KEY, STATE_SCHEMA_VERSION), WRITE_FLAGS);
    else if (schema !== STATE_SCHEMA_VERSION && schema !== LEGACY_SCHEMA_VERSION) {
      void root.close();
      const known = `${LEGACY_SCHEMA_VERSION} and ${STATE_SCHEMA_VERSION}`;
      throw new StateError(`the state database ${path} has schema ${String(schema)}; this peerlay reads ${known}`);
    }
    return new StateDb(root, records, values, meta, typeof schema === 'number' ? schema : STATE_SCHEMA_VERSION);
  }

  /**
   * Checks a database file before it is opened, reading every entry of every sub-database in a child
   * process: a damaged page can crash LMDB natively (SIGSEGV, SIGBUS, an assertion), which no `try` catches,
   * so the crash happens there and is reported here. It runs {@link checkDatabaseFile} first. Cost, measured
   * on a busy 2-CPU machine: 0.12 to 0.17 s for an empty file (starting `node`, loading lmdb), 0.24 to 0.3 s
   * for 10,000 records (3 MB), 0.55 to 0.8 s for 100,000 (32 MB).
   * @param path the database file; a missing file passes (a fresh database will be created).
   * @param options how long the check may run.
   * @returns what was read.
   * @throws {@link DamagedStateError} when the file is empty, truncated, or its pages or entries are damaged.
   * @throws {@link StateError} when the check cannot run or does not finish in time.
   */
  static async verify(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    const started = performance.now();
    if (checkDatabaseFile(path) === undefined) return { existed: false, records: 0, legacyValues: 0, ms: 0 };
    const outcome = await checkDatabaseEntries(resolve(path), options.timeoutMs ?? INTEGRITY_CHECK_TIMEOUT_MS);
    return { existed: true, ...outcome, ms: Math.round(performance.now() - started) };
  }

  /** The schema version of the file: {@link STATE_SCHEMA_VERSION}, or 1 until {@link dropLegacyValues}. */
  get schema(): number {
    return this.schemaVersion;
  }

  /**
   * Stores (or replaces) one record, committed before returning.
   * @param type the record type's name: lowercase letters, digits and `-`, at most 32.
   * @param id the record's id within the type (the engine's `locationHex/recordIdHex`).
   * @param entry the record.
   * @throws {@link InvalidArgumentError} when a field is malformed.
   * @throws {@link StateError} when closed; LMDB's error when the write fails.
   */
  put(type: string, id: string, entry: PersistedRecord): void {
    this.check();
    const key = recordKey(type, id);
    const stored = toStored(entry);
    this.records.transactionSync(() => this.records.putSync(key, stored), WRITE_FLAGS);
  }

  /**
   * Removes one record, committed before returning; removing an absent one is a no-op.
   * @param type the record type's name.
   * @param id the record's id within the type.
   */
  delete(type: string, id: string): void {
    this.check();
    const key = recordKey(type, id);
    this.records.transactionSync(() => this.records.removeSync(key), WRITE_FLAGS);
  }

  /**
   * Every record of `type`, expired or not, in id order (another type's never appear). Iterates a snapshot:
   * writes while iterating are safe and not seen. Byte fields are plain `Uint8Array`s.
   * @param type the record type's name.
   * @throws {@link StateError} when an entry on disk is malformed.
   */
  *entries(type: string): Generator<PersistedRecord> {
    this.check();
    const prefix = typePrefix(type);
    for (const { key, value } of this.records.getRange({ start: prefix, end: prefixEnd(prefix) })) yield fromStored(key, value);
  }

  /**
   * Records held of one type.
   * @param type the record type's name.
   */
  count(type: string): number {
    this.check();
    const prefix = typePrefix(type);
    return this.records.getCount({ start: prefix, end: prefixEnd(prefix) });
  }

  /** Records on disk, of every type, plus the schema 1 values not yet dropped. */
  get size(): number {
    this.check();
    return this.records.getCount() + this.values.getCount();
  }

  /**
   * Removes the records (and schema 1 values) that expired, in one transaction.
   * @param now the current time in ms since the epoch.
   * @returns how many were removed.
   */
  sweep(now: number): number {
    this.check();
    const expired: string[] = [];
    for (const { key, value } of this.records.getRange()) if (!(value.expiresAt > now)) expired.push(key);
    const expiredValues: string[] = [];
    for (const { key, value } of this.values.getRange()) if (!(value.expiresAt > now)) expiredValues.push(key);
    if (expired.length + expiredValues.length > 0) {
      this.root.transactionSync(() => {
        for (const key of expired) this.records.removeSync(key);
        for (const key of expiredValues) this.values.removeSync(key);
      }, WRITE_FLAGS);
    }
    return expired.length + expiredValues.length;
  }

  /**
   * The DHT values kept by schema 1, expired or not, in key order, so the node can import them into the
   * engine. Byte fields are plain `Uint8Array`s.
   */
  *legacyValues(): Generator<PersistedValue> {
    this.check();
    for (const { value } of this.values.getRange()) yield fromLegacy(value);
  }

  /**
   * Removes every schema 1 value and marks the file schema {@link STATE_SCHEMA_VERSION}, in one
   * transaction. Call once the values from {@link legacyValues} were imported into the engine.
   * @returns how many values were removed.
   */
  dropLegacyValues(): number {
    this.check();
    const keys = [...this.values.getKeys()];
    this.root.transactionSync(() => {
      for (const key of keys) this.values.removeSync(key);
      this.meta.putSync(SCHEMA_KEY, STATE_SCHEMA_VERSION);
    }, WRITE_FLAGS);
    this.schemaVersion = STATE_SCHEMA_VERSION;
    return keys.length;
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

function typePrefix(type: string): string {
  if (!RECORD_TYPE.test(type)) throw new InvalidArgumentError(`record type ${JSON.stringify(type)} must match ${RECORD_TYPE.source}`);
  return `${type}/`;
}

/** The first key after every key starting with `prefix` (which ends with `/`; `0` follows it). */
function prefixEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}0`;
}

function recordKey(type: string, id: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('record id must be a non-empty string');
  return typePrefix(type) + id;
}

function toStored(entry: PersistedRecord): StoredRecord {
  const { location, record, expiresAt, origin } = entry;
  if (!(location instanceof Uint8Array)) throw new InvalidArgumentError('record location must be a Uint8Array');
  if (!(record instanceof Uint8Array)) throw new InvalidArgumentError('record bytes must be a Uint8Array');
  if (!Number.isFinite(expiresAt)) throw new InvalidArgumentError(`record expiresAt must be a finite number, got ${String(expiresAt)}`);
  if (!ORIGINS.has(origin)) throw new InvalidArgumentError(`record origin must be store, cache or local, got ${String(origin)}`);
  return { location, record, expiresAt, origin };
}

function fromStored(key: string, value: StoredRecord): PersistedRecord {
  const { location, record, expiresAt, origin } = (value ?? {}) as Partial<StoredRecord>;
  if (!(location instanceof Uint8Array) || !(record instanceof Uint8Array) || typeof expiresAt !== 'number' || !ORIGINS.has(origin as string)) {
    throw new StateError(`the state database holds a malformed record under ${key}`);
  }
  return { location: new Uint8Array(location), record: new Uint8Array(record), expiresAt, origin: origin as RecordOrigin };
}

function fromLegacy(v: PersistedValue): PersistedValue {
  const copy = (b: Uint8Array | null | undefined): Uint8Array | undefined => (b == null ? undefined : new Uint8Array(b));
  return { ...v, key: new Uint8Array(v.key), data: new Uint8Array(v.data), publicKey: copy(v.publicKey), signature: copy(v.signature) };
}
