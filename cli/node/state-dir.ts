/**
 * The node's state directory: `peer.key` (the private key, mode 0600, py-ipv8's format), `node.mdb`
 * (the LMDB database of records and the routing table snapshot) and `node.pid` (a lock, so two nodes never
 * share one directory; taken atomically, and taken over only when its writer is gone: see `state-lock.ts`).
 *
 * Opening it never starts a node on a damaged database nor on one that belongs to another identity: the
 * database is checked first ({@link StateDb.verify}), and a damaged one is refused with a
 * {@link DamagedStateError}, or, when asked to recover, moved aside for a fresh one.
 * @module
 */
import { chmodSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivateKey } from '../../framework/index.js';
import { loadOrCreateKeyFile } from '../../framework/index.js';
import { DamagedStateError, NodeStartError, StateError } from '../errors.js';
import { StateDb } from './state-db.js';
import { LOCK_FILE, takeLock } from './state-lock.js';

/** Permission bits of the state directory: the owner only. */
export const STATE_DIR_MODE = 0o700;
/** The key file's name in the state directory. */
export const KEY_FILE = 'peer.key';
/** The database file's name in the state directory (LMDB adds `node.mdb-lock`). */
export const DATABASE_FILE = 'node.mdb';

/** Options of {@link openStateDir}. */
export interface OpenStateOptions {
  /**
   * Move a damaged database (or one left without its `peer.key`) aside, to `node.mdb.damaged-<timestamp>`,
   * and start with an empty one; `peer.key` is kept. Without it such a directory is refused.
   * @default false
   */
  readonly recover?: boolean;
  /** How long the database's integrity check may run, in ms. @default INTEGRITY_CHECK_TIMEOUT_MS */
  readonly checkTimeoutMs?: number;
}

/** What {@link openStateDir} moved aside to recover. */
export interface RecoveryReport {
  /** Where the database went (its lock file, if any, went to `<movedTo>-lock`). */
  readonly movedTo: string;
  /** Why it was moved: what was wrong with it. */
  readonly reason: string;
}

/** An opened state directory. */
export interface OpenedState {
  /** The directory. */
  readonly dir: string;
  /** The node's key, loaded or created. */
  readonly key: PrivateKey;
  /** The database. */
  readonly db: StateDb;
  /** Set when a database was moved aside (only with {@link OpenStateOptions.recover}); print it. */
  readonly recovered?: RecoveryReport | undefined;
  /**
   * Things the operator should fix or know, e.g. a key file others can read, or a lock taken over from a
   * process that could not be checked; print them.
   */
  readonly warnings: readonly string[];
  /** Closes the database and releases the lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens (creating as needed) a state directory: takes its lock (taking over one whose writer is gone: not
 * running, or its pid now another process's), loads or creates the key, checks the database and opens it.
 * @param dir the directory.
 * @param options whether to recover from a damaged database.
 * @throws {@link DamagedStateError} when the database is damaged and `recover` is not set.
 * @throws {@link NodeStartError} when another live process holds the lock (naming its pid), the key or
 *   database is unusable, or `peer.key` is missing next to an existing database and `recover` is not set.
 * @example
 * ```ts
 * const state = await openStateDir('./state', { recover: true });
 * if (state.recovered) console.error(`moved the damaged database to ${state.recovered.movedTo}: ${state.recovered.reason}`);
 * ```
 */
export async function openStateDir(dir: string, options: OpenStateOptions = {}): Promise<OpenedState> {
  try {
    mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
    chmodSync(dir, STATE_DIR_MODE);
  } catch (cause) {
    throw new NodeStartError(`cannot create the state directory ${dir}: ${(cause as Error).message}`, { cause });
  }
  const lock = takeLock(join(dir, LOCK_FILE));
  let db: StateDb | undefined;
  try {
    const keyPath = join(dir, KEY_FILE);
    const dbPath = join(dir, DATABASE_FILE);
    let recovered: RecoveryReport | undefined;
    if (!existsSync(keyPath) && existsSync(dbPath)) {
      const reason = `${KEY_FILE} is missing, so ${DATABASE_FILE} belongs to an identity whose key is gone`;
      if (options.recover !== true) {
        throw new NodeStartError(
          `${reason} (${dbPath}); restore ${keyPath}, or start with --recover-state to move the database aside ` +
            'and start a new identity with an empty one',
        );
      }
      recovered = moveAside(dbPath, reason);
    }
    const key = await loadOrCreateKeyFile(keyPath);
    const warnings = [...lock.warnings, ...keyWarnings(keyPath)];
    try {
      await StateDb.verify(dbPath, { timeoutMs: options.checkTimeoutMs });
    } catch (error) {
      if (!(error instanceof DamagedStateError) || options.recover !== true) throw error;
      recovered = moveAside(dbPath, error.reason);
    }
    db = StateDb.open(dbPath);
    const opened = db;
    let closed = false;
    return {
      dir,
      key,
      db: opened,
      recovered,
      warnings,
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await opened.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (cause) {
    try {
      await db?.close();
    } finally {
      lock.release();
    }
    if (cause instanceof NodeStartError || cause instanceof DamagedStateError) throw cause;
    throw new NodeStartError(`cannot use the state directory ${dir}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Renames a database (and its LMDB lock file) to `<path>.damaged-<timestamp>`, never over an existing file.
 * @throws {@link StateError} when it cannot be renamed.
 */
function moveAside(path: string, reason: string): RecoveryReport {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let movedTo = `${path}.damaged-${stamp}`;
  for (let n = 1; existsSync(movedTo) || existsSync(`${movedTo}-lock`); n++) movedTo = `${path}.damaged-${stamp}-${n}`;
  try {
    renameSync(path, movedTo);
    if (existsSync(`${path}-lock`)) renameSync(`${path}-lock`, `${movedTo}-lock`);
  } catch (cause) {
    throw new StateError(`cannot move the state database ${path} aside: ${(cause as Error).message}`, { cause });
  }
  return { movedTo, reason };
}

/** A warning when the key file is open to group or others (POSIX permissions only). */
function keyWarnings(keyPath: string): string[] {
  if (process.platform === 'win32') return [];
  const mode = statSync(keyPath).mode & 0o777;
  if ((mode & 0o077) === 0) return [];
  const octal = mode.toString(8).padStart(4, '0');
  return [`${keyPath} is accessible to group or others (mode ${octal}); anyone who reads it can act as this node: chmod 600 ${keyPath}`];
}
