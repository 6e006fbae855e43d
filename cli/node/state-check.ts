/**
 * Damaged-file detection for the state database (an LMDB file), run before LMDB maps it: LMDB trusts its
 * file, and reading a truncated or scribbled one crashes the process natively (SIGBUS, SIGSEGV, an
 * assertion) or starts it with records missing. {@link checkDatabaseFile} walks the file's B-trees with
 * plain reads in this process; `checkDatabaseEntries` (`state-check-child.ts`) adds a full read through LMDB in a child process,
 * where a native crash harms nothing. `StateDb.open` and `StateDb.verify` (`state-db.ts`) run them.
 * @module
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { DamagedStateError, StateError } from '../errors.js';

/** What {@link checkDatabaseFile} read from an LMDB file's meta pages (zeros but `bytes` where it cannot read them). */
export interface DatabaseFileInfo {
  /** The file's length in bytes. */
  readonly bytes: number;
  /** LMDB's page size in bytes. */
  readonly pageSize: number;
  /** The last page the newest meta page counts (free pages included: the file may end before it). */
  readonly lastPage: number;
  /** The newest committed transaction. */
  readonly txnId: number;
}


/*
 * LMDB's on-disk layout (liblmdb `mdb.c` as bundled by lmdb-js 3, 64-bit, little-endian). Every page
 * starts with a 24-byte header (`MDB_page_header`: pgno u64, txnid u64, pad u16, flags u16 at 18, then
 * lower and upper u16 at 20 and 22, or an overflow run's page count u32 at 20). Pages 0 and 1 are meta
 * pages (flag P_META) holding `MDB_meta` after the header: magic u32, version u32, address u64, mapsize
 * u64, two `MDB_db` of 48 bytes (free pages, main; the first one's u32 `md_pad` is the page size; each ends
 * with its root page u64), last page u64, txnid u64, boot id u64. lmdb-js's overlapping sync also writes a
 * third `MDB_meta` (from mapsize on) half a page in. Transactions read the trees of the newer of pages 0
 * and 1. A branch or leaf page holds `lower / 2` node offsets (u16, from byte 24, relative to byte 24); a
 * node is lo, hi, flags, key size (u16 each), key, data. A branch node's child is lo | hi << 16 | flags << 32;
 * a leaf node's data is lo | hi << 16 bytes, or (flag F_BIGDATA) the u64 first page of an overflow run, or
 * (F_SUBDATA) a sub-database's 48-byte `MDB_db`.
 *
 * The last page a meta names is not a lower bound for the file's length: pages allocated and freed within
 * one transaction are counted but never written, so a healthy file may end before it. What must be in the
 * file is every page the trees reach, so that is what is checked.
 */
const PAGE_HEADER_BYTES = 24;
const PAGE_FLAGS_AT = 18;
const NODE_HEADER_BYTES = 8;
const MAX_TREE_DEPTH = 32;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const P_LEAF2 = 0x20;
const P_KINDS = 0x7f;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_DATA_VERSIONS: ReadonlySet<number> = new Set([1, 2]);
const META = { magic: 0, version: 4, pageSize: 24, freeDb: 24, mainDb: 72, lastPage: 120, txnId: 128, end: 144 } as const;
const DB_ROOT_AT = 40;
const DB_BYTES = 48;
const NO_PAGE = 0xffff_ffff_ffff_ffffn;
/** The layout above is the one of 64-bit little-endian builds; elsewhere only the child's check runs. */
const LAYOUT_KNOWN = endianness() === 'LE' && ['x64', 'arm64', 'ppc64', 'riscv64', 'loong64'].includes(process.arch);

interface Meta {
  readonly name: string;
  readonly at: number;
  readonly lastPage: bigint;
  readonly txnId: bigint;
}

/**
 * Checks an LMDB file without mapping it, so a damaged one cannot crash this process: it must not be empty,
 * its meta pages must be LMDB's and consistent, and every page its B-trees reach (the free-page tree, the
 * main tree, each sub-database, each overflow run) must lie in the file and carry a sound header. A file
 * cut short (truncated) fails here, with its length and the length its pages need. Cost: one read per tree
 * page, none of record data: 7 to 13 ms for 10,000 records, 45 to 110 ms for 100,000.
 * @param path the database file.
 * @returns what the meta pages say, or `undefined` when there is no file (a fresh state directory).
 * @throws {@link DamagedStateError} when the file is damaged.
 * @throws {@link StateError} when it cannot be read.
 */
export function checkDatabaseFile(path: string): DatabaseFileInfo | undefined {
  let bytes: number;
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return undefined;
    if (!stat.isFile()) throw new StateError(`the state database ${path} is not a regular file`);
    bytes = stat.size;
  } catch (cause) {
    if (cause instanceof StateError) throw cause;
    throw new StateError(`cannot read the state database ${path}: ${(cause as Error).message}`, { cause });
  }
  if (bytes === 0) throw new DamagedStateError(path, 'the file is empty (0 bytes); a database that was never written has no file at all');
  if (!LAYOUT_KNOWN) return { bytes, pageSize: 0, lastPage: 0, txnId: 0 };
  const file = new PageFile(path, bytes);
  try {
    return checkPages(file);
  } finally {
    file.close();
  }
}

function checkPages(file: PageFile): DatabaseFileInfo {
  const { path, bytes } = file;
  const minimum = PAGE_HEADER_BYTES + META.end;
  if (bytes < minimum) {
    throw new DamagedStateError(path, `the file is truncated: it is ${bytes} bytes, LMDB's first meta page alone needs ${minimum}`);
  }
  const first = file.read(0, minimum);
  const firstProblem = metaPageProblem(first, 0);
  if (firstProblem !== undefined) throw new DamagedStateError(path, `meta page 0 ${firstProblem}`);
  const pageSize = first.readUInt32LE(PAGE_HEADER_BYTES + META.pageSize);
  if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new DamagedStateError(path, `meta page 0 names an impossible page size (${pageSize})`);
  }
  if (bytes < 2 * pageSize) throw new DamagedStateError(path, `the file is truncated: it is ${bytes} bytes, its two meta pages need ${2 * pageSize}`);
  const pages = file.read(0, 2 * pageSize);
  const secondProblem = metaPageProblem(pages.subarray(pageSize), 1);
  if (secondProblem !== undefined) throw new DamagedStateError(path, `meta page 1 ${secondProblem}`);
  const metas: Meta[] = [];
  for (const [at, name] of [
    [PAGE_HEADER_BYTES, 'meta page 0'],
    [pageSize + PAGE_HEADER_BYTES, 'meta page 1'],
    [pageSize / 2 + PAGE_HEADER_BYTES, 'the sync meta (half way into page 0)'],
  ] as const) {
    const meta = { name, at, lastPage: pages.readBigUInt64LE(at + META.lastPage), txnId: pages.readBigUInt64LE(at + META.txnId) };
    if (name.startsWith('the sync') && meta.txnId === 0n) continue; // never written: no overlapping sync yet
    const problem = metaProblem(pages, at, pageSize);
    if (problem !== undefined) throw new DamagedStateError(path, `${name} ${problem}`);
    metas.push(meta);
  }
  const [m0, m1] = metas as [Meta, Meta];
  const current = m1.txnId > m0.txnId ? m1 : m0; // the snapshot transactions read
  const walk = new TreeWalk(file, pageSize);
  walk.tree('free-page', pages, current.at + META.freeDb, false);
  walk.tree('main', pages, current.at + META.mainDb, true);
  walk.run();
  if (walk.beyondEnd !== undefined) {
    const { page, tree } = walk.beyondEnd;
    const needed = (walk.lastReached + 1) * pageSize;
    throw new DamagedStateError(
      path,
      `the file is truncated: it is ${bytes} bytes, its pages need at least ${needed} (page ${page} of the ${tree} tree lies beyond its end)`,
    );
  }
  const newest = metas.reduce((a, b) => (b.txnId > a.txnId ? b : a));
  return { bytes, pageSize, lastPage: Number(newest.lastPage), txnId: Number(newest.txnId) };
}

/** Reads pages of the file with positioned reads (never a mapping, so no fault can hit this process). */
class PageFile {
  private readonly fd: number;

  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {
    try {
      this.fd = openSync(path, 'r');
    } catch (cause) {
      throw new StateError(`cannot read the state database ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  read(position: number, length: number, into: Buffer = Buffer.alloc(length)): Buffer {
    let read = 0;
    try {
      while (read < length) {
        const n = readSync(this.fd, into, read, length - read, position + read);
        if (n === 0) break;
        read += n;
      }
    } catch (cause) {
      throw new StateError(`cannot read the state database ${this.path}: ${(cause as Error).message}`, { cause });
    }
    if (read < length) throw new DamagedStateError(this.path, `the file ended at ${position + read} bytes while reading byte ${position + length}`);
    return into;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** What an `MDB_db` record says of its tree, and what the walk counted. */
interface Tally {
  readonly name: string;
  /** The record's counts; undefined for the free-page tree, whose counts are not compared. */
  readonly expected: { depth: number; branches: number; leaves: number; overflows: number; entries: number } | undefined;
  branches: number;
  leaves: number;
  overflows: number;
  entries: number;
}

/**
 * A walk over every page the B-trees of one snapshot reach, checking each page's header and nodes, and each
 * tree's page and entry counts and depth against its `MDB_db` record.
 */
class TreeWalk {
  /** The first page found beyond the end of the file, if any. */
  beyondEnd: { page: number; tree: string } | undefined;
  /** The highest page reached (in the file or not). */
  lastReached = 1;
  private readonly pagesInFile: number;
  private readonly seen: Uint8Array;
  private readonly tallies: Tally[] = [];
  private readonly pending: { page: number; tally: Tally; depth: number }[] = [];
  private readonly buffer: Buffer;
  private readonly header = Buffer.alloc(PAGE_HEADER_BYTES);

  constructor(
    private readonly file: PageFile,
    private readonly pageSize: number,
  ) {
    this.pagesInFile = Math.floor(file.bytes / pageSize);
    this.seen = new Uint8Array(Math.ceil(this.pagesInFile / 8));
    this.buffer = Buffer.alloc(pageSize);
  }

  /**
   * Queues a tree.
   * @param record the bytes holding its 48-byte `MDB_db` record, and where it starts.
   * @param counted whether to compare its counts with the record's.
   */
  tree(name: string, record: Buffer, at: number, counted: boolean): void {
    const root = record.readBigUInt64LE(at + DB_ROOT_AT);
    const count = (offset: number): number => Number(record.readBigUInt64LE(at + offset));
    const expected = counted
      ? { depth: record.readUInt16LE(at + 6), branches: count(8), leaves: count(16), overflows: count(24), entries: count(32) }
      : undefined;
    const tally: Tally = { name, expected, branches: 0, leaves: 0, overflows: 0, entries: 0 };
    this.tallies.push(tally);
    if (root === NO_PAGE) return;
    if (root < 2n || root > BigInt(Number.MAX_SAFE_INTEGER)) this.damaged(`the ${name} tree names an impossible root page (${root})`);
    this.pending.push({ page: Number(root), tally, depth: 1 });
  }

  /** Walks every queued tree, and those they hold. */
  run(): void {
    for (let next = this.pending.pop(); next !== undefined; next = this.pending.pop()) this.visit(next.page, next.tally, next.depth);
    if (this.beyondEnd !== undefined) return; // the counts of a cut tree cannot match
    for (const { name, expected, ...counted } of this.tallies) {
      if (expected === undefined) continue;
      for (const field of ['branches', 'leaves', 'overflows', 'entries'] as const) {
        if (counted[field] !== expected[field]) {
          this.damaged(`the ${name} tree holds ${counted[field]} ${field} where its record says ${expected[field]}`);
        }
      }
    }
  }

  private visit(page: number, tally: Tally, depth: number): void {
    const tree = tally.name;
    if (depth > MAX_TREE_DEPTH) this.damaged(`the ${tree} tree is deeper than ${MAX_TREE_DEPTH} pages`);
    if (!this.reach(page, 1, tree)) return;
    const p = this.file.read(page * this.pageSize, this.pageSize, this.buffer);
    const where = `page ${page} (${tree} tree)`;
    if (p.readBigUInt64LE(0) !== BigInt(page)) this.damaged(`${where} names itself page ${p.readBigUInt64LE(0)}`);
    const kind = p.readUInt16LE(PAGE_FLAGS_AT) & P_KINDS;
    if (kind !== P_BRANCH && kind !== P_LEAF && kind !== (P_LEAF | P_LEAF2)) {
      this.damaged(`${where} is neither a branch nor a leaf (flags 0x${kind.toString(16)})`);
    }
    const lower = p.readUInt16LE(20);
    const upper = p.readUInt16LE(22);
    if (lower % 2 !== 0 || lower > upper || upper > this.pageSize - PAGE_HEADER_BYTES) {
      this.damaged(`${where} has impossible bounds (${lower}, ${upper})`);
    }
    const isLeaf = kind !== P_BRANCH;
    if (isLeaf && tally.expected !== undefined && depth !== tally.expected.depth) {
      this.damaged(`${where} is a leaf at depth ${depth} of a tree ${tally.expected.depth} deep`);
    }
    if (isLeaf) tally.leaves++;
    else tally.branches++;
    const count = lower / 2;
    if (kind === (P_LEAF | P_LEAF2)) {
      tally.entries += count;
      return; // fixed-size keys only: no nodes, no children
    }
    if (!isLeaf && count === 0) this.damaged(`${where} is a branch without children`);
    const children: { page: number; tally: Tally; depth: number }[] = [];
    const subTrees: [string, number][] = [];
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER_BYTES + p.readUInt16LE(PAGE_HEADER_BYTES + 2 * i);
      if (at < PAGE_HEADER_BYTES + lower || at + NODE_HEADER_BYTES > this.pageSize) this.damaged(`${where} has a node outside its free space`);
      const lo = p.readUInt16LE(at);
      const hi = p.readUInt16LE(at + 2);
      const flags = p.readUInt16LE(at + 4);
      const keyEnd = at + NODE_HEADER_BYTES + p.readUInt16LE(at + 6);
      if (!isLeaf) {
        if (keyEnd > this.pageSize) this.damaged(`${where} has a key beyond its end`);
        children.push({ page: lo + hi * 0x1_0000 + flags * 0x1_0000_0000, tally, depth: depth + 1 });
        continue;
      }
      tally.entries++;
      const dataBytes = lo + hi * 0x1_0000;
      const storedBytes = flags & F_BIGDATA ? 8 : dataBytes;
      if (keyEnd + storedBytes > this.pageSize) this.damaged(`${where} has a node beyond its end`);
      if (flags & F_BIGDATA) {
        tally.overflows += this.overflow(Number(p.readBigUInt64LE(keyEnd)), dataBytes, tree);
      } else if (flags & F_SUBDATA) {
        if (dataBytes !== DB_BYTES) this.damaged(`${where} holds a sub-database record of ${dataBytes} bytes`);
        const name = flags & F_DUPDATA ? `${tree} duplicates` : p.toString('utf8', at + NODE_HEADER_BYTES, keyEnd).replace(/\0+$/, '');
        subTrees.push([name, keyEnd]);
      }
    }
    this.pending.push(...children);
    const records = Buffer.from(p); // the page buffer is reused by the next read
    for (const [name, at] of subTrees) this.tree(name, records, at, true);
  }

  /**
   * Checks an overflow run (a value too big for a leaf) by its first page's header, and marks its pages.
   * @returns its length in pages (0 when it lies beyond the file's end).
   */
  private overflow(page: number, dataBytes: number, tree: string): number {
    const needed = Math.ceil((dataBytes + PAGE_HEADER_BYTES) / this.pageSize);
    if (!Number.isSafeInteger(page) || page < 2) this.damaged(`the ${tree} tree reaches an impossible page (${page})`);
    if (page >= this.pagesInFile) {
      this.reach(page, needed, tree); // notes the page beyond the end
      return 0;
    }
    const p = this.file.read(page * this.pageSize, PAGE_HEADER_BYTES, this.header);
    const where = `overflow page ${page} (${tree} tree)`;
    if (p.readBigUInt64LE(0) !== BigInt(page)) this.damaged(`${where} names itself page ${p.readBigUInt64LE(0)}`);
    if ((p.readUInt16LE(PAGE_FLAGS_AT) & P_KINDS) !== P_OVERFLOW) this.damaged(`${where} is not an overflow page`);
    const pages = p.readUInt32LE(20); // LMDB rewrites a smaller value into a longer run in place: >= needed
    if (pages < needed) this.damaged(`${where} starts a run of ${pages} pages, its ${dataBytes}-byte value needs ${needed}`);
    this.reach(page, pages, tree);
    return pages;
  }

  /** Marks `pages` pages from `page` reached; false (and noted) when they are not all in the file. */
  private reach(page: number, pages: number, tree: string): boolean {
    if (!Number.isSafeInteger(page) || page < 2) this.damaged(`the ${tree} tree reaches an impossible page (${page})`);
    const last = page + pages - 1;
    this.lastReached = Math.max(this.lastReached, last);
    if (last >= this.pagesInFile) {
      this.beyondEnd ??= { page: Math.max(page, this.pagesInFile), tree };
      return false;
    }
    for (let n = page; n <= last; n++) {
      if (this.seen[n >> 3]! & (1 << (n & 7))) this.damaged(`page ${n} is reached twice (${tree} tree)`);
      this.seen[n >> 3]! |= 1 << (n & 7);
    }
    return true;
  }

  private damaged(reason: string): never {
    throw new DamagedStateError(this.file.path, reason);
  }
}

/** Why `page` (meta page `index`) is not an LMDB meta page, or `undefined`. */
function metaPageProblem(page: Buffer, index: number): string | undefined {
  if ((page.readUInt16LE(PAGE_FLAGS_AT) & P_META) === 0) return 'is not a meta page (its header flags are damaged)';
  if (page.readBigUInt64LE(0) !== BigInt(index)) return `names itself page ${page.readBigUInt64LE(0)}`;
  const magic = page.readUInt32LE(PAGE_HEADER_BYTES + META.magic);
  if (magic !== LMDB_MAGIC) return `has no LMDB magic (0x${magic.toString(16)} instead of 0x${LMDB_MAGIC.toString(16)})`;
  const version = page.readUInt32LE(PAGE_HEADER_BYTES + META.version) & 0xffff;
  if (!LMDB_DATA_VERSIONS.has(version)) return `has an unknown LMDB data format version (${version})`;
  return undefined;
}

/** Why the `MDB_meta` at `at` is inconsistent, or `undefined`. */
function metaProblem(pages: Buffer, at: number, pageSize: number): string | undefined {
  const size = pages.readUInt32LE(at + META.pageSize);
  if (size !== pageSize) return `names page size ${size}, meta page 0 ${pageSize}`;
  const lastPage = pages.readBigUInt64LE(at + META.lastPage);
  if (lastPage < 1n || lastPage > BigInt(Number.MAX_SAFE_INTEGER) / BigInt(pageSize)) return `names an impossible last page (${lastPage})`;
  for (const [tree, offset] of [['free-page', META.freeDb], ['main', META.mainDb]] as const) {
    const root = pages.readBigUInt64LE(at + offset + DB_ROOT_AT);
    if (root !== NO_PAGE && (root < 2n || root > lastPage)) return `names a ${tree} tree root (page ${root}) outside pages 2 to ${lastPage}`;
  }
  if (pages.readBigUInt64LE(at + META.txnId) > BigInt(Number.MAX_SAFE_INTEGER)) return 'names an impossible transaction id';
  return undefined;
}
