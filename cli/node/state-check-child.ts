/**
 * The full integrity check of the state database: every entry read through LMDB in a child process, where
 * a native crash on a damaged file (SIGBUS, SIGSEGV, an assertion) harms nothing; `StateDb.verify` runs it
 * after the page walk of `state-check.ts`.
 * @module
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { DamagedStateError, StateError } from '../errors.js';

/** How long `StateDb.verify` waits for its child process ({@link checkDatabaseEntries}) by default, in ms. */
export const INTEGRITY_CHECK_TIMEOUT_MS = 60_000;

/*
 * The child process of checkDatabaseEntries (run by StateDb.verify): CommonJS run with `node -e`, so it
 * needs no build step (it runs the same under the test runner and from dist/). It opens the file read-only
 * with the parent's lmdb package, reads every entry of every sub-database (decoding each msgpack value and
 * checking its shape), and compares the counts with the ones the B-tree headers hold: a damaged page that
 * LMDB skips without an error shows up as missing entries. It prints one JSON line; exit 1 = damage found,
 * 2 = could not run.
 */
const CHECK_SCRIPT = String.raw`
'use strict';
const [lmdbPath, dbPath] = process.argv.slice(1);
const say = (o, code) => { process.stdout.write(JSON.stringify(o) + '\n', () => process.exit(code)); };
const ORIGINS = new Set(['store', 'cache', 'local']);
const bytes = (b) => b instanceof Uint8Array;
const shapes = {
  records: (k, v) => /^[a-z][a-z0-9-]{0,31}\/./.test(k) && v && bytes(v.location) && bytes(v.record)
    && typeof v.expiresAt === 'number' && ORIGINS.has(v.origin),
  values: (k, v) => typeof k === 'string' && v && bytes(v.key) && bytes(v.data) && typeof v.version === 'number'
    && typeof v.expiresAt === 'number' && typeof v.origin === 'string' && typeof v.id === 'string',
  meta: (k, v) => typeof k === 'string' && (k !== 'schema' || (Number.isInteger(v) && v > 0)),
};
let current = 'the main tree';
function check() {
  let open;
  try { ({ open } = require(lmdbPath)); } catch (e) { return say({ setup: String(e && e.message) }, 2); }
  const root = open({ path: dbPath, noSubdir: true, maxDbs: 4, compression: false, readOnly: true });
  const names = new Set(root.getKeys());
  const read = {};
  for (const name of Object.keys(shapes)) {
    if (!names.has(name)) { read[name] = 0; continue; }
    current = name;
    const db = root.openDB({ name, encoding: 'msgpack' });
    let n = 0;
    for (const { key, value } of db.getRange()) {
      if (!shapes[name](key, value)) return say({ damage: 'a malformed entry in ' + name + ' under ' + clean(JSON.stringify(String(key))) }, 1);
      n++;
    }
    const expected = db.getStats().entryCount;
    if (n !== expected) return say({ damage: name + ' holds ' + expected + ' entries by its B-tree, but ' + n + ' could be read' }, 1);
    read[name] = n;
  }
  current = 'meta';
  if (read.records + read.values > 0 && !(names.has('meta') && root.openDB({ name: 'meta', encoding: 'msgpack' }).get('schema') !== undefined)) {
    return say({ damage: 'it holds records but no schema version' }, 1);
  }
  return say({ ok: true, records: read.records, legacyValues: read.values }, 0);
}
// Printable, short, and without the decoded value msgpackr appends to its messages.
const clean = (text) => String(text).split('\n')[0].replace(/ [[{"].*$/, '').replace(/[^\x20-\x7e]/g, '?').slice(0, 120);
try { check(); } catch (e) {
  const message = clean(e && e.message);
  const fromLmdb = e && (typeof e.code === 'number' || /^MDB_/.test(message));
  say({ damage: fromLmdb ? 'LMDB failed reading ' + current + ': ' + message : 'an entry in ' + current + ' does not decode: ' + message }, 1);
}
`;

/** The `lmdb` package's entry point, for the child process. */
function lmdbEntry(): string {
  return createRequire(import.meta.url).resolve('lmdb');
}

/**
 * Reads every entry of every sub-database of an LMDB file in a child process (the script above), so that a
 * damaged page crashing LMDB natively crashes the child, not this process. Run {@link checkDatabaseFile}
 * first: it refuses the damage a plain read can see without the cost of a process.
 * @param path the database file, as an absolute path (the child and the messages use it as given).
 * @param timeoutMs how long the child may run, in ms; it is killed after that.
 * @returns how many records and schema 1 values were read.
 * @throws {@link DamagedStateError} when an entry is damaged, the counts disagree, or reading crashed the child.
 * @throws {@link StateError} when the child cannot run or does not finish in time.
 */
export async function checkDatabaseEntries(path: string, timeoutMs: number): Promise<{ records: number; legacyValues: number }> {
  let entry: string;
  try {
    entry = lmdbEntry();
  } catch (cause) {
    throw new StateError(`cannot check the state database ${path}: the lmdb package cannot be found`, { cause });
  }
  // Without --inspect-brk and kin from NODE_OPTIONS: the child must neither wait for a debugger nor take its port.
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((o) => !o.startsWith('--inspect')).join(' ');
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  const child = spawn(process.execPath, ['-e', CHECK_SCRIPT, entry, path], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-8_192)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8_192)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once('error', fail);
    child.once('close', (code, signal) => done({ code, signal }));
  })
    .catch((cause: unknown) => {
      throw new StateError(`cannot check the state database ${path}: ${(cause as Error).message}`, { cause });
    })
    .finally(() => clearTimeout(timer));
  if (timedOut) {
    throw new StateError(
      `the integrity check of the state database ${path} did not finish within ${timeoutMs} ms (a very slow disk, or a damaged file)`,
    );
  }
  if (exit.signal !== null) throw new DamagedStateError(path, `reading it crashed the integrity check (${exit.signal})`);
  const report = parseReport(stdout);
  if (exit.code === 0 && report?.ok === true) return { records: report.records ?? 0, legacyValues: report.legacyValues ?? 0 };
  if (exit.code === 1 && typeof report?.damage === 'string') throw new DamagedStateError(path, report.damage);
  const detail = report?.setup ?? (stderr.trim().split('\n').pop() || `exit code ${String(exit.code)}`);
  throw new StateError(`cannot check the state database ${path}: ${detail}`);
}

function parseReport(stdout: string): { ok?: boolean; damage?: string; setup?: string; records?: number; legacyValues?: number } | undefined {
  try {
    const parsed: unknown = JSON.parse(stdout.trim().split('\n').pop() ?? '');
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
