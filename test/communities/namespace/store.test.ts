/**
 * The namespace record type in a RecordStore on its own (the store the namespace's record engine uses):
 * seq ordering, idempotent refresh, compare-and-swap, signatures and caps.
 */
import { describe, expect, it } from 'vitest';
import { RecordStore } from '../../../communities/dht/index.js';
import { namespaceLocation, namespacePolicy, resolveNamespaceSettings, signNamespaceRecord } from '../../../communities/namespace/index.js';
import type { NamespaceRecord, NamespaceSettings } from '../../../communities/namespace/index.js';
import { ManualClock, PrivateKey, PublicKeyCache, SeededRandom, utf8 } from '../../../framework/index.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const alice = PrivateKey.generate(new SeededRandom(1));
const mallory = PrivateKey.generate(new SeededRandom(2));
const key = utf8('profile');

/** A namespace store as a NamespaceCommunity with `settings` builds it, on a manual clock at NOW. */
function namespaceStore(settings: NamespaceSettings = {}): { s: RecordStore<NamespaceRecord>; clock: ManualClock } {
  const r = resolveNamespaceSettings(settings);
  const clock = new ManualClock(NOW);
  return { s: new RecordStore(namespacePolicy({ maxValueBytes: r.maxValueBytes, maxTtlMs: r.maxTtlMs }, new PublicKeyCache()), clock, r.store), clock };
}

/** The record held for (publisher key, key), if live. */
const held = (s: RecordStore<NamespaceRecord>, k: Uint8Array): { record: NamespaceRecord; expiresAt: number } | undefined =>
  s.get(namespaceLocation(alice.publicKey.toBinary(), k))[0];

describe('RecordStore with namespacePolicy', () => {
  it('keeps the highest seq; equal seq is a refresh only when identical', () => {
    const { s } = namespaceStore();
    expect(s.put(signNamespaceRecord(alice, key, 1, utf8('a')), HOUR, { origin: 'store' })).toBe('stored');
    expect(s.put(signNamespaceRecord(alice, key, 1, utf8('a')), 2 * HOUR, { origin: 'store' })).toBe('refreshed');
    expect(held(s, key)?.expiresAt).toBe(NOW + 2 * HOUR);
    expect(s.put(signNamespaceRecord(alice, key, 1, utf8('b')), HOUR, { origin: 'store' })).toBe('stale');
    expect(s.put(signNamespaceRecord(alice, key, 3, utf8('c')), HOUR, { origin: 'store' })).toBe('updated');
    expect(s.put(signNamespaceRecord(alice, key, 2, utf8('d')), HOUR, { origin: 'store' })).toBe('stale');
    expect(held(s, key)?.record.seq).toBe(3);
  });

  it('compare-and-swap, signatures, size, ttl and capacity', async () => {
    const { s, clock } = namespaceStore({ store: { maxRecords: 2 } });
    const put = (r: NamespaceRecord, ttlMs: number, cas?: number): string => s.put(r, ttlMs, { origin: 'store', cas });
    expect(put(signNamespaceRecord(alice, key, 5, utf8('x')), HOUR, 4)).toBe('stored'); // nothing held: CAS not checked
    expect(put(signNamespaceRecord(alice, key, 6, utf8('y')), HOUR, 4)).toBe('conflict');
    expect(put(signNamespaceRecord(alice, key, 6, utf8('y')), HOUR, 5)).toBe('updated');
    const forged = { ...signNamespaceRecord(mallory, key, 7, utf8('z')), publicKey: alice.publicKey.toBinary() };
    expect(put(forged, HOUR)).toBe('bad-signature');
    expect(put(signNamespaceRecord(alice, utf8('big'), 1, new Uint8Array(1_025)), HOUR)).toBe('too-large');
    expect(put(signNamespaceRecord(alice, utf8('t'), 1, utf8('v')), 0)).toBe('expired');
    expect(put(signNamespaceRecord(alice, new Uint8Array(65), 1, utf8('v')), HOUR)).toBe('invalid');
    expect(put(signNamespaceRecord(alice, utf8('k2'), 1, utf8('v')), 48 * HOUR)).toBe('stored');
    expect(held(s, utf8('k2'))?.expiresAt).toBe(NOW + 24 * HOUR); // capped
    expect(put(signNamespaceRecord(alice, utf8('k3'), 1, utf8('v')), HOUR)).toBe('full');
    expect(s.sweep(NOW + 2 * HOUR)).toBe(1);
    await clock.advance(2 * HOUR);
    expect(put(signNamespaceRecord(alice, utf8('k3'), 1, utf8('v')), HOUR)).toBe('stored');
  });

  it('accepts a value of exactly maxValueBytes (1,024) under a short key', () => {
    const { s } = namespaceStore();
    expect(s.put(signNamespaceRecord(alice, utf8('big'), 1, new Uint8Array(1_024)), HOUR, { origin: 'store' })).toBe('stored');
    expect(held(s, utf8('big'))?.record.value.length).toBe(1_024);
  });

  it('a record held for another node that becomes this node\'s own stays held, no longer charged to the sender', () => {
    const { s } = namespaceStore();
    const from = { host: '203.0.113.7', port: 4_000 };
    const record = signNamespaceRecord(alice, key, 1, utf8('mine'));
    expect(s.put(record, HOUR, { origin: 'store', from })).toBe('stored');
    expect(s.usage(from).source.records).toBe(1);
    expect(s.put(record, HOUR, { origin: 'local' })).toBe('refreshed');
    expect(held(s, key)?.record.seq).toBe(1);
    expect(s.get(namespaceLocation(alice.publicKey.toBinary(), key))[0]?.origin).toBe('local');
    expect(s.usage(from).source.records).toBe(0);
    expect(s.size).toBe(1);
  });

  it('insertUnverified (a lying storer, for tests) replaces the held record', () => {
    const { s } = namespaceStore();
    expect(s.put(signNamespaceRecord(alice, key, 7, utf8('honest')), HOUR, { origin: 'store' })).toBe('stored');
    const forged = { ...signNamespaceRecord(mallory, key, 1_000, utf8('lies')), publicKey: alice.publicKey.toBinary() };
    s.insertUnverified(forged, HOUR);
    expect(held(s, key)?.record.seq).toBe(1_000);
    expect(s.size).toBe(1);
  });
});
