/**
 * The node's state directory: `peer.key` (the private key, mode 0600, py-ipv8's format), `node.mdb`
 * (the LMDB database of values and the routing table snapshot) and `node.pid` (a lock, so two nodes never
 * share one directory).
 * @module
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivateKey } from '../../framework/index.js';
import { loadOrCreateKeyFile } from '../../framework/index.js';
import { NodeStartError } from '../errors.js';
import { StateDb } from './state-db.js';

/** Permission bits of the state directory: the owner only. */
export const STATE_DIR_MODE = 0o700;

/** An opened state directory. */
export interface OpenedState {
  /** The directory. */
  readonly dir: string;
  /** The node's key, loaded or created. */
  readonly key: PrivateKey;
  /** The database. */
  readonly db: StateDb;
  /** Closes the database and releases the lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens (creating as needed) a state directory: takes its lock, loads or creates the key, opens the database.
 * @param dir the directory.
 * @throws {@link NodeStartError} when another live process holds the lock, or the key or database is unusable.
 */
export async function openStateDir(dir: string): Promise<OpenedState> {
  try {
    mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
    chmodSync(dir, STATE_DIR_MODE);
  } catch (cause) {
    throw new NodeStartError(`cannot create the state directory ${dir}: ${(cause as Error).message}`, { cause });
  }
  const lock = join(dir, 'node.pid');
  takeLock(lock);
  let db: StateDb | undefined;
  try {
    const key = await loadOrCreateKeyFile(join(dir, 'peer.key'));
    db = StateDb.open(join(dir, 'node.mdb'));
    const opened = db;
    let closed = false;
    return {
      dir,
      key,
      db: opened,
      close: async () => {
        if (closed) return;
        closed = true;
        await opened.close();
        rmSync(lock, { force: true });
      },
    };
  } catch (cause) {
    await db?.close();
    rmSync(lock, { force: true });
    throw new NodeStartError(`cannot use the state directory ${dir}: ${(cause as Error).message}`, { cause });
  }
}

/** Creates the lock file with our pid; a lock left by a dead process (say, after `kill -9`) is taken over. */
function takeLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new NodeStartError(`cannot create the lock ${path}: ${(error as Error).message}`, { cause: error });
      }
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new NodeStartError(`another node (pid ${pid}) is using the state directory (${path})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new NodeStartError(`cannot take the lock ${path}`);
}

/** True if process `pid` runs (a zombie, killed but not yet reaped, does not count). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: the state is the field after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
