/**
 * The state directory's lock, `node.pid`: one node per directory, taken atomically, and a lock left by a node
 * that is gone (killed, crashed, or from before a reboot) taken over without help.
 *
 * **Taking it.** The lock's whole text is written to a private temporary file first and then hard-linked to
 * `node.pid`: `link(2)` fails with `EEXIST` when the name exists, so of several processes starting together
 * exactly one gets it, and nobody ever reads a half-written lock. (Where the file system has no hard links,
 * `open(O_CREAT|O_EXCL)` is used instead; a lock read while still empty is then refused, never taken over.)
 *
 * **What it says.** Line one is the pid (so `kill $(head -1 node.pid)` works); then `key=value` lines: on
 * Linux the boot (`/proc/sys/kernel/random/boot_id`), the writer's start time (field 22 of
 * `/proc/self/stat`, clock ticks since boot) and its pid namespace (`/proc/self/ns/pid`); everywhere a random
 * nonce, which makes each lock's text unique.
 *
 * **When it is stale** (see {@link judgeLock}): its boot is not this boot; or its pid is not running; or the
 * process with that pid started at another time than the writer (an unrelated process got the pid, e.g.
 * pid 1 after a reboot or in a new container); or it names this process, which did not write it. A lock
 * written in another pid namespace of this boot (another container) cannot be checked from here: it is
 * taken over with a warning. Without `/proc` (macOS, Windows) only the pid can be checked: a live process
 * holding the pid keeps the lock, and the error says which file to remove if that process is no node.
 *
 * **Taking over a stale one** never reads, removes and recreates blindly: the remover first takes a guard
 * (`node.pid.takeover`, created the same atomic way), checks under it that `node.pid` still has the text it
 * judged stale, removes it, drops the guard and competes for `node.pid` again. So a stale lock is removed once,
 * and a lock a racer has just created is never removed by another. A guard left by a process that died
 * inside those few calls is itself stale and is removed the same way (under `node.pid.takeover.takeover`).
 *
 * **Releasing it** removes `node.pid` only while it still has this lock's text.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, readlinkSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { NodeStartError } from '../errors.js';

/** The lock file's name in the state directory. */
export const LOCK_FILE = 'node.pid';
/** Suffix of the guard taken while a stale lock is removed. */
const GUARD_SUFFIX = '.takeover';
/** How often {@link takeLock} competes again after removing a stale lock (or finding the lock just gone). */
const MAX_TAKE_ATTEMPTS = 8;
/** How deep guards of guards may go (each level needs a process to die inside the one below). */
const MAX_GUARD_DEPTH = 3;
/** Error codes of `link(2)` meaning "this file system has no hard links", where `O_EXCL` is used instead. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** What a lock file says about the process that wrote it. */
export interface LockRecord {
  /** The writer's pid. */
  readonly pid: number;
  /** Linux: the boot the writer ran in (`/proc/sys/kernel/random/boot_id`). */
  readonly boot?: string | undefined;
  /** Linux: the writer's start time, field 22 of `/proc/<pid>/stat` (clock ticks since boot). */
  readonly start?: string | undefined;
  /** Linux: the writer's pid namespace (`readlink /proc/self/ns/pid`, e.g. `pid:[4026531836]`). */
  readonly pidns?: string | undefined;
  /** Random, so every lock's text is unique (absent in locks of older versions, which wrote the pid only). */
  readonly nonce?: string | undefined;
}

/** Whether a lock is held or stale, and why. */
export interface LockVerdict {
  /** True when its writer is gone, so it may be taken over. */
  readonly stale: boolean;
  /** Why, for messages: e.g. `pid 4242 is not running`. */
  readonly reason: string;
  /** True when the writer was positively identified (pid and start time); false when only the pid was checked. */
  readonly verified: boolean;
  /** Set when taking the lock over is a guess the operator should know about. */
  readonly warning?: string | undefined;
}

/** A lock taken by {@link takeLock}. */
export interface StateLock {
  /** The lock file. */
  readonly path: string;
  /** The lock's text, as written. */
  readonly text: string;
  /** Things the operator should know about the takeover (e.g. a lock from another pid namespace). */
  readonly warnings: readonly string[];
  /**
   * Removes the lock file if it still has this lock's text; a lock file that cannot be removed is left (the
   * next start finds it stale). Idempotent.
   * @returns whether the file was removed now.
   */
  release(): boolean;
}

/** Nonces of the locks this process holds, so a lock naming this pid is told apart from an earlier process's. */
const heldHere = new Set<string>();

/**
 * Takes the lock `path` (the state directory's `node.pid`), taking over a stale one.
 * @param path the lock file.
 * @returns the lock; call {@link StateLock.release} when the directory is closed.
 * @throws {@link NodeStartError} naming the pid when a live process holds the lock (or is taking a stale one
 *   over at this moment), or when the lock cannot be created or read.
 * @example
 * ```ts
 * const lock = takeLock(join(dir, LOCK_FILE));
 * try { ... } finally { lock.release(); }
 * ```
 */
export function takeLock(path: string): StateLock {
  const record = ownRecord();
  const text = formatLockRecord(record);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeNewFile(temp, text);
  } catch (cause) {
    throw new NodeStartError(`cannot create the lock ${path}: ${(cause as Error).message}`, { cause });
  }
  const warnings: string[] = [];
  try {
    for (let attempt = 0; attempt < MAX_TAKE_ATTEMPTS; attempt++) {
      if (createFrom(temp, path, text)) return held(path, text, record.nonce ?? text, warnings);
      const existing = readLock(path);
      if (existing === undefined) continue; // released or taken over meanwhile: compete again
      const verdict = judgeExisting(path, existing);
      if (!verdict.stale) throw heldError(path, existing, verdict);
      removeIfStill(path, existing.text, temp, text, 0);
      if (verdict.warning !== undefined) warnings.push(verdict.warning);
    }
  } finally {
    removeQuietly(temp);
  }
  throw new NodeStartError(`cannot take the lock ${path}: it changed ${MAX_TAKE_ATTEMPTS} times while being taken; try again`);
}

/**
 * Judges a lock record against the running system: is its writer gone?
 * @param record what the lock says.
 * @param writtenMs when the lock file was last modified (used only for locks of older versions, which carry
 *   no start time: such a lock written before this boot is stale).
 * @returns the verdict.
 */
export function judgeLock(record: LockRecord, writtenMs?: number): LockVerdict {
  const { pid } = record;
  const self = ownRecord();
  if (pid === process.pid) {
    return record.nonce !== undefined && heldHere.has(record.nonce)
      ? { stale: false, reason: `this process (pid ${pid}) holds it`, verified: true }
      : { stale: true, reason: `it names this process's own pid ${pid}, which did not write it (an earlier process had the pid)`, verified: true };
  }
  if (record.boot !== undefined && self.boot !== undefined && record.boot !== self.boot) {
    return { stale: true, reason: `it was written during an earlier boot (boot id ${record.boot})`, verified: true };
  }
  if (record.pidns !== undefined && self.pidns !== undefined && record.pidns !== self.pidns) {
    const reason = `it was written by pid ${pid} in another pid namespace (${record.pidns}; this one is ${self.pidns}), which cannot be checked from here`;
    const warning = `took over the lock left by pid ${pid} in another pid namespace (another container?), whose process cannot be checked from here; make sure no other node uses this state directory`;
    return { stale: true, reason, verified: false, warning };
  }
  const proc = processInfo(pid);
  if (proc === 'gone') return { stale: true, reason: `pid ${pid} is not running`, verified: true };
  if (proc !== undefined && proc.state === 'Z') return { stale: true, reason: `pid ${pid} has exited (a zombie)`, verified: true };
  if (record.start !== undefined && proc !== undefined) {
    return proc.start === record.start
      ? { stale: false, reason: `pid ${pid} is running and is the process that wrote it`, verified: true }
      : { stale: true, reason: `pid ${pid} is another process than the one that wrote it (started at tick ${proc.start}, not ${record.start})`, verified: true };
  }
  if (record.start === undefined && writtenMs !== undefined) {
    const bootMs = bootTimeMs();
    // Older locks carry no start time; one last written before this boot cannot belong to a running process.
    if (bootMs !== undefined && writtenMs < bootMs) return { stale: true, reason: 'it was written before this boot', verified: true };
  }
  return { stale: false, reason: `pid ${pid} is running (whether it is the writer cannot be checked here)`, verified: false };
}

/** The text of a lock file for `record`: the pid on line one, then `key=value` lines. */
export function formatLockRecord(record: LockRecord): string {
  const lines = [String(record.pid)];
  for (const key of ['boot', 'start', 'pidns', 'nonce'] as const) {
    const value = record[key];
    if (value !== undefined) lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Parses a lock file's text.
 * @returns the record, or undefined when line one is not a positive pid (an empty or foreign file).
 */
export function parseLockRecord(text: string): LockRecord | undefined {
  const [first = '', ...rest] = text.split('\n');
  if (!/^[1-9][0-9]{0,9}$/.test(first.trim())) return undefined;
  const pid = Number(first.trim());
  if (!Number.isSafeInteger(pid)) return undefined;
  const fields = new Map<string, string>();
  for (const line of rest) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return { pid, boot: fields.get('boot'), start: fields.get('start'), pidns: fields.get('pidns'), nonce: fields.get('nonce') };
}

/** A lock file as read: its text, and its record when it parses. */
interface ReadLock {
  readonly text: string;
  readonly record: LockRecord | undefined;
  readonly writtenMs: number;
}

/** Reads a lock (or guard) file; undefined when it does not exist. */
function readLock(path: string): ReadLock | undefined {
  try {
    const writtenMs = statSync(path).mtimeMs;
    const text = readFileSync(path, 'utf8');
    return { text, record: parseLockRecord(text), writtenMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NodeStartError(`cannot read the lock ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The verdict on a lock file as read; a file that does not parse is never taken over. */
function judgeExisting(path: string, lock: ReadLock): LockVerdict {
  if (lock.record === undefined) {
    const what = lock.text.length === 0 ? 'is empty (a node may be writing it now)' : 'does not start with a pid';
    return { stale: false, reason: `${path} ${what}`, verified: false };
  }
  return judgeLock(lock.record, lock.writtenMs);
}

/** The error for a lock a live process holds. */
function heldError(path: string, lock: ReadLock, verdict: LockVerdict): NodeStartError {
  if (lock.record === undefined) {
    return new NodeStartError(`the lock ${verdict.reason}; if no node uses this state directory, remove ${path}`);
  }
  const { pid } = lock.record;
  const hint = verdict.verified ? '' : `; if pid ${pid} is not a Peerlay node, remove ${path}`;
  const who = pid === process.pid ? 'this process' : `another node (pid ${pid})`;
  return new NodeStartError(`${who} is using the state directory (its lock ${path}: ${verdict.reason})${hint}`);
}

/**
 * Removes `path` if it still has `staleText`, holding the guard `<path>.takeover` meanwhile, so that of
 * processes removing the same stale file at once, one removes it and the others find it changed. An abandoned
 * guard (its writer is gone) is removed the same way, one level down.
 * @throws {@link NodeStartError} when a live process holds the guard (it is taking the lock over now).
 */
function removeIfStill(path: string, staleText: string, temp: string, ownText: string, depth: number): void {
  const guard = `${path}${GUARD_SUFFIX}`;
  if (!createFrom(temp, guard, ownText)) {
    const other = readLock(guard);
    if (other === undefined) return; // the other remover is done: compete again
    const verdict = judgeExisting(guard, other);
    if (!verdict.stale) {
      const who = other.record === undefined ? 'another process' : `another process (pid ${other.record.pid})`;
      throw new NodeStartError(`${who} is taking over the stale lock ${path} at this moment (its guard ${guard}: ${verdict.reason})`);
    }
    if (depth + 1 >= MAX_GUARD_DEPTH) throw new NodeStartError(`cannot take the lock: abandoned guards ${guard}; remove them`);
    removeIfStill(guard, other.text, temp, ownText, depth + 1);
    return;
  }
  try {
    if (readLock(path)?.text === staleText) unlinkSync(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new NodeStartError(`cannot remove the stale lock ${path}: ${(cause as Error).message}`, { cause });
    }
  } finally {
    removeQuietly(guard);
  }
}

/**
 * Creates `path` with the text of `temp` if no file has that name, atomically.
 * @returns false when the name exists.
 */
function createFrom(temp: string, path: string, text: string): boolean {
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === undefined || !NO_HARD_LINKS.has(code)) {
      throw new NodeStartError(`cannot create the lock ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    writeNewFile(path, text);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new NodeStartError(`cannot create the lock ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Creates `path` (`O_CREAT|O_EXCL`, mode 0600) holding `text`. */
function writeNewFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The handle of a lock just taken. */
function held(path: string, text: string, nonce: string, warnings: readonly string[]): StateLock {
  heldHere.add(nonce);
  let released = false;
  return {
    path,
    text,
    warnings,
    release: () => {
      if (released) return false;
      released = true;
      heldHere.delete(nonce);
      try {
        if (readFileSync(path, 'utf8') !== text) return false; // not ours any more: leave it
        unlinkSync(path);
        return true;
      } catch {
        return false; // gone already, or unremovable: a lock left behind is found stale by the next start
      }
    },
  };
}

/** Removes a file, ignoring any error. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or not ours to remove
  }
}

/** This process's identity for its locks (without the nonce, which each lock draws). */
let selfIdentity: Omit<LockRecord, 'nonce'> | undefined;

/** The record this process writes into a new lock. */
function ownRecord(): LockRecord {
  selfIdentity ??= {
    pid: process.pid,
    boot: readTrimmed('/proc/sys/kernel/random/boot_id'),
    start: (() => {
      const proc = processInfo('self');
      return proc === undefined || proc === 'gone' ? undefined : proc.start;
    })(),
    pidns: (() => {
      try {
        return readlinkSync('/proc/self/ns/pid');
      } catch {
        return undefined;
      }
    })(),
  };
  return { ...selfIdentity, nonce: randomBytes(8).toString('hex') };
}

/** What `/proc/<pid>/stat` says about a process. */
interface ProcessInfo {
  /** Field 3: R, S, D, Z, T... */
  readonly state: string;
  /** Field 22: the start time in clock ticks since boot. */
  readonly start: string;
}

/**
 * A process's state and start time: `'gone'` when `pid` is not running, undefined when it runs but
 * `/proc/<pid>/stat` cannot be read (not Linux, or `/proc` mounted with `hidepid`).
 */
function processInfo(pid: number | 'self'): ProcessInfo | 'gone' | undefined {
  if (pid !== 'self') {
    try {
      process.kill(pid, 0);
    } catch (error) {
      // EPERM: it runs, under another user. Anything else (ESRCH): no such process.
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
    }
  }
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is parenthesised and may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  return state === undefined || start === undefined ? undefined : { state, start };
}

/** When this system booted, in ms since the epoch (Linux `/proc/stat`'s `btime`), if known. */
function bootTimeMs(): number | undefined {
  const line = readTrimmed('/proc/stat')?.split('\n').find((l) => l.startsWith('btime '));
  const seconds = line === undefined ? Number.NaN : Number(line.slice('btime '.length));
  return Number.isFinite(seconds) ? seconds * 1_000 : undefined;
}

/** A file's text, trimmed; undefined when it cannot be read. */
function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
