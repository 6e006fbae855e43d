/**
 * The bag record type in a RecordStore on its own (the store the bag's record engine uses): the default
 * caps (256-byte values, 100 per IP group per key, 1,000 per key), total caps, versions, tombstones and
 * id-ordered pages.
 */
import { describe, expect, it } from 'vitest';
import { bagPolicy, resolveBagSettings, signBagRecord } from '../../../communities/bag/index.js';
import type { BagRecord, BagSettings } from '../../../communities/bag/index.js';
import { hashKey, RecordStore } from '../../../communities/dht/index.js';
import type { StoreLimits } from '../../../communities/dht/index.js';
import { ManualClock, PrivateKey, PublicKeyCache, SeededRandom, utf8 } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const keys = Array.from({ length: 12 }, (_, i) => PrivateKey.generate(new SeededRandom(100 + i)));
const key = hashKey('store test');

function entry(signer: PrivateKey, value: string | Uint8Array, o: Partial<Pick<BagRecord, 'version' | 'expiresAt' | 'removed' | 'key'>> = {}): BagRecord {
  return signBagRecord(signer, {
    key: o.key ?? key,
    value: typeof value === 'string' ? utf8(value) : value,
    version: o.version ?? NOW,
    expiresAt: o.expiresAt ?? NOW + HOUR,
    removed: o.removed ?? false,
  });
}

/** A bag store as a BagCommunity with `settings` builds it, on a manual clock at NOW. */
function bagStore(settings: BagSettings = {}, limits: StoreLimits = {}): { s: RecordStore<BagRecord>; clock: ManualClock } {
  const r = resolveBagSettings(settings);
  const policy = bagPolicy({ maxValueBytes: r.maxValueBytes, maxEntriesPerKey: r.maxEntriesPerKey, maxPerGroupPerKey: r.maxPerGroupPerKey, maxTtlMs: r.maxTtlMs }, new PublicKeyCache());
  const clock = new ManualClock(NOW);
  return { s: new RecordStore(policy, clock, { ...r.store, ...limits }), clock };
}

/** Offers `r` as a storer gets it in a store request from `from` (asking for the longest lifetime: the signed expiry rules). */
const put = (s: RecordStore<BagRecord>, r: BagRecord, from?: Address): string => s.put(r, DAY, { origin: 'store', from });

/** A public source address: IP group `203.0.<net>.0/24`. */
const source = (net: number, host = 7): Address => ({ host: `203.0.${net}.${host}`, port: 4_000 });

describe('RecordStore with bagPolicy', () => {
  it('rejects an entry re-filed under a made-up publisher (same Ed25519 half, another X25519 half)', () => {
    const { s } = bagStore();
    const real = entry(keys[0]!, 'hello');
    expect(put(s, real)).toBe('stored');
    const forgedKey = real.publicKey.slice();
    forgedKey[10]! ^= 0xff; // inside the X25519 half: a different mid, the same Ed25519 key
    expect(put(s, { ...real, publicKey: forgedKey })).toBe('bad-signature');
    expect(s.page(key, undefined).total).toBe(1);
  });

  it('enforces the default caps with their verdicts', () => {
    const { s } = bagStore();
    const a = source(113);
    expect(put(s, entry(keys[0]!, new Uint8Array(256)), a)).toBe('stored');
    expect(put(s, entry(keys[0]!, new Uint8Array(257)), a)).toBe('too-large');
    for (let i = 1; i < 100; i++) expect(put(s, entry(keys[0]!, `a${i}`), a)).toBe('stored');
    // The cap per key is per IP group (a /24), not per publisher: 100 entries from one group, whoever signed them.
    expect(put(s, entry(keys[0]!, 'a100'), a)).toBe('quota');
    expect(put(s, entry(keys[11]!, 'other publisher, same /24'), source(113, 99))).toBe('quota');
    expect(s.usage(a).group.records).toBe(100);
    for (let p = 1; p < 10; p++) for (let i = 0; i < 100; i++) put(s, entry(keys[p]!, `v${i}`), source(p));
    expect(s.page(key, undefined).total).toBe(1_000);
    expect(put(s, entry(keys[10]!, 'one more'), source(10))).toBe('full');
    // An existing entry can still be refreshed (the same statement) or updated (a newer version) at the cap.
    expect(put(s, entry(keys[3]!, 'v7'), source(3))).toBe('refreshed');
    expect(put(s, entry(keys[3]!, 'v7', { version: NOW + 1 }), source(3))).toBe('updated');
    expect(s.page(key, undefined).total).toBe(1_000);
    // A newcomer that outlives the soonest-expiring entry evicts it: the key keeps those that expire last.
    expect(put(s, entry(keys[10]!, 'expires later', { expiresAt: NOW + 2 * HOUR }), source(10))).toBe('stored');
    expect(s.evictions).toBe(1);
    expect(s.page(key, undefined).total).toBe(1_000);
  });

  it('enforces total caps, expiry and ttl bounds', async () => {
    const { s, clock } = bagStore({}, { maxLocations: 2, maxRecords: 3 });
    const k = keys[0]!;
    const from = source(5);
    expect(put(s, entry(k, 'x', { key: hashKey('k1') }), from)).toBe('stored');
    expect(put(s, entry(k, 'y', { key: hashKey('k2') }), from)).toBe('stored');
    expect(put(s, entry(k, 'z', { key: hashKey('k3') }), from)).toBe('full'); // a third key
    expect(put(s, entry(k, 'z', { key: hashKey('k2') }), from)).toBe('stored');
    expect(put(s, entry(k, 'w', { key: hashKey('k2') }), from)).toBe('full'); // a fourth record
    expect(put(s, entry(k, 'late', { expiresAt: NOW }), from)).toBe('expired');
    expect(put(s, entry(k, 'far', { expiresAt: NOW + 25 * HOUR + 1 }), from)).toBe('bad-ttl');
    // Expired records are swept and free their room.
    expect(s.sweep(NOW + 2 * HOUR)).toBe(3);
    expect(s.size).toBe(0);
    await clock.advance(2 * HOUR);
    expect(put(s, entry(k, 'z', { key: hashKey('k3'), expiresAt: NOW + 3 * HOUR }), from)).toBe('stored');
  });

  it('keeps the newest version per (publisher, value); tombstones win over older entries', () => {
    const { s } = bagStore();
    const [a, b] = [keys[0]!, keys[1]!];
    expect(put(s, entry(a, 'v', { version: 10 }))).toBe('stored');
    expect(put(s, entry(a, 'v', { version: 10 }))).toBe('refreshed'); // the same statement again
    expect(put(s, entry(a, 'v', { version: 9 }))).toBe('stale');
    expect(put(s, entry(b, 'v', { version: 1 }))).toBe('stored'); // same value, other publisher
    // A tombstone is a newer version of the entry: 'updated' when the entry is held, 'stored' when it is not.
    expect(put(s, entry(a, 'v', { version: 11, removed: true }))).toBe('updated');
    expect(put(s, entry(a, 'never held', { version: 11, removed: true }))).toBe('stored');
    expect(put(s, entry(a, 'v', { version: 10 }))).toBe('stale');
    const forged = { ...entry(b, 'v', { version: 12 }), publicKey: a.publicKey.toBinary() };
    expect(put(s, forged)).toBe('bad-signature');
    expect(put(s, { ...entry(a, 'q'), signature: new Uint8Array(3) })).toBe('invalid');
    const live = s.page(key, undefined).records.map((h) => h.record);
    expect(live.filter((r) => !r.removed).length).toBe(1);
  });

  it('pages ascend by entry id; a cursor returns the rest exactly once', () => {
    const { s } = bagStore();
    for (let i = 0; i < 50; i++) put(s, entry(keys[i % 5]!, `p${i}`));
    const all = s.page(key, undefined).records;
    expect(all.length).toBe(50);
    expect(all.map((h) => h.idHex)).toEqual([...all.map((h) => h.idHex)].sort());
    const rest = s.page(key, all[19]!.idHex).records;
    expect(rest.map((h) => h.idHex)).toEqual(all.slice(20).map((h) => h.idHex));
  });
});
