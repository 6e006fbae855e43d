/**
 * BagStore on its own: the default caps (256-byte values, 100 per publisher per key, 1,000 per key),
 * total caps, versions, tombstones and id-ordered pages.
 */
import { describe, expect, it } from 'vitest';
import { BagStore, resolveBagSettings, signBagRecord } from '../../../communities/bag/index.js';
import type { BagRecord } from '../../../communities/bag/index.js';
import { hashKey } from '../../../communities/dht/index.js';
import { PrivateKey, PublicKeyCache, SeededRandom, utf8 } from '../../../framework/index.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
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

describe('BagStore', () => {
  it('rejects an entry re-filed under a made-up publisher (same Ed25519 half, another X25519 half)', () => {
    const s = new BagStore(resolveBagSettings({}), new PublicKeyCache());
    const real = entry(keys[0]!, 'hello');
    expect(s.put(real, NOW)).toBe('stored');
    const forgedKey = real.publicKey.slice();
    forgedKey[10]! ^= 0xff; // inside the X25519 half: a different mid, the same Ed25519 key
    expect(s.put({ ...real, publicKey: forgedKey }, NOW)).toBe('bad-signature');
    expect(s.page(key, undefined, NOW).total).toBe(1);
  });

  it('enforces the default caps with their verdicts', () => {
    const s = new BagStore(resolveBagSettings({}), new PublicKeyCache());
    expect(s.put(entry(keys[0]!, new Uint8Array(256)), NOW)).toBe('stored');
    expect(s.put(entry(keys[0]!, new Uint8Array(257)), NOW)).toBe('too-large');
    for (let i = 1; i < 100; i++) expect(s.put(entry(keys[0]!, `a${i}`), NOW)).toBe('stored');
    expect(s.put(entry(keys[0]!, 'a100'), NOW)).toBe('publisher-full');
    for (let p = 1; p < 10; p++) for (let i = 0; i < 100; i++) s.put(entry(keys[p]!, `v${i}`), NOW);
    expect(s.page(key, undefined, NOW).total).toBe(1_000);
    expect(s.put(entry(keys[10]!, 'one more'), NOW)).toBe('key-full');
    // An existing entry can still be refreshed at the cap.
    expect(s.put(entry(keys[3]!, 'v7', { version: NOW + 1 }), NOW)).toBe('refreshed');
  });

  it('enforces total caps, expiry and ttl bounds', () => {
    const s = new BagStore(resolveBagSettings({ maxKeys: 2, maxEntries: 3 }), new PublicKeyCache());
    const k = keys[0]!;
    expect(s.put(entry(k, 'x', { key: hashKey('k1') }), NOW)).toBe('stored');
    expect(s.put(entry(k, 'y', { key: hashKey('k2') }), NOW)).toBe('stored');
    expect(s.put(entry(k, 'z', { key: hashKey('k3') }), NOW)).toBe('store-full');
    expect(s.put(entry(k, 'z', { key: hashKey('k2') }), NOW)).toBe('stored');
    expect(s.put(entry(k, 'w', { key: hashKey('k2') }), NOW)).toBe('store-full');
    expect(s.put(entry(k, 'late', { expiresAt: NOW }), NOW)).toBe('expired');
    expect(s.put(entry(k, 'far', { expiresAt: NOW + 25 * HOUR + 1 }), NOW)).toBe('bad-ttl');
    // Expired records are swept and free their room.
    expect(s.sweep(NOW + 2 * HOUR)).toBe(3);
    expect(s.size).toBe(0);
    expect(s.put(entry(k, 'z', { key: hashKey('k3'), expiresAt: NOW + 3 * HOUR }), NOW + 2 * HOUR)).toBe('stored');
  });

  it('keeps the newest version per (publisher, value); tombstones win over older entries', () => {
    const s = new BagStore(resolveBagSettings({}), new PublicKeyCache());
    const [a, b] = [keys[0]!, keys[1]!];
    expect(s.put(entry(a, 'v', { version: 10 }), NOW)).toBe('stored');
    expect(s.put(entry(a, 'v', { version: 10 }), NOW)).toBe('refreshed'); // the same statement again
    expect(s.put(entry(a, 'v', { version: 9 }), NOW)).toBe('stale');
    expect(s.put(entry(b, 'v', { version: 1 }), NOW)).toBe('stored'); // same value, other publisher
    expect(s.put(entry(a, 'v', { version: 11, removed: true }), NOW)).toBe('removed');
    expect(s.put(entry(a, 'v', { version: 10 }), NOW)).toBe('stale');
    const forged = { ...entry(b, 'v', { version: 12 }), publicKey: a.publicKey.toBinary() };
    expect(s.put(forged, NOW)).toBe('bad-signature');
    expect(s.put({ ...entry(a, 'q'), signature: new Uint8Array(3) }, NOW)).toBe('invalid');
    const live = s.page(key, undefined, NOW).records.map((h) => h.record);
    expect(live.filter((r) => !r.removed).length).toBe(1);
  });

  it('pages ascend by entry id; a cursor returns the rest exactly once', () => {
    const s = new BagStore(resolveBagSettings({}), new PublicKeyCache());
    for (let i = 0; i < 50; i++) s.put(entry(keys[i % 5]!, `p${i}`), NOW);
    const all = s.page(key, undefined, NOW).records;
    expect(all.length).toBe(50);
    expect(all.map((h) => h.idHex)).toEqual([...all.map((h) => h.idHex)].sort());
    const rest = s.page(key, all[19]!.id, NOW).records;
    expect(rest.map((h) => h.idHex)).toEqual(all.slice(20).map((h) => h.idHex));
  });
});
