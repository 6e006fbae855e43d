import 'reflect-metadata';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DamagedStateError, EXIT, exitCodeOf, NodeStartError } from '../../cli/errors.js';
import { checkDatabaseFile } from '../../cli/node/state-check.js';
import { StateDb } from '../../cli/node/state-db.js';
import { openStateDir } from '../../cli/node/state-dir.js';
import { filledDb, liveTrees, overwrite, removeTempDirs, sampleRecord, seededBytes, tempDir } from './state-files.js';

afterEach(removeTempDirs);

const RECOVERY_HINT =
  /Start with --recover-state to move the damaged file aside \(to .+\.mdb\.damaged-<timestamp>\) and start with an empty database, keeping peer\.key/;

/** A state directory whose database holds `n` records; returns its paths. */
async function stateWith(n: number): Promise<{ dir: string; db: string; key: string }> {
  const dir = join(tempDir(), 'state');
  const state = await openStateDir(dir);
  for (let i = 0; i < n; i++) state.db.put('value', `${String(i).padStart(6, '0')}/00`, sampleRecord(i));
  await state.close();
  return { dir, db: join(dir, 'node.mdb'), key: join(dir, 'peer.key') };
}

async function damage(promise: Promise<unknown>): Promise<DamagedStateError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DamagedStateError);
  return error as DamagedStateError;
}

describe('a damaged state database is refused, never crashes the node, never starts it empty', () => {
  it('refuses a zero-length node.mdb (LMDB would start empty on it)', async () => {
    const { dir, db } = await stateWith(3);
    truncateSync(db, 0);
    const error = await damage(openStateDir(dir));
    expect(error.reason).toBe('the file is empty (0 bytes); a database that was never written has no file at all');
    expect(error.message).toMatch(RECOVERY_HINT);
    expect(exitCodeOf(error)).toBe(EXIT.damagedState);
    expect(EXIT.damagedState).toBe(4);
    expect(existsSync(join(dir, 'node.pid'))).toBe(false); // the lock is released
    expect(statSync(db).size).toBe(0); // and nothing was touched
    expect(() => StateDb.open(db)).toThrow(DamagedStateError);
  });

  it('refuses a truncated node.mdb, saying its length and the length its pages need (LMDB would SIGBUS)', async () => {
    const { dir, db } = await stateWith(200);
    const intact = checkDatabaseFile(db)!;
    const half = Math.floor(intact.bytes / 2 / intact.pageSize) * intact.pageSize;
    truncateSync(db, half);
    const error = await damage(openStateDir(dir));
    const truncated = /^the file is truncated: it is (\d+) bytes, its pages need at least (\d+) \(page (\d+) of the ([\w-]+) tree lies beyond its end\)$/.exec(
      error.reason,
    );
    expect(truncated, error.reason).not.toBeNull();
    const [bytes, needed, page] = [Number(truncated![1]), Number(truncated![2]), Number(truncated![3])];
    expect(bytes).toBe(half);
    expect(needed).toBeGreaterThan(half);
    expect(needed).toBeLessThanOrEqual(intact.bytes);
    expect(page * intact.pageSize).toBeGreaterThanOrEqual(half);
    expect(error.message).toMatch(RECOVERY_HINT);
    truncateSync(db, 5_000); // shorter than the two meta pages
    expect((await damage(StateDb.verify(db))).reason).toBe(`the file is truncated: it is 5000 bytes, its two meta pages need ${2 * intact.pageSize}`);
    truncateSync(db, 100);
    expect((await damage(StateDb.verify(db))).reason).toMatch(/^the file is truncated: it is 100 bytes, LMDB's first meta page alone needs \d+$/);
  });

  it('accepts a file that ends before the last page its meta names when the pages cut are free ones', async () => {
    // LMDB's last page counts free pages too, and pages it allocated and freed within a transaction are never
    // written: a healthy file may end before `last page + 1` pages. What must be in the file is what the trees
    // reach. Here: big values written then deleted leave free pages at the end; the file is cut there.
    const path = join(tempDir(), 'node.mdb');
    const db = StateDb.open(path);
    for (let i = 0; i < 20; i++) db.put('value', `bb/${i}`, { ...sampleRecord(i), record: seededBytes(i, 20_000) });
    for (let i = 0; i < 20; i++) db.delete('value', `bb/${i}`);
    db.put('value', 'aa/01', sampleRecord(1));
    await db.close();
    const info = checkDatabaseFile(path)!;
    const full = (info.lastPage + 1) * info.pageSize;
    const bytes = readFileSync(path);
    let pages = info.lastPage + 1; // down to the shortest length the check accepts
    for (; pages > 2; pages--) {
      writeFileSync(path, bytes.subarray(0, (pages - 1) * info.pageSize));
      try {
        checkDatabaseFile(path);
      } catch (error) {
        expect(error).toBeInstanceOf(DamagedStateError);
        break;
      }
    }
    writeFileSync(path, bytes.subarray(0, pages * info.pageSize));
    expect(pages * info.pageSize).toBeLessThan(full); // shorter than the meta's last page says, yet:
    expect(await StateDb.verify(path)).toMatchObject({ records: 1 }); // LMDB reads it all, in another process,
    const again = StateDb.open(path); // and writes to it
    for (let i = 0; i < 20; i++) again.put('value', `cc/${i}`, { ...sampleRecord(i), record: seededBytes(i, 20_000) });
    await again.close();
    expect(await StateDb.verify(path)).toMatchObject({ records: 21 });
  });

  it('refuses random bytes over a branch page, a leaf page, a meta page, the sync meta and a record (seeded)', async () => {
    const dir = tempDir();
    const intact = join(dir, 'intact.mdb');
    await filledDb(intact, 200);
    const { pageSize } = checkDatabaseFile(intact)!;
    const records = liveTrees(intact).get('records')!;
    expect(records.branches.length).toBeGreaterThan(0);
    expect(records.leaves.length).toBeGreaterThan(3);
    // The bytes of record 77 (structure intact, its msgpack value broken): only decoding it finds the damage.
    const file = readFileSync(intact);
    const record77 = file.indexOf(Buffer.from(sampleRecord(77).record));
    expect(record77).toBeGreaterThan(0);
    const cases: [string, number, Uint8Array][] = [
      ['branch page (root of the records tree)', records.root * pageSize, seededBytes(1, pageSize)],
      ['branch page, another seed', records.root * pageSize, seededBytes(2, pageSize)],
      ['leaf page', records.leaves[1]! * pageSize, seededBytes(1, pageSize)],
      ['leaf page, another seed', records.leaves[2]! * pageSize, seededBytes(2, pageSize)],
      ['second half of a leaf page', records.leaves[3]! * pageSize + pageSize / 2, seededBytes(3, pageSize / 2)],
      ['meta page 1', pageSize, seededBytes(1, pageSize)],
      ['meta page 0', 0, seededBytes(2, pageSize)],
      ['the sync meta in page 0', pageSize / 2, seededBytes(3, pageSize / 2)],
      ['the length of a record', record77 - 2, new Uint8Array([0xc4, 0x10])],
      ['the count in the records tree record', records.recordAt + 32, new Uint8Array([0xe8, 0x03])],
    ];
    const reasons: string[] = [];
    for (const [name, offset, bytes] of cases) {
      const path = join(dir, `damaged-${reasons.length}.mdb`);
      copyFileSync(intact, path);
      overwrite(path, offset, bytes);
      const error = await damage(StateDb.verify(path));
      expect(error.message, name).toMatch(RECOVERY_HINT);
      if (offset !== record77 - 2) expect(() => StateDb.open(path), name).toThrow(DamagedStateError); // found without LMDB
      reasons.push(error.reason);
    }
    expect(reasons.slice(0, 5)).toEqual([
      `page ${records.root} (records tree) names itself page 6696905611401742835`,
      `page ${records.root} (records tree) names itself page 13952501238224119473`,
      `page ${records.leaves[1]} (records tree) names itself page 6696905611401742835`,
      `page ${records.leaves[2]} (records tree) names itself page 13952501238224119473`,
      expect.stringMatching(new RegExp(`^page ${records.leaves[3]} \\(records tree\\) has a node (beyond its end|outside its free space)$`)),
    ]);
    expect(reasons.slice(5)).toEqual([
      'meta page 1 is not a meta page (its header flags are damaged)',
      'meta page 0 is not a meta page (its header flags are damaged)',
      expect.stringMatching(new RegExp(`^the sync meta \\(half way into page 0\\) names page size \\d+, meta page 0 ${pageSize}$`)),
      expect.stringMatching(/^(an entry in records does not decode: .+|a malformed entry in records under .+)$/),
      'the records tree holds 200 entries where its record says 1000',
    ]);
    expect(await StateDb.verify(intact)).toMatchObject({ existed: true, records: 200 });
  });

  it('reports a native crash of the check as damage, and this process lives on', async () => {
    // A crash LMDB cannot report (SIGSEGV, SIGBUS, an assertion's SIGABRT) ends the checking process only.
    // Here the checking process is made to die by SIGSEGV as it starts, as LMDB would on a bad page.
    const path = join(tempDir(), 'node.mdb');
    await filledDb(path, 3);
    const crash = join(tempDir(), 'crash.cjs');
    writeFileSync(crash, "process.kill(process.pid, 'SIGSEGV');\n");
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${before ?? ''} --require ${crash}`;
    try {
      expect((await damage(StateDb.verify(path))).reason).toBe('reading it crashed the integrity check (SIGSEGV)');
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
    expect(await StateDb.verify(path)).toMatchObject({ records: 3 });
  });

  it('with recover, moves the damaged file (and its lock) aside and starts empty, keeping peer.key', async () => {
    const { dir, db, key } = await stateWith(200);
    const keyBytes = readFileSync(key);
    const { pageSize } = checkDatabaseFile(db)!;
    truncateSync(db, 3 * pageSize);
    const state = await openStateDir(dir, { recover: true });
    expect(state.recovered?.movedTo).toMatch(/\/node\.mdb\.damaged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    expect(state.recovered?.reason).toMatch(new RegExp(`^the file is truncated: it is ${3 * pageSize} bytes`));
    expect(statSync(state.recovered!.movedTo).size).toBe(3 * pageSize); // kept as it was, for inspection
    expect(existsSync(`${state.recovered!.movedTo}-lock`)).toBe(true);
    expect(readFileSync(key)).toEqual(keyBytes);
    expect(state.db.size).toBe(0);
    state.db.put('value', 'aa/01', sampleRecord(1));
    expect([...state.db.entries('value')]).toEqual([sampleRecord(1)]);
    const mid = state.key.publicKey.midHex;
    await state.close();

    const again = await openStateDir(dir); // the fresh database is intact: no recover needed
    expect(again.recovered).toBeUndefined();
    expect(again.key.publicKey.midHex).toBe(mid);
    expect(again.db.count('value')).toBe(1);
    await again.close();
  });

  it('opens an intact directory without a report, and does not move anything with recover', async () => {
    const { dir } = await stateWith(5);
    const state = await openStateDir(dir, { recover: true });
    expect(state.recovered).toBeUndefined();
    expect(state.warnings).toEqual([]);
    expect(state.db.count('value')).toBe(5);
    await state.close();
  });
});

describe('the state directory keeps the database with its identity', () => {
  it('refuses a node.mdb whose peer.key is missing, rather than start it under a new identity', async () => {
    const { dir, db, key } = await stateWith(3);
    rmSync(key);
    const size = statSync(db).size;
    const error: unknown = await openStateDir(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeStartError);
    expect((error as Error).message).toMatch(
      /peer\.key is missing, so node\.mdb belongs to an identity whose key is gone .*restore .*peer\.key, or start with --recover-state/,
    );
    expect(existsSync(key)).toBe(false); // no new identity was made
    expect(statSync(db).size).toBe(size);
    expect(existsSync(join(dir, 'node.pid'))).toBe(false);

    const state = await openStateDir(dir, { recover: true });
    expect(state.recovered?.reason).toBe('peer.key is missing, so node.mdb belongs to an identity whose key is gone');
    expect(statSync(state.recovered!.movedTo).size).toBe(size);
    expect(existsSync(key)).toBe(true);
    expect(state.db.size).toBe(0);
    await state.close();
  });

  it('warns when peer.key is readable by group or others', async () => {
    const { dir, key } = await stateWith(0);
    chmodSync(key, 0o644);
    const state = await openStateDir(dir);
    expect(state.warnings).toEqual([
      `${key} is accessible to group or others (mode 0644); anyone who reads it can act as this node: chmod 600 ${key}`,
    ]);
    await state.close();
    chmodSync(key, 0o600);
    const again = await openStateDir(dir);
    expect(again.warnings).toEqual([]);
    await again.close();
  });

  it('creates nothing but the key when the directory is new (no node.mdb means fresh, not damaged)', async () => {
    const dir = join(tempDir(), 'fresh');
    const state = await openStateDir(dir);
    expect(state.recovered).toBeUndefined();
    expect(state.db.size).toBe(0);
    await state.close();
    expect(checkDatabaseFile(join(dir, 'node.mdb'))?.lastPage).toBeGreaterThan(1);
  });
});
