/**
 * Storage quotas: one source (its address) may make a node hold at most 1 % of its value store, one IP
 * group (its /24 or /48) at most 5 %, and one IP group at most `maxPerGroupPerKey` values under one key;
 * this node's own records are never charged nor refused for room strangers took.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity, hashKey } from '../../communities/dht/index.js';
import type { DHTSettings, RecordVerdict, ValueRecord } from '../../communities/dht/index.js';
import { RecordStore } from '../../communities/dht/records/record-store.js';
import { sourceGroup } from '../../communities/dht/storage/source-group.js';
import { signRecord, unsignedRecord } from '../../communities/dht/storage/value-record.js';
import { valuePolicy } from '../../communities/dht/value-policy.js';
import type { ValuePolicyLimits } from '../../communities/dht/value-policy.js';
import { ManualClock, OverlayHost, PrivateKey, SeededRandom, utf8 } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import { dhtNet } from '../helpers/dht-net.js';
import type { DhtNet } from '../helpers/dht-net.js';
import { keyOf, testKey } from '../communities/dht/storage/helpers.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** A source in a public /24 (TEST-NET-3), and another source of the same /24. */
const FILLER: Address = { host: '203.0.113.7', port: 7_000 };
const FILLER_NEIGHBOUR: Address = { host: '203.0.113.8', port: 7_000 };
/** A source in another public /24 (TEST-NET-2). */
const HONEST: Address = { host: '198.51.100.9', port: 7_000 };
/** The DHT's default value limits. */
const LIMITS: ValuePolicyLimits = { maxDataBytes: 1_024, maxUnsignedPerKey: 64, maxSignedPerKey: 1_024, maxPerGroupPerKey: 32, maxTtlMs: 86_400_000 };

const count = (verdicts: readonly RecordVerdict[], verdict: RecordVerdict): number => verdicts.filter((v) => v === verdict).length;

describe('source groups', () => {
  it('groups public IPv4 by /24 and IPv6 by /48, and keeps loopback and LAN sources apart by full address', () => {
    expect(sourceGroup({ host: '203.0.113.7', port: 1 })).toBe('203.0.113.0/24');
    expect(sourceGroup({ host: '203.0.113.200', port: 2 })).toBe('203.0.113.0/24');
    expect(sourceGroup({ host: '::ffff:203.0.113.9', port: 3 })).toBe('203.0.113.0/24');
    expect(sourceGroup({ host: '2001:db8:1234:5678::1', port: 4 })).toBe('2001:db8:1234::/48');
    expect(sourceGroup({ host: '2001:db8:1234:ffff::2', port: 5 })).toBe('2001:db8:1234::/48');
    expect(sourceGroup({ host: '127.0.0.1', port: 8090 })).toBe('127.0.0.1:8090');
    expect(sourceGroup({ host: '127.0.0.1', port: 8091 })).toBe('127.0.0.1:8091');
    expect(sourceGroup({ host: '192.168.1.4', port: 9 })).toBe('192.168.1.4:9');
    expect(sourceGroup({ host: '10.1.2.3', port: 9 })).toBe('10.1.2.3:9');
    expect(sourceGroup({ host: '172.20.0.1', port: 9 })).toBe('172.20.0.1:9');
    expect(sourceGroup({ host: '::1', port: 9 })).toBe('[::1]:9');
    expect(sourceGroup({ host: 'fd00::5', port: 9 })).toBe('[fd00::5]:9');
  });
});

describe('RecordStore quotas per source address and IP group', () => {
  const setup = (options: ConstructorParameters<typeof RecordStore>[2] = {}, limits: Partial<ValuePolicyLimits> = {}) => {
    const clock = new ManualClock();
    return { clock, store: new RecordStore(valuePolicy({ ...LIMITS, ...limits }), clock, options) };
  };

  it('defaults: a source may fill 1 % of maxRecords (at least 16), an IP group 5 % (at least 64)', () => {
    expect(setup({ maxRecords: 2_000 }).store.quotas).toEqual({ perSource: { records: 20, bytes: 1_048_576 }, perGroup: { records: 100, bytes: 4_194_304 } });
    expect(setup().store.quotas).toMatchObject({ perSource: { records: 1_000 }, perGroup: { records: 5_000 } });
    expect(setup({ maxRecords: 100 }).store.quotas).toMatchObject({ perSource: { records: 16 }, perGroup: { records: 64 } });
  });

  it('refuses a filler beyond its records, and others still store when the filler would have filled the store', () => {
    const { store } = setup({ maxRecords: 100, maxRecordsPerSource: 30 });
    const verdicts: RecordVerdict[] = [];
    for (let i = 0; i < 150; i++) verdicts.push(store.put(unsignedRecord(keyOf(i % 200), utf8(`junk ${i}`)), MINUTE_MS, { origin: 'store', from: FILLER }));
    expect(count(verdicts, 'stored')).toBe(30);
    expect(count(verdicts, 'quota')).toBe(120);
    expect(store.usage(FILLER)).toEqual({ source: { records: 30, bytes: store.bytes }, group: { records: 30, bytes: store.bytes } });
    for (let i = 0; i < 30; i++) expect(store.put(unsignedRecord(keyOf(250), utf8(`honest ${i}`)), MINUTE_MS, { origin: 'store', from: HONEST })).toBe('stored');
    expect(store.verdicts.quota).toBe(120);
    expect(store.verdicts.full).toBe(0);
  });

  it('charges every address of a /24 to one group: together they fill at most the group share', () => {
    const { store } = setup({ maxRecords: 1_000, maxRecordsPerSource: 40, maxRecordsPerGroup: 50 });
    const put = (from: Address, i: number): RecordVerdict => store.put(unsignedRecord(keyOf(i), utf8(`${from.host} ${i}`)), MINUTE_MS, { origin: 'store', from });
    expect(Array.from({ length: 40 }, (_, i) => put(FILLER, i))).toEqual(new Array(40).fill('stored'));
    const neighbour = Array.from({ length: 40 }, (_, i) => put(FILLER_NEIGHBOUR, 40 + i));
    expect(count(neighbour, 'stored')).toBe(10);
    expect(count(neighbour, 'quota')).toBe(30);
    expect(store.usage(FILLER_NEIGHBOUR)).toMatchObject({ source: { records: 10 }, group: { records: 50 } });
    expect(put(HONEST, 100)).toBe('stored');
  });

  it('caps what one IP group adds under one key (maxPerGroupPerKey), whoever signed the values', () => {
    const { store } = setup({}, { maxPerGroupPerKey: 3 });
    const key = keyOf(9);
    const fresh = Array.from({ length: 5 }, (_, i) => store.put(signRecord(testKey(100 + i), key, utf8('mine'), 1), MINUTE_MS, { origin: 'store', from: i % 2 === 0 ? FILLER : FILLER_NEIGHBOUR }));
    expect(fresh).toEqual(['stored', 'stored', 'stored', 'quota', 'quota']);
    expect(store.put(signRecord(testKey(200), key, utf8('honest'), 1), MINUTE_MS, { origin: 'store', from: HONEST })).toBe('stored');
    // Another key is not affected.
    expect(store.put(signRecord(testKey(103), keyOf(10), utf8('mine'), 1), MINUTE_MS, { origin: 'store', from: FILLER })).toBe('stored');
  });

  it('caps bytes per source and frees the quota when the filler values expire (expired entries go first)', async () => {
    const { clock, store } = setup({ maxBytesPerSource: 1_000 });
    const big = (i: number): Uint8Array => new Uint8Array(300).fill(i);
    const put = (i: number): RecordVerdict => store.put(unsignedRecord(keyOf(i), big(i)), MINUTE_MS, { origin: 'store', from: FILLER });
    expect([0, 1, 2, 3].map(put)).toEqual(['stored', 'stored', 'stored', 'quota']);
    await clock.advance(MINUTE_MS);
    expect(put(3)).toBe('stored');
    expect(store.usage(FILLER).source).toEqual({ records: 1, bytes: 300 });
    expect(store.size).toBe(1);
  });

  it('does not charge local records, and charges a signed update to the source that sent it', () => {
    const { store } = setup({ maxRecords: 2, maxRecordsPerSource: 1 });
    const alice = testKey(1);
    for (let i = 0; i < 5; i++) expect(store.put(unsignedRecord(keyOf(1), utf8(`mine ${i}`)), MINUTE_MS, { origin: 'local' })).toBe('stored');
    // Five local records held, yet strangers still find the room of maxRecords (2) free.
    expect(store.put(signRecord(alice, keyOf(2), utf8('v1'), 1), MINUTE_MS, { origin: 'store', from: FILLER })).toBe('stored');
    expect(store.put(signRecord(alice, keyOf(3), utf8('v1'), 1), MINUTE_MS, { origin: 'store', from: FILLER })).toBe('quota');
    // the same source updating its own record stays within its quota; a refresh from anyone is free
    expect(store.put(signRecord(alice, keyOf(2), utf8('v2'), 2), MINUTE_MS, { origin: 'store', from: FILLER })).toBe('updated');
    expect(store.put(signRecord(alice, keyOf(2), utf8('v2'), 2), MINUTE_MS, { origin: 'store', from: HONEST })).toBe('refreshed');
    // a newer version sent from another group moves the charge there
    expect(store.put(signRecord(alice, keyOf(2), utf8('v3'), 3), MINUTE_MS, { origin: 'store', from: HONEST })).toBe('updated');
    expect(store.usage(FILLER).source.records).toBe(0);
    expect(store.usage(FILLER).group.records).toBe(0);
    expect(store.usage(HONEST)).toEqual({ source: { records: 1, bytes: 2 }, group: { records: 1, bytes: 2 } });
    expect(store.put(unsignedRecord(keyOf(4), utf8('other')), MINUTE_MS, { origin: 'store', from: { host: '192.0.2.1', port: 1 } })).toBe('stored');
    expect(store.size).toBe(5 + 2);
  });
});

const peerOf = (dht: DHTCommunity): { id: Uint8Array; address: Address } => ({ id: dht.nodeId, address: dht.context.transport.localAddress });

/**
 * Sends `records` (an hour to live, `ttlMs` when given) from `from` to `target` as raw store requests,
 * with the token `target` issued to `from`'s address: what any node can do. Records are grouped by key
 * (a store request carries one key).
 */
async function storeAt(from: DHTCommunity, target: DHTCommunity, records: readonly ValueRecord[], ttlMs = HOUR_MS): Promise<RecordVerdict[]> {
  const { token } = await from.queryFind(peerOf(target), records[0]!.key, false);
  const expiresAt = from.context.clock.now() + ttlMs;
  const out: RecordVerdict[] = [];
  for (let i = 0; i < records.length; ) {
    const key = records[i]!.key;
    let j = i;
    while (j < records.length && records[j]!.key === key) j++;
    const batch = records.slice(i, j).map((record) => ({ record, expiresAt }));
    out.push(...(await from.values.client.storeOn({ peer: peerOf(target), token }, key, batch)));
    i = j;
  }
  return out;
}

/** `count` unsigned junk values, `perKey` under each of the keys `keyOf(firstKey)`, `keyOf(firstKey + 1)`, ... */
function junk(count: number, perKey: number, firstKey: number, tag: string): ValueRecord[] {
  const keys = Array.from({ length: Math.ceil(count / perKey) }, (_, k) => keyOf(firstKey + k));
  return Array.from({ length: count }, (_, i) => unsignedRecord(keys[Math.floor(i / perKey)]!, utf8(`${tag} ${i}`)));
}

/** A DHT node at `host` (a public-looking address the in-memory network binds as given), joined to `net`. */
async function nodeAt(net: DhtNet, host: string, seed: number, settings: DHTSettings = {}): Promise<DHTCommunity> {
  const random = new SeededRandom(seed);
  const overlay = new OverlayHost({
    endpoint: net.network.createEndpoint({ host, port: 7_000 }),
    key: PrivateKey.generate(random),
    clock: net.clock,
    random,
    bootstrap: [net.hosts[0]!.endpoint.address],
  });
  overlay.register(DHTCommunity, settings);
  await overlay.start();
  net.hosts.push(overlay); // stopped with the others
  const dht = overlay.get(DHTCommunity);
  await net.clock.settle(dht.bootstrap());
  return dht;
}

describe('a filler on the network', () => {
  it('is refused with quota at every node, while honest values are still stored and found; expiry frees its quota', async () => {
    const net = await dhtNet(6, 4242, { store: { maxRecords: 100, maxRecordsPerSource: 30 } });
    const [filler, ...others] = net.dhts as [DHTCommunity, ...DHTCommunity[]];
    for (const target of others) {
      const verdicts = await net.clock.settle(storeAt(filler, target, junk(150, 10, 0, 'junk'), MINUTE_MS));
      expect(count(verdicts, 'stored')).toBe(30);
      expect(count(verdicts, 'quota')).toBe(120);
      expect(target.statistics.storeVerdicts['quota']).toBe(120);
    }
    // honest nodes store 10 values each, with the filler's junk still held everywhere
    for (const [n, d] of others.entries()) {
      for (let i = 0; i < 10; i++) expect(await net.clock.settle(d.storeValue(`honest ${n}/${i}`, utf8(`value ${n}/${i}`)))).toBeGreaterThan(0);
    }
    for (const [n] of others.entries()) {
      const reader = others[(n + 1) % others.length]!;
      const found = await net.clock.settle(reader.findValues(`honest ${n}/3`));
      expect(found.map((f) => new TextDecoder().decode(f.data))).toContain(`value ${n}/3`);
    }
    for (const target of others) expect(target.statistics.storeVerdicts['full'] ?? 0).toBe(0);
    // once the filler's values expired, its quota is free again
    await net.clock.advance(MINUTE_MS + 1_000);
    const again = await net.clock.settle(storeAt(filler, others[0]!, junk(10, 10, 200, 'later'), MINUTE_MS));
    expect(again).toEqual(Array(10).fill('stored'));
    await net.stopAll();
  });
});

describe('hostile sources on the network: each fills at most its share of a node', () => {
  const MAX_RECORDS = 2_000;
  const SETTINGS: DHTSettings = { store: { maxRecords: MAX_RECORDS } };

  it('a hostile single source fills at most 1 % of maxRecords', async () => {
    const net = await dhtNet(8, 5151, SETTINGS);
    const attacker = await nodeAt(net, '203.0.113.7', 1, SETTINGS);
    const targets = net.dhts.slice(1, 4);
    for (const target of targets) {
      const verdicts = await net.clock.settle(storeAt(attacker, target, junk(100, 20, 0, 'flood')));
      expect(count(verdicts, 'stored')).toBe(MAX_RECORDS / 100);
      expect(count(verdicts, 'quota')).toBe(100 - MAX_RECORDS / 100);
      const usage = target.store.usage(attacker.context.transport.localAddress);
      expect(usage.source.records).toBeLessThanOrEqual(0.01 * MAX_RECORDS);
      expect(target.store.size).toBe(0.01 * MAX_RECORDS); // nothing else is stored there
    }
    await net.stopAll();
  });

  it('a hostile /24 (ten sources) fills at most 5 % of maxRecords, each source at most 1 %', async () => {
    const net = await dhtNet(8, 5252, SETTINGS);
    const hostile = [];
    for (let i = 0; i < 10; i++) hostile.push(await nodeAt(net, `203.0.113.${10 + i}`, 100 + i, SETTINGS));
    const target = net.dhts[2]!;
    const verdicts: RecordVerdict[] = [];
    for (const [i, attacker] of hostile.entries()) {
      const mine = await net.clock.settle(storeAt(attacker, target, junk(30, 15, 10 * i, `flood ${i}`)));
      expect(count(mine, 'stored')).toBeLessThanOrEqual(0.01 * MAX_RECORDS);
      verdicts.push(...mine);
    }
    expect(count(verdicts, 'stored')).toBe(0.05 * MAX_RECORDS);
    expect(count(verdicts, 'quota')).toBe(300 - 0.05 * MAX_RECORDS);
    for (const attacker of hostile) {
      const usage = target.store.usage(attacker.context.transport.localAddress);
      expect(usage.source.records).toBeLessThanOrEqual(0.01 * MAX_RECORDS);
      expect(usage.group.records).toBe(0.05 * MAX_RECORDS);
    }
    // An honest node of another /24 still stores there.
    expect(await net.clock.settle(storeAt(net.dhts[5]!, target, junk(5, 5, 200, 'honest')))).toEqual(new Array(5).fill('stored'));
    await net.stopAll();
  });

  it("a node whose store strangers filled still keeps a value it publishes itself (origin 'local')", async () => {
    const net = await dhtNet(14, 5353, { store: { maxRecords: 200 } });
    const [target, ...strangers] = net.dhts as [DHTCommunity, ...DHTCommunity[]];
    const verdicts: RecordVerdict[] = [];
    for (const [i, stranger] of strangers.entries()) verdicts.push(...(await net.clock.settle(storeAt(stranger, target, junk(16, 16, i, `stranger ${i}`)))));
    expect(count(verdicts, 'stored')).toBe(200);
    expect(count(verdicts, 'full')).toBe(verdicts.length - 200);
    expect(count(verdicts, 'full')).toBeGreaterThan(0);

    // A key this node is the closest to: it keeps the value as one of the k closest.
    const own = Uint8Array.from(target.nodeId);
    own[19] = own[19]! ^ 1;
    expect(await net.clock.settle(target.storeValue(own, utf8('mine'), { sign: true }))).toBeGreaterThan(0);
    const held = target.store.get(own);
    expect(held.map((h) => [new TextDecoder().decode(h.record.data), h.origin])).toEqual([['mine', 'local']]);
    expect(target.store.verdicts.full).toBe(count(verdicts, 'full'));
    await net.stopAll();
  });

  it("put with origin 'local' is stored when strangers filled the store", () => {
    const clock = new ManualClock();
    const store = new RecordStore(valuePolicy(LIMITS), clock, { maxRecords: 200 });
    const verdicts: RecordVerdict[] = [];
    for (let s = 0; s < 13; s++) {
      const from = { host: `198.51.${s}.1`, port: 7_000 };
      for (let i = 0; i < 16; i++) verdicts.push(store.put(unsignedRecord(keyOf(s), utf8(`stranger ${s}/${i}`)), HOUR_MS, { origin: 'store', from }));
    }
    expect(count(verdicts, 'stored')).toBe(200);
    expect(count(verdicts, 'full')).toBe(8);
    expect(store.put(signRecord(testKey(5), keyOf(99), utf8('mine'), 1), HOUR_MS, { origin: 'local' })).toBe('stored');
    expect(store.put(unsignedRecord(keyOf(0), utf8('mine too')), HOUR_MS, { origin: 'local' })).toBe('stored');
    expect(store.size).toBe(202);
  });

  it('150 values signed by fresh keys from one source cannot bury an honest signed value under the same key', async () => {
    const net = await dhtNet(10, 5454);
    const attacker = await nodeAt(net, '203.0.113.66', 7);
    const key = hashKey('an open key');
    const fresh = Array.from({ length: 150 }, (_, i) => signRecord(PrivateKey.generate(new SeededRandom(1_000 + i)), key, utf8(`sybil ${i}`), 1));
    const closest = await net.clock.settle(attacker.findClosestNodes(key));
    expect(closest).toHaveLength(8);
    const expiresAt = net.clock.now() + HOUR_MS;
    for (const node of closest) {
      const verdicts = await net.clock.settle(attacker.values.client.storeOn({ peer: node.peer, token: node.token }, key, fresh.map((record) => ({ record, expiresAt }))));
      expect(count(verdicts, 'stored')).toBe(32); // maxPerGroupPerKey
      expect(count(verdicts, 'quota')).toBe(150 - 32);
    }

    const honest = net.dhts[3]!;
    expect(await net.clock.settle(honest.storeValue(key, utf8('the honest value'), { sign: true }))).toBeGreaterThan(0);
    for (const d of net.dhts) expect(d.store.get(key).length).toBeLessThanOrEqual(32 + 1);
    const reader = net.dhts[7]!;
    const found = await net.clock.settle(reader.findValues(key, { publisher: honest.context.key.publicKey }));
    expect(found.map((v) => [new TextDecoder().decode(v.data), v.publicKey?.midHex])).toEqual([['the honest value', honest.context.key.publicKey.midHex]]);
    const all = await net.clock.settle(reader.findValues(key));
    expect(all.filter((v) => v.publicKey?.midHex === honest.context.key.publicKey.midHex)).toHaveLength(1);
    await net.stopAll();
  });
});
