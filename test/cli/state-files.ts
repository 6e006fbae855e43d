/**
 * Helpers of the state database tests: temporary directories, a database filled with records, and a reader
 * of LMDB's page layout that finds the pages a tree uses now, so a test can damage exactly those.
 */
import { mkdtempSync, readFileSync, rmSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { PersistedValue } from '../../cli/node/state-db.js';
import { StateDb } from '../../cli/node/state-db.js';

const dirs: string[] = [];

/** A new temporary directory, removed by {@link removeTempDirs}. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'peerlay-state-'));
  dirs.push(dir);
  return dir;
}

/** Removes every directory {@link tempDir} made; call in `afterEach`. */
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A seeded pseudo-random byte source (mulberry32), so damage is the same on every run. */
export function seededBytes(seed: number, length: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** 2100-01-01, in ms since the epoch: an expiry no test reaches. */
export const FAR_FUTURE_MS = 4_102_444_800_000;

/** A record whose bytes say which one it is. */
export function sampleRecord(i: number, expiresAt = FAR_FUTURE_MS): { location: Uint8Array; record: Uint8Array; expiresAt: number; origin: 'store' } {
  return { location: new Uint8Array(20).fill(i & 0xff), record: seededBytes(i + 1, 100), expiresAt, origin: 'store' };
}

/** Creates the database at `path` holding `n` records of type `value`, and closes it. */
export async function filledDb(path: string, n: number): Promise<void> {
  const db = StateDb.open(path);
  for (let i = 0; i < n; i++) db.put('value', `${String(i).padStart(6, '0')}/00`, sampleRecord(i));
  await db.close();
}

/** A schema 1 value (unsigned) under a 20-byte key of sevens. */
export function legacyValue(id: string, expiresAt: number, origin: PersistedValue['origin'], data = new Uint8Array([1])): PersistedValue {
  return { key: new Uint8Array(20).fill(7), data, version: 0, expiresAt, origin, id };
}

/**
 * Writes a database as peerlay wrote it before the record engine (schema 1, the `values` sub-database):
 * a signed value `ab`, an unsigned `cd`, then `extra` more in one asynchronous batch.
 */
export async function writeSchema1Db(path: string, extra: number): Promise<void> {
  const root = open({ path, noSubdir: true, maxDbs: 4, compression: false });
  const values = root.openDB<PersistedValue, string>({ name: 'values', encoding: 'msgpack' });
  root.openDB({ name: 'meta', encoding: 'msgpack' }).putSync('schema', 1);
  const signed = { version: 3, publicKey: new Uint8Array([9]), signature: new Uint8Array([8]) };
  values.putSync('0707/ab', { ...legacyValue('ab', 5, 'local', new Uint8Array([1, 2])), ...signed });
  values.putSync('0707/cd', legacyValue('cd', 6, 'store', new Uint8Array([3])));
  await values.transaction(() => {
    for (let i = 0; i < extra; i++) void values.put(`08${String(i).padStart(4, '0')}/ee`, legacyValue('ee', i, 'cache', new Uint8Array([i & 0xff])));
  });
  await root.close();
}

/** The pages one B-tree uses now. */
export interface TreePages {
  /** The root page; -1 for an empty tree. */
  readonly root: number;
  /** Where in the file the sub-database's 48-byte `MDB_db` record lies (in a leaf of the main tree). */
  readonly recordAt: number;
  readonly branches: number[];
  readonly leaves: number[];
}

/**
 * The pages each named sub-database uses now, read from the file (LMDB 64-bit layout: 24-byte page header,
 * flags at 18, `mp_lower` at 20, node offsets from 24; a node is lo, hi, flags, key size (u16 each), key,
 * data; a branch node's child page is lo | hi << 16 | flags << 32; a sub-database's node holds its
 * 48-byte `MDB_db`, root page at 40).
 */
export function liveTrees(path: string): Map<string, TreePages> {
  const file = readFileSync(path);
  const pageSize = file.readUInt32LE(48);
  const metas = [0, pageSize].map((at) => ({ txnId: file.readBigUInt64LE(at + 24 + 128), mainRoot: Number(file.readBigUInt64LE(at + 24 + 112)) }));
  const newest = metas[0]!.txnId >= metas[1]!.txnId ? metas[0]! : metas[1]!;
  const page = (n: number): Buffer => file.subarray(n * pageSize, (n + 1) * pageSize);
  const nodes = (p: Buffer): { lo: number; hi: number; flags: number; key: Buffer; dataAt: number }[] =>
    Array.from({ length: p.readUInt16LE(20) >> 1 }, (_, i) => {
      const at = p.readUInt16LE(24 + 2 * i) + 24;
      const keySize = p.readUInt16LE(at + 6);
      const [lo, hi, flags] = [p.readUInt16LE(at), p.readUInt16LE(at + 2), p.readUInt16LE(at + 4)];
      return { lo, hi, flags, key: p.subarray(at + 8, at + 8 + keySize), dataAt: at + 8 + keySize };
    });
  const walk = (root: number, tree: { branches: number[]; leaves: number[] }, onLeaf?: (p: Buffer) => void): void => {
    const p = page(root);
    if (p.readBigUInt64LE(0) !== BigInt(root)) throw new Error(`page ${root} names itself ${p.readBigUInt64LE(0)}`);
    const flags = p.readUInt16LE(18);
    if (flags & 0x01) {
      tree.branches.push(root);
      for (const n of nodes(p)) walk(n.lo + n.hi * 0x1_0000 + n.flags * 0x1_0000_0000, tree, onLeaf);
    } else if (flags & 0x02) {
      tree.leaves.push(root);
      onLeaf?.(p);
    } else throw new Error(`page ${root} has flags ${flags}`);
  };
  const trees = new Map<string, TreePages>();
  walk(newest.mainRoot, { branches: [], leaves: [] }, (p) => {
    const pageStart = Number(p.readBigUInt64LE(0)) * pageSize;
    for (const n of nodes(p)) {
      if ((n.flags & 0x02) === 0) continue; // not a sub-database
      const rootPage = p.readBigUInt64LE(n.dataAt + 40);
      const root = rootPage === 0xffff_ffff_ffff_ffffn ? -1 : Number(rootPage); // -1: an empty tree
      const tree = { root, recordAt: pageStart + n.dataAt, branches: [] as number[], leaves: [] as number[] };
      if (root >= 0) walk(root, tree);
      trees.set(n.key.toString('utf8').replace(/\0+$/, ''), tree);
    }
  });
  return trees;
}

/** Writes `bytes` into the file at `offset`, in place. */
export function overwrite(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}
