/**
 * The dictionary record type in a RecordStore on its own (the store the dictionary's record engine uses):
 * the later expiration wins, equal expirations resolve the same way on every storer, owned subkeys are the
 * owner's alone, forgeries are refused and counted, and the caps per key, per IP group and per entry.
 */
import { describe, expect, it } from 'vitest';
import { checkDictRecord, dictPolicy, openDictRecord, resolveDictSettings, signDictRecord, subkeyId } from '../../../communities/dict/index.js';
import type { DictRecord, DictSettings } from '../../../communities/dict/index.js';
import { hashKey, RecordStore } from '../../../communities/dht/index.js';
import type { RecordVerdict } from '../../../communities/dht/index.js';
import { ManualClock, PrivateKey, PublicKeyCache, SeededRandom, toHex, utf8 } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const [alice, mallory] = [PrivateKey.generate(new SeededRandom(1)), PrivateKey.generate(new SeededRandom(2))];
const key = hashKey('dict store test');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

const owned = (signer: PrivateKey, subkey: string, value: string, expiresAt = NOW + HOUR): DictRecord =>
  signDictRecord(signer, { key, subkey: utf8(subkey), value: utf8(value), expiresAt });
const open = (subkey: string, value: string, expiresAt = NOW + HOUR): DictRecord => openDictRecord({ key, subkey: utf8(subkey), value: utf8(value), expiresAt });

function dictStore(settings: DictSettings = {}): { s: RecordStore<DictRecord>; clock: ManualClock } {
  const r = resolveDictSettings(settings);
  const policy = dictPolicy(
    { maxSubkeyBytes: r.maxSubkeyBytes, maxValueBytes: r.maxValueBytes, maxEntriesPerKey: r.maxEntriesPerKey, maxOpenPerKey: r.maxOpenPerKey, maxPerGroupPerKey: r.maxPerGroupPerKey, maxOpenPerGroupPerKey: r.maxOpenPerGroupPerKey, maxTtlMs: r.maxTtlMs },
    new PublicKeyCache(),
  );
  const clock = new ManualClock(NOW);
  return { s: new RecordStore(policy, clock, r.store), clock };
}

/** Offers `r` as a storer gets it in a store request from `from` (asking for the longest lifetime: the entry's expiration rules). */
const put = (s: RecordStore<DictRecord>, r: DictRecord, from?: Address): RecordVerdict => s.put(r, DAY, { origin: 'store', from });
/** A public source address: IP group `203.0.<net>.0/24`. */
const source = (net: number, host = 7): Address => ({ host: `203.0.${net}.${host}`, port: 4_000 });
const held = (s: RecordStore<DictRecord>): string[] => s.get(key).map((h) => `${text(h.record.subkey)}=${text(h.record.value)}${h.record.owner === undefined ? '' : '*'}`).sort();

describe('RecordStore with dictPolicy', () => {
  it('keeps one entry per subkey: a later expiration replaces it, an earlier one is stale; subkeys add up', () => {
    const { s } = dictStore();
    expect(put(s, owned(alice, 'a', 'one', NOW + HOUR))).toBe('stored');
    expect(put(s, owned(alice, 'b', 'two'))).toBe('stored');
    expect(put(s, open('c', 'three'))).toBe('stored');
    expect(put(s, owned(alice, 'a', 'newer', NOW + 2 * HOUR))).toBe('updated');
    expect(put(s, owned(alice, 'a', 'older', NOW + HOUR + 1))).toBe('stale');
    expect(put(s, owned(alice, 'a', 'newer', NOW + 2 * HOUR))).toBe('refreshed');
    expect(held(s)).toEqual(['a=newer*', 'b=two*', 'c=three']);
    // The held expiry is the entry's own: the storer never extends it (asked for a day, kept for 2 h).
    expect(s.get(key).find((h) => text(h.record.subkey) === 'a')!.expiresAt).toBe(NOW + 2 * HOUR);
  });

  it('an owned subkey is its owner\'s: another key writes another subkey, and an altered or re-filed entry is bad-signature', () => {
    const { s } = dictStore();
    const real = owned(alice, 'profile', 'alice v1');
    expect(put(s, real)).toBe('stored');
    // Mallory signs the same subkey name with her key: a subkey of her own, alice's stays.
    expect(put(s, owned(mallory, 'profile', 'mallory', NOW + 5 * HOUR))).toBe('stored');
    // Altering alice's value or extending her expiration breaks her signature.
    expect(put(s, { ...real, value: utf8('mallory was here') })).toBe('bad-signature');
    expect(put(s, { ...real, expiresAt: NOW + 5 * HOUR })).toBe('bad-signature');
    // Alice's signature under mallory's key binary; and alice's key with its X25519 half changed (another mid).
    expect(put(s, { ...real, owner: mallory.publicKey.toBinary(), expiresAt: NOW + 5 * HOUR })).toBe('bad-signature');
    const phantom = real.owner!.slice();
    phantom[10]! ^= 0xff;
    expect(put(s, { ...real, owner: phantom })).toBe('bad-signature');
    // Stripping the owner (an open subkey of the same name) is another subkey, not a replacement.
    expect(put(s, { ...real, owner: undefined, signature: undefined })).toBe('stored');
    // An owner without a signature is malformed.
    expect(put(s, { ...real, signature: undefined })).toBe('invalid');
    expect(held(s)).toEqual(['profile=alice v1', 'profile=alice v1*', 'profile=mallory*']);
    expect(s.verdicts['bad-signature']).toBe(4);
    expect(checkDictRecord({ ...real, value: utf8('x') }, new PublicKeyCache())).toBe('bad-signature');
  });

  it('an open subkey is anyone\'s to replace with a later expiration', () => {
    const { s } = dictStore();
    expect(put(s, open('status', 'free', NOW + HOUR), source(1))).toBe('stored');
    expect(put(s, open('status', 'taken', NOW + 2 * HOUR), source(2))).toBe('updated');
    expect(put(s, open('status', 'free again', NOW + HOUR + 5), source(3))).toBe('stale');
    expect(held(s)).toEqual(['status=taken']);
  });

  it('equal expirations: the lowest encoded entry wins on every storer, whatever order they got them in', () => {
    const x = open('tie', 'xxx', NOW + HOUR);
    const y = open('tie', 'yyy', NOW + HOUR);
    const a = dictStore().s;
    const b = dictStore().s;
    expect([put(a, x), put(a, y)]).toEqual(['stored', 'stale']);
    expect([put(b, y), put(b, x)]).toEqual(['stored', 'updated']);
    expect(held(a)).toEqual(['tie=xxx']);
    expect(held(b)).toEqual(['tie=xxx']);
    // The same for an owner who signed two values with one expiration.
    const p = owned(alice, 'o', 'ppp');
    const q = owned(alice, 'o', 'qqq');
    const c = dictStore().s;
    const d = dictStore().s;
    put(c, p);
    put(c, q);
    put(d, q);
    put(d, p);
    expect(toHex(c.get(key)[0]!.record.signature!)).toBe(toHex(d.get(key)[0]!.record.signature!));
  });

  it('refuses expired entries, expirations beyond maxTtlMs, long subkeys and large values', async () => {
    const { s, clock } = dictStore();
    expect(put(s, open('past', 'v', NOW - 1))).toBe('expired');
    expect(put(s, open('far', 'v', NOW + DAY + 61_000))).toBe('bad-ttl');
    expect(put(s, open('k'.repeat(64), 'v'))).toBe('stored');
    expect(put(s, open('k'.repeat(65), 'v'))).toBe('invalid');
    expect(put(s, open('big', 'v'.repeat(512)))).toBe('stored');
    expect(put(s, open('bigger', 'v'.repeat(513)))).toBe('too-large');
    await clock.advance(HOUR);
    expect(s.get(key)).toEqual([]); // every entry expired at its own expiration
  });

  it('one IP group adds at most maxPerGroupPerKey subkeys (open or owned) under a key; open subkeys at most maxOpenPerKey per key', () => {
    const { s } = dictStore({ maxPerGroupPerKey: 4, maxOpenPerKey: 6 });
    for (let i = 0; i < 3; i++) expect(put(s, open(`o${i}`, 'v'), source(10, i))).toBe('stored');
    expect(put(s, owned(mallory, 'm', 'v'), source(10, 9))).toBe('stored');
    expect(put(s, open('o3', 'v'), source(10, 3))).toBe('quota'); // the /24 already added 4
    expect(put(s, owned(mallory, 'm2', 'v'), source(10, 3))).toBe('quota');
    for (let i = 3; i < 6; i++) expect(put(s, open(`o${i}`, 'v'), source(20 + i))).toBe('stored');
    expect(put(s, open('o6', 'v'), source(30))).toBe('full'); // 6 open subkeys: the key's open class is full
    expect(put(s, open('o6', 'v', NOW + 2 * HOUR), source(30))).toBe('stored'); // ... unless it expires later than one held (evicted)
    expect(put(s, owned(alice, 'owned', 'v'), source(31))).toBe('stored'); // owned subkeys are not in the open class
    expect(s.get(key).length).toBe(8);
    expect(s.evictions).toBe(1);
  });

  it('one IP group adds at most maxOpenPerGroupPerKey open subkeys under a key (16), and still owned ones up to maxPerGroupPerKey (64)', () => {
    const { s } = dictStore();
    const group = (i: number): Address => source(40, i); // one /24, many hosts
    for (let i = 0; i < 16; i++) expect(put(s, open(`open-${i}`, 'v'), group(i))).toBe('stored');
    expect(put(s, open('open-16', 'v'), group(16))).toBe('quota');
    expect(put(s, open('open-16', 'v'), source(41))).toBe('stored'); // another group is not held back
    for (let i = 0; i < 48; i++) expect(put(s, owned(mallory, `owned-${i}`, 'v'), group(i))).toBe('stored');
    expect(put(s, owned(mallory, 'owned-48', 'v'), group(48))).toBe('quota'); // 16 open + 48 owned = 64 from the /24
    // Replacing an open subkey with a later expiration is an update, not a new subkey: no cap refuses it.
    expect(put(s, open('open-0', 'newer', NOW + 2 * HOUR), group(99))).toBe('updated');
    expect(s.get(key).length).toBe(65);
  });

  it('ids: an open subkey, and the same subkey owned by two keys, are three ids', () => {
    const ids = [subkeyId(utf8('s'), undefined), subkeyId(utf8('s'), alice.publicKey.toBinary()), subkeyId(utf8('s'), mallory.publicKey.toBinary())].map(toHex);
    expect(new Set(ids).size).toBe(3);
  });
});
