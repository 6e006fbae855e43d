/**
 * NamespaceStore on its own: seq ordering, idempotent refresh, compare-and-swap, signatures and caps.
 */
import { describe, expect, it } from 'vitest';
import { NamespaceStore, namespaceLocation, resolveNamespaceSettings, signNamespaceRecord } from '../../../communities/namespace/index.js';
import { PrivateKey, PublicKeyCache, SeededRandom, utf8 } from '../../../framework/index.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const alice = PrivateKey.generate(new SeededRandom(1));
const mallory = PrivateKey.generate(new SeededRandom(2));
const key = utf8('profile');

describe('NamespaceStore', () => {
  it('keeps the highest seq; equal seq is a refresh only when identical', () => {
    const s = new NamespaceStore(resolveNamespaceSettings({}), new PublicKeyCache());
    expect(s.put(signNamespaceRecord(alice, key, 1, utf8('a')), HOUR, undefined, NOW)).toBe('stored');
    expect(s.put(signNamespaceRecord(alice, key, 1, utf8('a')), 2 * HOUR, undefined, NOW)).toBe('refreshed');
    expect(s.get(namespaceLocation(alice.publicKey.toBinary(), key), NOW)?.expiresAt).toBe(NOW + 2 * HOUR);
    expect(s.put(signNamespaceRecord(alice, key, 1, utf8('b')), HOUR, undefined, NOW)).toBe('stale-seq');
    expect(s.put(signNamespaceRecord(alice, key, 3, utf8('c')), HOUR, undefined, NOW)).toBe('updated');
    expect(s.put(signNamespaceRecord(alice, key, 2, utf8('d')), HOUR, undefined, NOW)).toBe('stale-seq');
    expect(s.get(namespaceLocation(alice.publicKey.toBinary(), key), NOW)?.record.seq).toBe(3);
  });

  it('compare-and-swap, signatures, size, ttl and capacity', () => {
    const s = new NamespaceStore(resolveNamespaceSettings({ maxRecords: 2 }), new PublicKeyCache());
    expect(s.put(signNamespaceRecord(alice, key, 5, utf8('x')), HOUR, 4, NOW)).toBe('stored'); // nothing held: CAS not checked
    expect(s.put(signNamespaceRecord(alice, key, 6, utf8('y')), HOUR, 4, NOW)).toBe('cas-mismatch');
    expect(s.put(signNamespaceRecord(alice, key, 6, utf8('y')), HOUR, 5, NOW)).toBe('updated');
    const forged = { ...signNamespaceRecord(mallory, key, 7, utf8('z')), publicKey: alice.publicKey.toBinary() };
    expect(s.put(forged, HOUR, undefined, NOW)).toBe('bad-signature');
    expect(s.put(signNamespaceRecord(alice, utf8('big'), 1, new Uint8Array(1_025)), HOUR, undefined, NOW)).toBe('too-large');
    expect(s.put(signNamespaceRecord(alice, utf8('t'), 1, utf8('v')), 0, undefined, NOW)).toBe('expired');
    expect(s.put(signNamespaceRecord(alice, new Uint8Array(65), 1, utf8('v')), HOUR, undefined, NOW)).toBe('invalid');
    expect(s.put(signNamespaceRecord(alice, utf8('k2'), 1, utf8('v')), 48 * HOUR, undefined, NOW)).toBe('stored');
    expect(s.get(namespaceLocation(alice.publicKey.toBinary(), utf8('k2')), NOW)?.expiresAt).toBe(NOW + 24 * HOUR); // capped
    expect(s.put(signNamespaceRecord(alice, utf8('k3'), 1, utf8('v')), HOUR, undefined, NOW)).toBe('full');
    expect(s.sweep(NOW + 2 * HOUR)).toBe(1);
    expect(s.put(signNamespaceRecord(alice, utf8('k3'), 1, utf8('v')), HOUR, undefined, NOW + 2 * HOUR)).toBe('stored');
  });
});
