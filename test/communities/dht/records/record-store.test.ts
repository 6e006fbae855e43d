/**
 * The record engine's store with the value policy: newest version per publisher, unsigned values
 * deduplicated and capped per key, expiry, caps per key class and per node, replication bookkeeping, and
 * a model check of the version rule. (Quotas per source and IP group: test/hardening/storage-quota.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordStore } from '../../../../communities/dht/records/record-store.js';
import { resolveDHTSettings } from '../../../../communities/dht/settings.js';
import type { RecordStoreOptions } from '../../../../communities/dht/records/store-limits.js';
import type { ValueRecord } from '../../../../communities/dht/storage/value-record.js';
import { signRecord, unsignedRecord } from '../../../../communities/dht/storage/value-record.js';
import { valueId, valuePolicy } from '../../../../communities/dht/value-policy.js';
import type { ValuePolicyLimits } from '../../../../communities/dht/value-policy.js';
import { InvalidArgumentError } from '../../../../framework/errors.js';
import { ManualClock } from '../../../../framework/time/manual-clock.js';
import { toHex } from '../../../../framework/util/bytes.js';
import { flipBit, keyOf, testKey, text, withFields } from '../storage/helpers.js';

const KEY = keyOf(1);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const alice = testKey(11);
const bob = testKey(12);

/** The DHT's default value limits. */
const LIMITS: ValuePolicyLimits = { maxDataBytes: 1_024, maxUnsignedPerKey: 64, maxSignedPerKey: 1_024, maxPerGroupPerKey: 32, maxTtlMs: DAY_MS };

function setup(limits: Partial<ValuePolicyLimits> = {}, options: RecordStoreOptions = {}): { clock: ManualClock; store: RecordStore<ValueRecord> } {
  const clock = new ManualClock();
  return { clock, store: new RecordStore(valuePolicy({ ...LIMITS, ...limits }), clock, options) };
}

const STORE = { origin: 'store' } as const;
const CACHE = { origin: 'cache' } as const;
const LOCAL = { origin: 'local' } as const;
const versionsOf = (store: RecordStore<ValueRecord>, key = KEY): number[] => store.get(key).map((v) => v.record.version);
const datasOf = (store: RecordStore<ValueRecord>, key = KEY): string[] => store.get(key).map((v) => new TextDecoder().decode(v.record.data));

describe('RecordStore (values): signed records', () => {
  it('keeps the newest version per publisher (v1, v3, then v2)', () => {
    const { store } = setup();
    expect(store.put(signRecord(alice, KEY, text('one'), 1), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(signRecord(alice, KEY, text('three'), 3), MINUTE_MS, STORE)).toBe('updated');
    expect(store.put(signRecord(alice, KEY, text('two'), 2), MINUTE_MS, STORE)).toBe('stale');
    expect(versionsOf(store)).toEqual([3]);
    expect(store.get(KEY)[0]!.record.data).toEqual(text('three'));
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(5);
    expect(store.verdicts).toMatchObject({ stored: 1, updated: 1, stale: 1 });
  });

  it('rejects a replay of an older, validly signed version', () => {
    const { store } = setup();
    const old = signRecord(alice, KEY, text('old'), 10);
    store.put(old, MINUTE_MS, STORE);
    store.put(signRecord(alice, KEY, text('new'), 20), MINUTE_MS, STORE);
    expect(store.put(old, MINUTE_MS, STORE)).toBe('stale');
    expect(store.get(KEY)[0]!.record.data).toEqual(text('new'));
  });

  it('keeps the first of two different records with the same version', () => {
    const { store } = setup();
    store.put(signRecord(alice, KEY, text('first'), 5), MINUTE_MS, STORE);
    expect(store.put(signRecord(alice, KEY, text('second'), 5), MINUTE_MS, STORE)).toBe('stale');
    expect(store.get(KEY)[0]!.record.data).toEqual(text('first'));
  });

  it('refreshes an identical record, extending its expiry to the later one', async () => {
    const { clock, store } = setup();
    const record = signRecord(alice, KEY, text('v'), 1);
    store.put(record, MINUTE_MS, STORE);
    const firstExpiry = store.get(KEY)[0]!.expiresAt;
    await clock.advance(30_000);
    expect(store.put(record, MINUTE_MS, STORE)).toBe('refreshed');
    expect(store.get(KEY)[0]!.expiresAt).toBe(firstExpiry + 30_000);
    expect(store.put(record, 1_000, STORE)).toBe('refreshed');
    expect(store.get(KEY)[0]!.expiresAt).toBe(firstExpiry + 30_000);
    expect(store.size).toBe(1);
  });

  it('never stores a forged record', () => {
    const { store } = setup();
    const forged = withFields(signRecord(alice, KEY, text('real'), 1), { data: text('fake') });
    expect(store.put(forged, MINUTE_MS, STORE)).toBe('bad-signature');
    const flipped = signRecord(alice, KEY, text('x'), 1);
    expect(store.put(withFields(flipped, { signature: flipBit(flipped.signature!) }), MINUTE_MS, STORE)).toBe('bad-signature');
    expect(store.get(KEY)).toEqual([]);
    expect(store.size).toBe(0);
    expect(store.locationCount).toBe(0);
    expect(store.verdicts['bad-signature']).toBe(2);
  });

  it('does not let a forged higher version replace a genuine one', () => {
    const { store } = setup();
    store.put(signRecord(alice, KEY, text('real'), 1), MINUTE_MS, STORE);
    const forged = withFields(signRecord(alice, KEY, text('real'), 1), { version: 2 });
    expect(store.put(forged, MINUTE_MS, STORE)).toBe('bad-signature');
    expect(versionsOf(store)).toEqual([1]);
  });

  it('keeps one record per publisher, ordered by publisher mid, before unsigned ones', () => {
    const { store } = setup();
    store.put(unsignedRecord(KEY, text('plain')), MINUTE_MS, STORE);
    store.put(signRecord(bob, KEY, text('b'), 1), MINUTE_MS, STORE);
    store.put(signRecord(alice, KEY, text('a'), 1), MINUTE_MS, STORE);
    const mids = [alice.publicKey.midHex, bob.publicKey.midHex].sort();
    const got = store.get(KEY);
    expect(got).toHaveLength(3);
    expect(got.slice(0, 2).map((v) => (v.record.data[0] === 0x61 ? alice : bob).publicKey.midHex)).toEqual(mids);
    expect(got[2]!.record.signature).toBeUndefined();
    // A record's id is its place in a page: 0x01 | publisher mid, 0x02 | SHA-256(data).
    expect(got.map((v) => v.idHex)).toEqual(got.map((v) => toHex(valueId(v.record))));
  });

  it('caps signed records (publishers) per key at maxSignedPerKey, class `default`, apart from unsigned ones', () => {
    const { store } = setup({ maxSignedPerKey: 2, maxUnsignedPerKey: 1 });
    expect(store.put(signRecord(alice, KEY, text('a'), 1), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(signRecord(bob, KEY, text('b'), 1), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(unsignedRecord(KEY, text('u')), MINUTE_MS, STORE)).toBe('stored');
    // A third publisher expiring no later than the held ones is refused; a held publisher still updates.
    expect(store.put(signRecord(testKey(13), KEY, text('c'), 1), MINUTE_MS, STORE)).toBe('full');
    expect(store.put(signRecord(alice, KEY, text('a2'), 2), MINUTE_MS, STORE)).toBe('updated');
    expect(store.get(KEY)).toHaveLength(3);
  });
});

describe('RecordStore (values): unsigned records', () => {
  it('deduplicates identical data, refreshing the expiry', async () => {
    const { clock, store } = setup();
    expect(store.put(unsignedRecord(KEY, text('same')), MINUTE_MS, STORE)).toBe('stored');
    await clock.advance(10_000);
    expect(store.put(unsignedRecord(KEY, text('same')), MINUTE_MS, STORE)).toBe('refreshed');
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(4);
    expect(store.get(KEY)[0]!.expiresAt).toBe(clock.now() + MINUTE_MS);
  });

  it('accumulates up to the bound, then evicts the soonest-expiring only for a later one', async () => {
    const { clock, store } = setup({ maxUnsignedPerKey: 3 });
    expect(store.put(unsignedRecord(KEY, text('a')), 3 * MINUTE_MS, STORE)).toBe('stored');
    await clock.advance(1);
    expect(store.put(unsignedRecord(KEY, text('b')), 1 * MINUTE_MS, STORE)).toBe('stored');
    await clock.advance(1);
    expect(store.put(unsignedRecord(KEY, text('c')), 2 * MINUTE_MS, STORE)).toBe('stored');
    await clock.advance(1);
    // 'd' would expire no later than the soonest ('b'): refused.
    expect(store.put(unsignedRecord(KEY, text('d')), MINUTE_MS - 2, STORE)).toBe('full');
    // 'e' expires later than 'b': 'b' is evicted.
    expect(store.put(unsignedRecord(KEY, text('e')), 5 * MINUTE_MS, STORE)).toBe('stored');
    expect(datasOf(store).sort()).toEqual(['a', 'c', 'e']);
    expect(store.evictions).toBe(1);
    expect(store.size).toBe(3);
    // Signed records do not count against the unsigned bound.
    expect(store.put(signRecord(alice, KEY, text('s'), 1), MINUTE_MS, STORE)).toBe('stored');
    // Once some expire, there is room again without eviction.
    await clock.advance(2 * MINUTE_MS);
    expect(store.put(unsignedRecord(KEY, text('f')), 10_000, STORE)).toBe('stored');
    expect(store.get(KEY).filter((v) => v.record.signature === undefined).map((v) => new TextDecoder().decode(v.record.data)).sort()).toEqual(['a', 'e', 'f']);
    expect(store.evictions).toBe(1);
  });

  it('does not let a cached record evict a stored one', () => {
    const { store } = setup({ maxUnsignedPerKey: 1 });
    store.put(unsignedRecord(KEY, text('stored')), MINUTE_MS, STORE);
    expect(store.put(unsignedRecord(KEY, text('cached')), 10 * MINUTE_MS, CACHE)).toBe('full');
    expect(store.put(unsignedRecord(KEY, text('stored2')), 10 * MINUTE_MS, STORE)).toBe('stored');
    expect(store.get(KEY).map((v) => v.record.data)).toEqual([text('stored2')]);
  });

  it("never shortens a stored entry's expiry or downgrades its origin through the cache", () => {
    const { store } = setup();
    store.put(unsignedRecord(KEY, text('v')), 10 * MINUTE_MS, STORE);
    const before = store.get(KEY)[0]!;
    expect(store.put(unsignedRecord(KEY, text('v')), MINUTE_MS, CACHE)).toBe('refreshed');
    const after = store.get(KEY)[0]!;
    expect(after.expiresAt).toBe(before.expiresAt);
    expect(after.origin).toBe('store');
    expect(store.put(unsignedRecord(KEY, text('v')), MINUTE_MS, LOCAL)).toBe('refreshed');
    expect(store.get(KEY)[0]!.origin).toBe('local');
  });
});

describe('RecordStore (values): expiry', () => {
  it('serves a 60 s value at 59 s but not at 61 s; sweep removes it', async () => {
    const { clock, store } = setup();
    store.put(signRecord(alice, KEY, text('hello'), 1), 60_000, STORE);
    store.put(unsignedRecord(keyOf(2), text('other')), 10 * MINUTE_MS, STORE);
    expect(store.size).toBe(2);
    expect(store.bytes).toBe(10);
    await clock.advance(59_000);
    expect(versionsOf(store)).toEqual([1]);
    expect(store.locations()).toEqual([KEY, keyOf(2)]);
    await clock.advance(2_000);
    expect(store.get(KEY)).toEqual([]);
    expect(store.locations()).toEqual([keyOf(2)]);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(5);
    expect(store.locationCount).toBe(1);
    expect(store.sweep()).toBe(0);
  });

  it('treats an expired signed record as absent, so an older version may be stored again', async () => {
    const { clock, store } = setup();
    store.put(signRecord(alice, KEY, text('new'), 9), 1_000, STORE);
    await clock.advance(1_000);
    expect(store.put(signRecord(alice, KEY, text('old'), 3), MINUTE_MS, STORE)).toBe('stored');
    expect(versionsOf(store)).toEqual([3]);
    expect(store.size).toBe(1);
  });

  it('refuses a TTL <= 0 and clamps long TTLs', () => {
    const { clock, store } = setup({ maxTtlMs: 5 * MINUTE_MS });
    expect(store.put(unsignedRecord(KEY, text('a')), 0, STORE)).toBe('expired');
    expect(store.put(unsignedRecord(KEY, text('a')), -5, STORE)).toBe('expired');
    expect(store.put(unsignedRecord(KEY, text('a')), Number.NaN, STORE)).toBe('expired');
    expect(store.put(unsignedRecord(KEY, text('a')), DAY_MS * 10, STORE)).toBe('stored');
    expect(store.get(KEY)[0]!.expiresAt).toBe(clock.now() + 5 * MINUTE_MS);
  });
});

describe('RecordStore (values): limits', () => {
  it('rejects data over maxDataBytes', () => {
    const { store } = setup({ maxDataBytes: 16 });
    expect(store.put(unsignedRecord(KEY, new Uint8Array(16)), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(unsignedRecord(KEY, new Uint8Array(17)), MINUTE_MS, STORE)).toBe('too-large');
    expect(store.put(signRecord(alice, KEY, new Uint8Array(17), 1), MINUTE_MS, STORE)).toBe('too-large');
    expect(store.size).toBe(1);
  });

  it('rejects 1025 bytes by default', () => {
    const { store } = setup();
    expect(store.put(unsignedRecord(KEY, new Uint8Array(1024)), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(unsignedRecord(KEY, new Uint8Array(1025)), MINUTE_MS, STORE)).toBe('too-large');
  });

  it('rejects malformed records as invalid', () => {
    const { store } = setup();
    const record = signRecord(alice, KEY, text('x'), 1);
    expect(store.put(withFields(record, { signature: undefined }), MINUTE_MS, STORE)).toBe('invalid');
    expect(store.put(withFields(record, { key: new Uint8Array(3) }), MINUTE_MS, STORE)).toBe('invalid');
    expect(store.put(record, MINUTE_MS, { origin: 'bogus' as 'store' })).toBe('invalid');
    expect(store.put(record, MINUTE_MS, { origin: 'toString' as 'store' })).toBe('invalid');
    expect(store.verdicts.invalid).toBe(4);
    expect(store.size).toBe(0);
  });

  it('enforces maxLocations, after sweeping expired entries', async () => {
    const { clock, store } = setup({}, { maxLocations: 2 });
    expect(store.put(unsignedRecord(keyOf(1), text('a')), 1_000, STORE)).toBe('stored');
    expect(store.put(unsignedRecord(keyOf(2), text('b')), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(unsignedRecord(keyOf(3), text('c')), MINUTE_MS, STORE)).toBe('full');
    // An existing key still takes more records.
    expect(store.put(unsignedRecord(keyOf(2), text('b2')), MINUTE_MS, STORE)).toBe('stored');
    await clock.advance(1_000);
    expect(store.put(unsignedRecord(keyOf(3), text('c')), MINUTE_MS, STORE)).toBe('stored');
    expect(store.locations()).toEqual([keyOf(2), keyOf(3)]);
  });

  it('enforces maxRecords, after sweeping expired entries', async () => {
    const { clock, store } = setup({}, { maxRecords: 2 });
    expect(store.put(unsignedRecord(KEY, text('a')), 1_000, STORE)).toBe('stored');
    expect(store.put(signRecord(alice, KEY, text('b'), 1), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(signRecord(bob, keyOf(2), text('c'), 1), MINUTE_MS, STORE)).toBe('full');
    // Replacing a publisher's record needs no new room.
    expect(store.put(signRecord(alice, KEY, text('b2'), 2), MINUTE_MS, STORE)).toBe('updated');
    await clock.advance(1_000);
    expect(store.put(signRecord(bob, keyOf(2), text('c'), 1), MINUTE_MS, STORE)).toBe('stored');
    expect(store.size).toBe(2);
    expect(store.verdicts.full).toBe(1);
  });

  it("exempts this node's own records (origin `local`) from maxRecords and maxLocations, and does not count them", () => {
    const { store } = setup({}, { maxRecords: 2, maxLocations: 1 });
    expect(store.put(unsignedRecord(keyOf(1), text('a')), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(unsignedRecord(keyOf(1), text('b')), MINUTE_MS, STORE)).toBe('stored');
    expect(store.put(unsignedRecord(keyOf(2), text('c')), MINUTE_MS, STORE)).toBe('full');
    for (let i = 0; i < 5; i++) expect(store.put(signRecord(testKey(20 + i), keyOf(3 + i), text(`mine ${i}`), 1), MINUTE_MS, LOCAL)).toBe('stored');
    expect(store.size).toBe(7);
    expect(store.locationCount).toBe(6);
    // Strangers' records are still capped at 2.
    expect(store.put(unsignedRecord(keyOf(1), text('d')), MINUTE_MS, STORE)).toBe('full');
  });

  it('validates its options', () => {
    const clock = new ManualClock();
    const policy = valuePolicy(LIMITS);
    expect(() => new RecordStore(policy, clock, { maxLocations: 0 })).toThrow(InvalidArgumentError);
    expect(() => new RecordStore(policy, clock, { maxRecords: -1 })).toThrow(InvalidArgumentError);
    expect(() => new RecordStore(policy, clock, { maxRecordsPerSource: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new RecordStore(policy, clock, { maxBytesPerGroup: Number.NaN })).toThrow(InvalidArgumentError);
  });

  it("validates the value type's limits, which the DHT settings give", () => {
    expect(() => resolveDHTSettings({ maxTtlMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => resolveDHTSettings({ maxDataBytes: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => resolveDHTSettings({ maxUnsignedPerKey: 0 })).toThrow(InvalidArgumentError);
  });

  it('copies records, so the caller changing its arrays does not change the store', () => {
    const { store } = setup();
    const data = text('abc');
    const record = unsignedRecord(KEY, text('abc'));
    store.put(record, MINUTE_MS, STORE);
    (record.data as Uint8Array)[0] = 0x7a;
    expect(store.get(KEY)[0]!.record.data).toEqual(data);
    expect(store.bytes).toBe(3);
  });
});

describe('RecordStore (values): replication', () => {
  it('reports store and local entries due after the interval, never cached ones', async () => {
    const { clock, store } = setup();
    const interval = 10 * MINUTE_MS;
    const origins = (): string[] => store.dueForReplication(clock.now(), interval).flatMap((d) => d.records.map((r) => r.origin));
    store.put(signRecord(alice, KEY, text('stored'), 1), 60 * MINUTE_MS, STORE);
    store.put(unsignedRecord(KEY, text('local')), 60 * MINUTE_MS, LOCAL);
    store.put(unsignedRecord(keyOf(2), text('cached')), 60 * MINUTE_MS, CACHE);
    expect(store.dueForReplication(clock.now(), interval)).toEqual([]);
    await clock.advance(interval - 1);
    expect(store.dueForReplication(clock.now(), interval)).toEqual([]);
    await clock.advance(1);
    const due = store.dueForReplication(clock.now(), interval);
    expect(due.map((d) => toHex(d.location))).toEqual([toHex(KEY)]);
    expect(origins()).toEqual(['store', 'local']);
    store.markReplicated(KEY, [due[0]!.records[0]!.idHex], clock.now());
    expect(origins()).toEqual(['local']);
    await clock.advance(interval);
    expect(origins()).toHaveLength(2);
  });

  it('does not report expired entries, and marking an unknown record replicated changes nothing', async () => {
    const { clock, store } = setup();
    const record = unsignedRecord(KEY, text('short'));
    store.put(record, MINUTE_MS, STORE);
    await clock.advance(MINUTE_MS);
    expect(store.dueForReplication(clock.now(), 1_000)).toEqual([]);
    store.sweep();
    store.markReplicated(KEY, [toHex(valueId(record))]);
    expect(store.size).toBe(0);
    expect(store.locationCount).toBe(0);
    expect(store.dueForReplication(clock.now() + DAY_MS, 1_000)).toEqual([]);
  });
});

describe('RecordStore (values): model (property)', () => {
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
          const verdict = store.put(record, MINUTE_MS, STORE);
          if (held === undefined) expect(verdict).toBe('stored');
          else if (record.version > held.version) expect(verdict).toBe('updated');
          else if (record === held || (record.version === held.version && record.data.join() === held.data.join())) {
            expect(verdict).toBe('refreshed');
          } else expect(verdict).toBe('stale');
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
