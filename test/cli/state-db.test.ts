import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import type { PersistedRecord } from '../../communities/dht/records/datastore.js';
import { InvalidArgumentError } from '../../framework/errors.js';
import { StateError } from '../../cli/errors.js';
import { STATE_SCHEMA_VERSION, StateDb } from '../../cli/node/state-db.js';
import { removeTempDirs, sampleRecord, tempDir, writeSchema1Db } from './state-files.js';

afterEach(removeTempDirs);

const plain = (b: Uint8Array): boolean => Object.getPrototypeOf(b) === Uint8Array.prototype;

describe('StateDb as the record engine datastore', () => {
  it('keeps records of two types apart through put, entries, delete and sweep', async () => {
    const path = join(tempDir(), 'node.mdb');
    const db = StateDb.open(path);
    const now = Date.now();
    db.put('value', 'aa/01', sampleRecord(1, now + 10_000));
    db.put('value', 'aa/02', sampleRecord(2, now - 1));
    db.put('bag', 'aa/01', { ...sampleRecord(3, now + 20_000), origin: 'local' });
    db.put('bag-index', 'zz/01', sampleRecord(4, now + 20_000)); // a type whose name extends another's

    const values = [...db.entries('value')];
    expect(values.map((e) => e.expiresAt)).toEqual([now + 10_000, now - 1]);
    expect(values[0]).toEqual(sampleRecord(1, now + 10_000));
    expect([...db.entries('bag')]).toEqual([{ ...sampleRecord(3, now + 20_000), origin: 'local' }]);
    expect(db.count('value')).toBe(2);
    expect(db.count('bag')).toBe(1);
    expect(db.count('namespace')).toBe(0);
    expect([...db.entries('namespace')]).toEqual([]);
    expect(db.size).toBe(4);

    db.put('value', 'aa/01', { ...sampleRecord(9, now + 30_000), origin: 'cache' }); // replaces
    expect([...db.entries('value')][0]).toEqual({ ...sampleRecord(9, now + 30_000), origin: 'cache' });
    expect(db.sweep(now)).toBe(1);
    expect([...db.entries('value')].map((e) => e.expiresAt)).toEqual([now + 30_000]);
    db.delete('bag', 'aa/01');
    db.delete('bag', 'aa/01'); // absent: a no-op
    expect(db.count('bag')).toBe(0);
    expect(db.count('value')).toBe(1);
    await db.close();

    const again = StateDb.open(path);
    expect([...again.entries('value')]).toEqual([{ ...sampleRecord(9, now + 30_000), origin: 'cache' }]);
    expect([...again.entries('bag-index')]).toHaveLength(1);
    await again.close();
  });

  it('returns plain Uint8Arrays, not Buffers, that later reads do not overwrite', async () => {
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    db.put('value', 'aa/01', sampleRecord(1));
    db.put('value', 'aa/02', sampleRecord(2));
    const [first, second] = [...db.entries('value')] as [PersistedRecord, PersistedRecord];
    expect(plain(first.location) && plain(first.record) && plain(second.record)).toBe(true);
    expect(first.record).toEqual(sampleRecord(1).record);
    expect(second.record).toEqual(sampleRecord(2).record);
    await db.close();
  });

  it('iterates a snapshot, so the engine may write while it reads', async () => {
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    for (let i = 0; i < 20; i++) db.put('value', `aa/${String(i).padStart(2, '0')}`, sampleRecord(i));
    const seen: Uint8Array[] = [];
    for (const entry of db.entries('value')) {
      db.delete('value', `aa/${String(seen.length).padStart(2, '0')}`); // the one just read (ids are in order)
      seen.push(entry.location);
      db.put('value', `zz/${seen.length}`, sampleRecord(100 + seen.length)); // after the snapshot: not seen
    }
    expect(seen.map((l) => l[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(db.count('value')).toBe(20);
    expect([...db.entries('value')].every((e) => e.location[0]! > 100)).toBe(true);
    await db.close();
  });

  it('refuses malformed types, ids and entries with a named error', async () => {
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    expect(() => db.put('Value', 'aa/01', sampleRecord(1))).toThrow(InvalidArgumentError);
    expect(() => db.put('va/lue', 'aa/01', sampleRecord(1))).toThrow(InvalidArgumentError);
    expect(() => db.entries('').next()).toThrow(InvalidArgumentError);
    expect(() => db.put('value', '', sampleRecord(1))).toThrow(InvalidArgumentError);
    expect(() => db.put('value', 'aa/01', { ...sampleRecord(1), expiresAt: Number.NaN })).toThrow(/expiresAt/);
    expect(() => db.put('value', 'aa/01', { ...sampleRecord(1), origin: 'elsewhere' as 'store' })).toThrow(/origin/);
    expect(() => db.put('value', 'aa/01', { ...sampleRecord(1), record: [1, 2] as unknown as Uint8Array })).toThrow(/Uint8Array/);
    expect(db.size).toBe(0);
    await db.close();
    expect(() => db.put('value', 'aa/01', sampleRecord(1))).toThrow(StateError);
  });
});

describe('StateDb durability', () => {
  it('has committed a record when put returns: another process and another instance read it at once', async () => {
    const path = join(tempDir(), 'node.mdb');
    const db = StateDb.open(path);
    for (let i = 0; i < 20; i++) db.put('value', `aa/${i}`, sampleRecord(i));
    db.delete('value', 'aa/0');
    // The first database stays open; nothing has been closed or flushed by hand.
    const reader = StateDb.open(path);
    expect(reader.count('value')).toBe(19);
    // A separate process (the integrity check's child) sees exactly what a process started after kill -9 would.
    const report = await StateDb.verify(path);
    expect(report).toMatchObject({ existed: true, records: 19, legacyValues: 0 });
    await reader.close();
    await db.close();
  });
});

describe('StateDb schema', () => {
  it('keeps schema 1 values readable until they are dropped, then marks the file schema 2', async () => {
    const path = join(tempDir(), 'node.mdb');
    await writeSchema1Db(path, 500); // as peerlay wrote it before the record engine

    const db = StateDb.open(path);
    expect(db.schema).toBe(1);
    const legacy = [...db.legacyValues()];
    expect(legacy).toHaveLength(502);
    expect(legacy.slice(0, 2).map((v) => [v.id, v.version, v.origin, [...v.data]])).toEqual([
      ['ab', 3, 'local', [1, 2]],
      ['cd', 0, 'store', [3]],
    ]);
    expect(plain(legacy[0]!.key) && plain(legacy[0]!.data) && plain(legacy[0]!.publicKey!) && plain(legacy[0]!.signature!)).toBe(true);
    expect(legacy[1]!.publicKey).toBeUndefined();
    expect(await StateDb.verify(path)).toMatchObject({ records: 0, legacyValues: 502 });
    db.put('value', '0707/ab', sampleRecord(1)); // the node re-imports through the engine...
    expect(db.dropLegacyValues()).toBe(502); // ...then drops the old entries
    expect(db.schema).toBe(STATE_SCHEMA_VERSION);
    expect([...db.legacyValues()]).toEqual([]);
    await db.close();

    const again = StateDb.open(path);
    expect(again.schema).toBe(2);
    expect(again.size).toBe(1);
    await again.close();
    expect(await StateDb.verify(path)).toMatchObject({ records: 1, legacyValues: 0 });
  });

  it('counts and sweeps schema 1 values with the records until they are dropped', async () => {
    const path = join(tempDir(), 'node.mdb');
    await writeSchema1Db(path, 0); // ab expires at 5, cd at 6
    const db = StateDb.open(path);
    db.put('value', '0303/dd', sampleRecord(1, 5));
    db.put('value', '0303/ee', sampleRecord(2, 30));
    expect(db.size).toBe(4);
    expect(db.sweep(5)).toBe(2); // ab, and the record that expired at 5
    expect([...db.legacyValues()].map((v) => v.id)).toEqual(['cd']);
    expect([...db.entries('value')].map((e) => e.expiresAt)).toEqual([30]);
    expect(db.size).toBe(2);
    await db.close();
  });

  it('refuses a schema it does not know', async () => {
    const path = join(tempDir(), 'node.mdb');
    const future = open({ path, noSubdir: true, maxDbs: 4, compression: false });
    future.openDB({ name: 'meta', encoding: 'msgpack' }).putSync('schema', 3);
    await future.close();
    expect(() => StateDb.open(path)).toThrow(/has schema 3; this peerlay reads 1 and 2/);
  });

  it('writes schema 2 into a new file', async () => {
    const path = join(tempDir(), 'node.mdb');
    const db = StateDb.open(path);
    expect(db.schema).toBe(STATE_SCHEMA_VERSION);
    await db.close();
    expect(await StateDb.verify(path)).toMatchObject({ existed: true, records: 0, legacyValues: 0 });
  });
});
