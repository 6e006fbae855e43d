/**
 * Provider records, unit by unit: the signed bytes, checks of every field, the storer's stamp (only the
 * provider itself, at the address it came from), the wire form, and the store's rules for the type (one
 * record per provider per key, caps per IP group and per key, signed expiry, persistence with the address).
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { hashKey, MemoryDatastore, RecordStore } from '../../../communities/dht/index.js';
import {
  checkProviderRecord,
  PROVIDER_SIGNATURE_DOMAIN,
  providerAddress,
  providerSignedMessage,
  ProviderWire,
  providersPolicy,
  signProviderRecord,
  stampProviderRecord,
} from '../../../communities/providers/index.js';
import type { ProviderRecord } from '../../../communities/providers/index.js';
import { decodeBody, encodeBody, fromHex, ManualClock, PrivateKey, PublicKeyCache, SeededRandom, toHex, utf8 } from '../../../framework/index.js';

const keys = new PublicKeyCache();
const random = new SeededRandom(15);
const alice = PrivateKey.generate(random);
const mallory = PrivateKey.generate(random);
const KEY = hashKey('file');
const NOW = 1_700_000_000_000;
const HOUR_MS = 3_600_000;
const FROM = { host: '203.0.113.7', port: 40_000 };

const announce = (key: PrivateKey, fields: Partial<Pick<ProviderRecord, 'port' | 'version' | 'expiresAt' | 'key'>> = {}): ProviderRecord =>
  signProviderRecord(key, { key: KEY, port: 4_001, version: NOW, expiresAt: NOW + HOUR_MS, ...fields });
const stamped = (r: ProviderRecord, from = FROM): ProviderRecord => stampProviderRecord(r, { from, sender: keys.get(r.publicKey) })!;

describe('provider announcements', () => {
  it('sign the domain, the whole 74-byte key binary, the key, u16 port, u64 version and u64 expiry', () => {
    const r = announce(alice, { port: 0x1234, version: 5, expiresAt: 6 });
    const m = providerSignedMessage(r);
    const domain = utf8(PROVIDER_SIGNATURE_DOMAIN);
    expect(m.length).toBe(domain.length + 74 + 20 + 2 + 8 + 8);
    expect(toHex(m.subarray(0, domain.length))).toBe(toHex(domain));
    expect(toHex(m.subarray(domain.length, domain.length + 74))).toBe(toHex(alice.publicKey.toBinary()));
    expect(toHex(m.subarray(domain.length + 74, domain.length + 94))).toBe(toHex(KEY));
    expect(toHex(m.subarray(domain.length + 94))).toBe('1234' + '0000000000000005' + '0000000000000006');
    expect(alice.publicKey.verify(m, r.signature)).toBe(true);
  });

  it('a stamped announcement is valid; every altered signed field is a bad signature; bad shapes are invalid', () => {
    const good = stamped(announce(alice));
    expect(checkProviderRecord(good, keys)).toBe('valid');
    expect(checkProviderRecord({ ...good, port: 4_002 }, keys)).toBe('bad-signature');
    expect(checkProviderRecord({ ...good, version: NOW + 1 }, keys)).toBe('bad-signature');
    expect(checkProviderRecord({ ...good, expiresAt: NOW + 2 * HOUR_MS }, keys)).toBe('bad-signature');
    expect(checkProviderRecord({ ...good, key: hashKey('other') }, keys)).toBe('bad-signature');
    expect(checkProviderRecord({ ...good, publicKey: mallory.publicKey.toBinary() }, keys)).toBe('bad-signature');
    // The address is the storer's observation, not signed: another one is still the same valid announcement.
    expect(checkProviderRecord({ ...good, host: '198.51.100.1' }, keys)).toBe('valid');
    expect(checkProviderRecord(announce(alice), keys)).toBe('invalid'); // not stamped: no address
    expect(checkProviderRecord({ ...good, host: 'example.org' }, keys)).toBe('invalid');
    expect(checkProviderRecord({ ...good, sourcePort: undefined }, keys)).toBe('invalid');
    expect(checkProviderRecord({ ...good, sourcePort: 70_000 }, keys)).toBe('invalid');
    expect(checkProviderRecord({ ...good, port: 65_536 }, keys)).toBe('invalid');
    expect(checkProviderRecord({ ...good, port: -1 }, keys)).toBe('invalid');
    expect(checkProviderRecord({ ...good, version: 1.5 }, keys)).toBe('invalid');
    expect(checkProviderRecord({ ...good, signature: good.signature.subarray(1) }, keys)).toBe('invalid');
    expect(checkProviderRecord({ ...good, key: KEY.subarray(1) }, keys)).toBe('invalid');
  });

  it('the stamp takes the IP the request came from, and only from the provider itself', () => {
    const r = { ...announce(alice), host: '192.0.2.99' }; // an address the provider claims
    expect(stampProviderRecord(r, { from: FROM, sender: alice.publicKey })).toMatchObject({ host: '203.0.113.7', sourcePort: 40_000 });
    expect(stampProviderRecord(r, { from: { host: '::1', port: 9 }, sender: alice.publicKey })?.host).toBe('::1');
    expect(stampProviderRecord(r, { from: FROM, sender: mallory.publicKey })).toBeUndefined(); // relayed by a third party
    expect(stampProviderRecord(r, { from: FROM, sender: undefined })).toBeUndefined();
    let refused = 0;
    const policy = providersPolicy({ maxProvidersPerKey: 10, maxPerGroupPerKey: 3, maxTtlMs: 24 * HOUR_MS }, keys, () => refused++);
    expect(policy.stamp!(r, { from: FROM, sender: mallory.publicKey })).toBeUndefined();
    expect(policy.stamp!(r, { from: FROM, sender: alice.publicKey })).toBeDefined();
    expect(refused).toBe(1);
    expect(policy.directOnly).toBe(true);
  });

  it('finders use the named port, or for port 0 (implied) the source port the storer saw', () => {
    expect(providerAddress(stamped(announce(alice, { port: 4_001 })))).toEqual({ host: '203.0.113.7', port: 4_001 });
    expect(providerAddress(stamped(announce(alice, { port: 0 })))).toEqual({ host: '203.0.113.7', port: 40_000 });
    expect(providerAddress(announce(alice, { port: 0 }))).toBeUndefined(); // not stamped
    const implied = stamped(announce(alice, { port: 0 }));
    expect(checkProviderRecord(implied, keys)).toBe('valid');
    expect(checkProviderRecord({ ...implied, port: 40_000 }, keys)).toBe('bad-signature'); // the named port is signed
  });

  it('the wire form carries the observed IP (4 or 16 bytes) or none; any other length is refused', () => {
    const policy = providersPolicy({ maxProvidersPerKey: 10, maxPerGroupPerKey: 3, maxTtlMs: 24 * HOUR_MS }, keys);
    for (const [host, sourcePort] of [['203.0.113.7', 1], ['2001:db8::1', 65_535], [undefined, undefined]] as const) {
      const r = { ...announce(alice), host, sourcePort };
      const bytes = encodeBody(ProviderWire, policy.toWire(r));
      const decoded = decodeBody(ProviderWire, bytes);
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(policy.fromWire(KEY, decoded.value)).toEqual(r);
    }
    const wire = { ...policy.toWire(stamped(announce(alice))), ip: fromHex('0102030405') };
    expect(() => policy.fromWire(KEY, wire)).toThrow();
  });
});

describe('the store, for provider records', () => {
  const setup = (limits = { maxProvidersPerKey: 5, maxPerGroupPerKey: 3, maxTtlMs: 24 * HOUR_MS }) => {
    const clock = new ManualClock(NOW);
    const datastore = new MemoryDatastore();
    const store = new RecordStore(providersPolicy(limits, keys) as never, clock, { datastore }) as RecordStore<ProviderRecord>;
    return { clock, datastore, store };
  };

  it('keeps one record per provider per key: the newest version wins, an older one is stale', () => {
    const { store } = setup();
    expect(store.put(stamped(announce(alice, { version: NOW })), HOUR_MS, { origin: 'store', from: FROM })).toBe('stored');
    expect(store.put(stamped(announce(alice, { version: NOW + 5, port: 5_000 })), HOUR_MS, { origin: 'store', from: FROM })).toBe('updated');
    expect(store.put(stamped(announce(alice, { version: NOW + 1, port: 6_000 })), HOUR_MS, { origin: 'store', from: FROM })).toBe('stale');
    expect(store.get(KEY).map((h) => h.record.port)).toEqual([5_000]);
    expect(store.put(stamped(announce(mallory)), HOUR_MS, { origin: 'store', from: { host: '198.51.100.9', port: 1 } })).toBe('stored');
    expect(store.get(KEY)).toHaveLength(2);
  });

  it('caps providers per IP group under one key (quota) and per key (full), and never outlives the signed expiry', () => {
    const { store } = setup();
    const providers = Array.from({ length: 8 }, () => PrivateKey.generate(random));
    // Three providers from 203.0.113.0/24 fill the group's share of the key; a fourth is refused.
    const sameGroup = providers.slice(0, 4).map((k, i) => store.put(stamped(announce(k), { host: `203.0.113.${10 + i}`, port: 1 }), HOUR_MS, { origin: 'store', from: { host: `203.0.113.${10 + i}`, port: 1 } }));
    expect(sameGroup).toEqual(['stored', 'stored', 'stored', 'quota']);
    // Other groups fill the key to its cap of 5: then a record expiring no later is refused.
    const others = providers.slice(4, 7).map((k, i) => store.put(stamped(announce(k, { expiresAt: NOW + HOUR_MS - 1 }), { host: `198.51.${i}.1`, port: 1 }), HOUR_MS, { origin: 'store', from: { host: `198.51.${i}.1`, port: 1 } }));
    expect(others).toEqual(['stored', 'stored', 'full']);
    const fresh = { host: '192.0.2.50', port: 1 }; // a group with room: only the key's cap speaks
    expect(store.put(stamped(announce(providers[7]!, { expiresAt: NOW + 10 * 60_000 }), fresh), 5 * HOUR_MS, { origin: 'store', from: fresh })).toBe('full'); // expires sooner than every held one
    // One that outlives the soonest-expiring held one evicts it.
    const later = { host: '192.0.2.51', port: 1 };
    expect(store.put(stamped(announce(PrivateKey.generate(random), { expiresAt: NOW + 2 * HOUR_MS }), later), 2 * HOUR_MS, { origin: 'store', from: later })).toBe('stored');
    expect(store.evictions).toBe(1);
    const held = store.get(KEY);
    expect(held).toHaveLength(5);
    for (const h of held) expect(h.expiresAt).toBeLessThanOrEqual(h.record.expiresAt);
    expect(store.put(stamped(announce(alice, { expiresAt: NOW - 1 })), HOUR_MS, { origin: 'store', from: { host: '192.0.2.1', port: 1 } })).toBe('expired');
    expect(store.put(stamped(announce(alice, { expiresAt: NOW + 48 * HOUR_MS })), HOUR_MS, { origin: 'store', from: { host: '192.0.2.1', port: 1 } })).toBe('bad-ttl');
  });

  it('persists the record with its observed address and restores it checked', () => {
    const { datastore, clock, store } = setup();
    expect(store.put(stamped(announce(alice)), HOUR_MS, { origin: 'store', from: FROM })).toBe('stored');
    const fresh = new RecordStore(providersPolicy({ maxProvidersPerKey: 5, maxPerGroupPerKey: 3, maxTtlMs: 24 * HOUR_MS }, keys) as never, clock, { datastore }) as RecordStore<ProviderRecord>;
    const policy = fresh.policy;
    const report = fresh.restore((location, bytes) => {
      const d = decodeBody(ProviderWire, bytes);
      return d.ok ? (policy.fromWire(location, d.value) as ProviderRecord) : undefined;
    });
    expect(report).toEqual({ restored: 1, expired: 0, refused: 0 });
    expect(fresh.get(KEY).map((h) => `${h.record.host}:${h.record.port}`)).toEqual(['203.0.113.7:4001']);
  });
});
