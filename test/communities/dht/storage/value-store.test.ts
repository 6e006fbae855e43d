import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TTL_MS } from '../../../../communities/dht/storage/store-types.js';
import type { ValueRecord } from '../../../../communities/dht/storage/value-record.js';
import { signRecord, unsignedRecord } from '../../../../communities/dht/storage/value-record.js';
import { ValueStore } from '../../../../communities/dht/storage/value-store.js';
import { InvalidArgumentError } from '../../../../framework/errors.js';
import { ManualClock } from '../../../../framework/time/manual-clock.js';
import { flipBit, keyOf, testKey, text, withFields } from './helpers.js';

const KEY = keyOf(1);
const MINUTE_MS = 60_000;
const alice = testKey(11);
const bob = testKey(12);

function setup(options: ConstructorParameters<typeof ValueStore>[1] = {}): { clock: ManualClock; store: ValueStore } {
  const clock = new ManualClock();
  return { clock, store: new ValueStore(clock, options) };
}

const versionsOf = (store: ValueStore, key = KEY): number[] => store.get(key).map((v) => v.record.version);

describe('ValueStore signed records', () => {
  it('keeps the newest version per publisher (v1, v3, then v2)', () => {
    const { store } = setup();
    expect(store.put(signRecord(alice, KEY, text('one'), 1), MINUTE_MS, 'store')).toBe('stored');
    expect(store.put(signRecord(alice, KEY, text('three'), 3), MINUTE_MS, 'store')).toBe('updated');
    expect(store.put(signRecord(alice, KEY, text('two'), 2), MINUTE_MS, 'store')).toBe('stale-version');
    expect(versionsOf(store)).toEqual([3]);
    expect(store.get(KEY)[0]!.record.data).toEqual(text('three'));
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(5);
    expect(store.stats).toMatchObject({ stored: 1, updated: 1, 'stale-version': 1 });
  });

  it('rejects a replay of an older, validly signed version', () => {
    const { store } = setup();
    const old = signRecord(alice, KEY, text('old'), 10);
    store.put(old, MINUTE_MS, 'store');
    store.put(signRecord(alice, KEY, text('new'), 20), MINUTE_MS, 'store');
    expect(store.put(old, MINUTE_MS, 'store')).toBe('stale-version');
    expect(store.get(KEY)[0]!.record.data).toEqual(text('new'));
  });

  it('keeps the first of two different records with the same version', () => {
    const { store } = setup();
    store.put(signRecord(alice, KEY, text('first'), 5), MINUTE_MS, 'store');
    expect(store.put(signRecord(alice, KEY, text('second'), 5), MINUTE_MS, 'store')).toBe('stale-version');
    expect(store.get(KEY)[0]!.record.data).toEqual(text('first'));
  });

  it('refreshes an identical record, extending its expiry to the later one', async () => {
    const { clock, store } = setup();
    const record = signRecord(alice, KEY, text('v'), 1);
    store.put(record, MINUTE_MS, 'store');
    const firstExpiry = store.get(KEY)[0]!.expiresAt;
    await clock.advance(30_000);
    expect(store.put(record, MINUTE_MS, 'store')).toBe('refreshed');
    expect(store.get(KEY)[0]!.expiresAt).toBe(firstExpiry + 30_000);
    expect(store.put(record, 1_000, 'store')).toBe('refreshed');
    expect(store.get(KEY)[0]!.expiresAt).toBe(firstExpiry + 30_000);
    expect(store.size).toBe(1);
  });

  it('never stores a forged record', () => {
    const { store } = setup();
    const forged = withFields(signRecord(alice, KEY, text('real'), 1), { data: text('fake') });
    expect(store.put(forged, MINUTE_MS, 'store')).toBe('bad-signature');
    const flipped = signRecord(alice, KEY, text('x'), 1);
    expect(store.put(withFields(flipped, { signature: flipBit(flipped.signature!) }), MINUTE_MS, 'store')).toBe(
      'bad-signature',
    );
    expect(store.get(KEY)).toEqual([]);
    expect(store.size).toBe(0);
    expect(store.keyCount).toBe(0);
    expect(store.stats['bad-signature']).toBe(2);
  });

  it('does not let a forged higher version replace a genuine one', () => {
    const { store } = setup();
    store.put(signRecord(alice, KEY, text('real'), 1), MINUTE_MS, 'store');
    const forged = withFields(signRecord(alice, KEY, text('real'), 1), { version: 2 });
    expect(store.put(forged, MINUTE_MS, 'store')).toBe('bad-signature');
    expect(versionsOf(store)).toEqual([1]);
  });

  it('keeps one record per publisher, ordered by publisher mid, before unsigned ones', () => {
    const { store } = setup();
    store.put(unsignedRecord(KEY, text('plain')), MINUTE_MS, 'store');
    store.put(signRecord(bob, KEY, text('b'), 1), MINUTE_MS, 'store');
    store.put(signRecord(alice, KEY, text('a'), 1), MINUTE_MS, 'store');
    const mids = [alice.publicKey.midHex, bob.publicKey.midHex].sort();
    const got = store.get(KEY);
    expect(got).toHaveLength(3);
    expect(got.slice(0, 2).map((v) => (v.record.data[0] === 0x61 ? alice : bob).publicKey.midHex)).toEqual(mids);
    expect(got[2]!.record.signature).toBeUndefined();
  });
});

describe('ValueStore unsigned records', () => {
  it('deduplicates identical data, refreshing the expiry', async () => {
    const { clock, store } = setup();
    expect(store.put(unsignedRecord(KEY, text('same')), MINUTE_MS, 'store')).toBe('stored');
    await clock.advance(10_000);
    expect(store.put(unsignedRecord(KEY, text('same')), MINUTE_MS, 'store')).toBe('refreshed');
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(4);
    expect(store.get(KEY)[0]!.expiresAt).toBe(clock.now() + MINUTE_MS);
  });

  it('accumulates up to the bound, then evicts the soonest-expiring only for a later one', async () => {
    const { clock, store } = setup({ maxUnsignedPerKey: 3 });
    // 1 ms apart, so get() orders them by storedAt.
    expect(store.put(unsignedRecord(KEY, text('a')), 3 * MINUTE_MS, 'store')).toBe('stored');
    await clock.advance(1);
    expect(store.put(unsignedRecord(KEY, text('b')), 1 * MINUTE_MS, 'store')).toBe('stored');
    await clock.advance(1);
    expect(store.put(unsignedRecord(KEY, text('c')), 2 * MINUTE_MS, 'store')).toBe('stored');
    await clock.advance(1);
    // 'd' would expire no later than the soonest ('b'): refused.
    expect(store.put(unsignedRecord(KEY, text('d')), MINUTE_MS - 2, 'store')).toBe('full');
    // 'e' expires later than 'b': 'b' is evicted.
    expect(store.put(unsignedRecord(KEY, text('e')), 5 * MINUTE_MS, 'store')).toBe('stored');
    const datas = store.get(KEY).map((v) => new TextDecoder().decode(v.record.data));
    expect(datas).toEqual(['a', 'c', 'e']);
    expect(store.evictions).toBe(1);
    expect(store.size).toBe(3);
    // Signed records do not count against the unsigned bound.
    expect(store.put(signRecord(alice, KEY, text('s'), 1), MINUTE_MS, 'store')).toBe('stored');
    // Once some expire, there is room again without eviction.
    await clock.advance(2 * MINUTE_MS);
    expect(store.put(unsignedRecord(KEY, text('f')), 10_000, 'store')).toBe('stored');
    expect(store.get(KEY).map((v) => new TextDecoder().decode(v.record.data))).toEqual(['a', 'e', 'f']);
    expect(store.evictions).toBe(1);
  });

  it('does not let a cached record evict a stored one', () => {
    const { store } = setup({ maxUnsignedPerKey: 1 });
    store.put(unsignedRecord(KEY, text('stored')), MINUTE_MS, 'store');
    expect(store.put(unsignedRecord(KEY, text('cached')), 10 * MINUTE_MS, 'cache')).toBe('full');
    expect(store.put(unsignedRecord(KEY, text('stored2')), 10 * MINUTE_MS, 'store')).toBe('stored');
    expect(store.get(KEY).map((v) => v.record.data)).toEqual([text('stored2')]);
  });

  it('never shortens a stored entry\'s expiry or downgrades its origin through the cache', () => {
    const { store } = setup();
    store.put(unsignedRecord(KEY, text('v')), 10 * MINUTE_MS, 'store');
    const before = store.get(KEY)[0]!;
    expect(store.put(unsignedRecord(KEY, text('v')), MINUTE_MS, 'cache')).toBe('refreshed');
    const after = store.get(KEY)[0]!;
    expect(after.expiresAt).toBe(before.expiresAt);
    expect(after.origin).toBe('store');
    expect(store.put(unsignedRecord(KEY, text('v')), MINUTE_MS, 'local')).toBe('refreshed');
    expect(store.get(KEY)[0]!.origin).toBe('local');
  });
});

describe('ValueStore expiry', () => {
  it('serves a 60 s value at 59 s but not at 61 s; sweep removes it', async () => {
    const { clock, store } = setup();
    store.put(signRecord(alice, KEY, text('hello'), 1), 60_000, 'store');
    store.put(unsignedRecord(keyOf(2), text('other')), 10 * MINUTE_MS, 'store');
    expect(store.size).toBe(2);
    expect(store.bytes).toBe(10);
    await clock.advance(59_000);
    expect(versionsOf(store)).toEqual([1]);
    expect(store.keys()).toEqual([KEY, keyOf(2)]);
    await clock.advance(2_000);
    expect(store.get(KEY)).toEqual([]);
    expect(store.keys()).toEqual([keyOf(2)]);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(5);
    expect(store.keyCount).toBe(1);
    expect(store.sweep()).toBe(0);
  });

  it('treats an expired signed record as absent, so an older version may be stored again', async () => {
    const { clock, store } = setup();
    store.put(signRecord(alice, KEY, text('new'), 9), 1_000, 'store');
    await clock.advance(1_000);
    expect(store.put(signRecord(alice, KEY, text('old'), 3), MINUTE_MS, 'store')).toBe('stored');
    expect(versionsOf(store)).toEqual([3]);
    expect(store.size).toBe(1);
  });

  it('refuses a TTL <= 0 and clamps long TTLs', () => {
    const { clock, store } = setup({ maxTtlMs: 5 * MINUTE_MS });
    expect(store.put(unsignedRecord(KEY, text('a')), 0, 'store')).toBe('expired');
    expect(store.put(unsignedRecord(KEY, text('a')), -5, 'store')).toBe('expired');
    expect(store.put(unsignedRecord(KEY, text('a')), Number.NaN, 'store')).toBe('expired');
    expect(store.put(unsignedRecord(KEY, text('a')), DEFAULT_MAX_TTL_MS * 10, 'store')).toBe('stored');
    expect(store.get(KEY)[0]!.expiresAt).toBe(clock.now() + 5 * MINUTE_MS);
  });
});

describe('ValueStore limits', () => {
  it('rejects data over maxDataBytes', () => {
    const { store } = setup({ maxDataBytes: 16 });
    expect(store.put(unsignedRecord(KEY, new Uint8Array(16)), MINUTE_MS, 'store')).toBe('stored');
    expect(store.put(unsignedRecord(KEY, new Uint8Array(17)), MINUTE_MS, 'store')).toBe('too-large');
    expect(store.put(signRecord(alice, KEY, new Uint8Array(17), 1), MINUTE_MS, 'store')).toBe('too-large');
    expect(store.size).toBe(1);
  });

  it('rejects 1025 bytes by default', () => {
    const { store } = setup();
    expect(store.put(unsignedRecord(KEY, new Uint8Array(1024)), MINUTE_MS, 'store')).toBe('stored');
    expect(store.put(unsignedRecord(KEY, new Uint8Array(1025)), MINUTE_MS, 'store')).toBe('too-large');
  });

  it('rejects malformed records as invalid', () => {
    const { store } = setup();
    const record = signRecord(alice, KEY, text('x'), 1);
    expect(store.put(withFields(record, { signature: undefined }), MINUTE_MS, 'store')).toBe('invalid');
    expect(store.put(withFields(record, { key: new Uint8Array(3) }), MINUTE_MS, 'store')).toBe('invalid');
    expect(store.put(record, MINUTE_MS, 'bogus' as 'store')).toBe('invalid');
    expect(store.put(record, MINUTE_MS, 'toString' as 'store')).toBe('invalid');
    expect(store.stats.invalid).toBe(4);
    expect(store.size).toBe(0);
  });

  it('enforces maxKeys, after sweeping expired entries', async () => {
    const { clock, store } = setup({ maxKeys: 2 });
    expect(store.put(unsignedRecord(keyOf(1), text('a')), 1_000, 'store')).toBe('stored');
    expect(store.put(unsignedRecord(keyOf(2), text('b')), MINUTE_MS, 'store')).toBe('stored');
    expect(store.put(unsignedRecord(keyOf(3), text('c')), MINUTE_MS, 'store')).toBe('full');
    // An existing key still takes more records.
    expect(store.put(unsignedRecord(keyOf(2), text('b2')), MINUTE_MS, 'store')).toBe('stored');
    await clock.advance(1_000);
    expect(store.put(unsignedRecord(keyOf(3), text('c')), MINUTE_MS, 'store')).toBe('stored');
    expect(store.keys()).toEqual([keyOf(2), keyOf(3)]);
  });

  it('enforces maxEntries, after sweeping expired entries', async () => {
    const { clock, store } = setup({ maxEntries: 2 });
    expect(store.put(unsignedRecord(KEY, text('a')), 1_000, 'store')).toBe('stored');
    expect(store.put(signRecord(alice, KEY, text('b'), 1), MINUTE_MS, 'store')).toBe('stored');
    expect(store.put(signRecord(bob, keyOf(2), text('c'), 1), MINUTE_MS, 'store')).toBe('full');
    // Replacing a publisher's record needs no new room.
    expect(store.put(signRecord(alice, KEY, text('b2'), 2), MINUTE_MS, 'store')).toBe('updated');
    await clock.advance(1_000);
    expect(store.put(signRecord(bob, keyOf(2), text('c'), 1), MINUTE_MS, 'store')).toBe('stored');
    expect(store.size).toBe(2);
    expect(store.stats.full).toBe(1);
  });

  it('validates its options', () => {
    const clock = new ManualClock();
    expect(() => new ValueStore(clock, { maxKeys: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ValueStore(clock, { maxTtlMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => new ValueStore(clock, { maxDataBytes: 1.5 })).toThrow(InvalidArgumentError);
  });

  it('copies records, so the caller changing its arrays does not change the store', () => {
    const { store } = setup();
    const data = text('abc');
    const record = unsignedRecord(KEY, text('abc'));
    store.put(record, MINUTE_MS, 'store');
    (record.data as Uint8Array)[0] = 0x7a;
    expect(store.get(KEY)[0]!.record.data).toEqual(data);
    expect(store.bytes).toBe(3);
  });
});

describe('ValueStore replication', () => {
  it('reports store and local entries due after the interval, never cached ones', async () => {
    const { clock, store } = setup();
    const interval = 10 * MINUTE_MS;
    store.put(signRecord(alice, KEY, text('stored'), 1), 60 * MINUTE_MS, 'store');
    store.put(unsignedRecord(KEY, text('local')), 60 * MINUTE_MS, 'local');
    store.put(unsignedRecord(keyOf(2), text('cached')), 60 * MINUTE_MS, 'cache');
    expect(store.entriesDueForReplication(clock.now(), interval)).toEqual([]);
    await clock.advance(interval - 1);
    expect(store.entriesDueForReplication(clock.now(), interval)).toEqual([]);
    await clock.advance(1);
    const due = store.entriesDueForReplication(clock.now(), interval);
    expect(due.map((d) => d.origin)).toEqual(['store', 'local']);
    expect(store.markReplicated(due[0]!, clock.now())).toBe(true);
    expect(store.entriesDueForReplication(clock.now(), interval).map((d) => d.origin)).toEqual(['local']);
    await clock.advance(interval);
    expect(store.entriesDueForReplication(clock.now(), interval)).toHaveLength(2);
  });

  it('does not report expired entries, and markReplicated reports unknown records', async () => {
    const { clock, store } = setup();
    const record = unsignedRecord(KEY, text('short'));
    store.put(record, MINUTE_MS, 'store');
    await clock.advance(MINUTE_MS);
    expect(store.entriesDueForReplication(clock.now(), 1_000)).toEqual([]);
    store.sweep();
    expect(store.markReplicated({ record })).toBe(false);
  });
});

describe('ValueStore model (property)', () => {
  const publishers = [alice, bob, testKey(13)];
  // Pre-signed candidates: publisher × version × data variant.
  const pool: ValueRecord[] = [];
  for (const p of publishers) {
    for (let version = 1; version <= 4; version++) {
      for (const variant of ['x', 'y']) pool.push(signRecord(p, KEY, text(`${variant}${version}`), version));
    }
  }

  it('holds, per publisher, the highest version offered, first data wins on ties', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(pool.length - 1), { maxLength: 40 }), (picks) => {
        const { store } = setup();
        const model = new Map<string, ValueRecord>();
        for (const i of picks) {
          const record = pool[i]!;
          const mid = Buffer.from(record.publicKey!).toString('hex');
          const held = model.get(mid);
          const verdict = store.put(record, MINUTE_MS, 'store');
          if (held === undefined) expect(verdict).toBe('stored');
          else if (record.version > held.version) expect(verdict).toBe('updated');
          else if (record === held || (record.version === held.version && record.data.join() === held.data.join())) {
            expect(verdict).toBe('refreshed');
          } else expect(verdict).toBe('stale-version');
          if (held === undefined || record.version > held.version) model.set(mid, record);
        }
        const got = store.get(KEY).map((v) => `${v.record.version}:${v.record.data.join()}`).sort();
        const want = [...model.values()].map((r) => `${r.version}:${r.data.join()}`).sort();
        expect(got).toEqual(want);
        expect(store.size).toBe(model.size);
      }),
      { numRuns: 200 },
    );
  });
});
