/**
 * Values on a 200-node DHT (in memory, ManualClock): signed values from several publishers with updates,
 * forged and replayed records injected with valid store tokens, the per-key bound on unsigned values,
 * 1,024-byte values and the 1,025-byte limit, batches, statistics, the routing table, and expiry.
 *
 * One network serves the whole file (building 200 nodes is the expensive part); every test uses its own
 * keys, the expiry test runs last because it moves the clock, and `afterAll` stops every node and checks
 * that no timer is left.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTError, compareDistance, hashKey, signRecord } from '../../../communities/dht/index.js';
import type { DHTCommunity, FoundValue, RecordVerdict, ValueRecord } from '../../../communities/dht/index.js';
import { SeededRandom, equalBytes, toHex, utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import type { DhtNet } from '../../helpers/dht-net.js';
import { byNodeId, sum, sumCounters, text } from './large-net.js';

const NODES = 200;
/** Kademlia k (the default bucket size): how many nodes a store reaches. */
const K = 8;
/** A small per-key bound on unsigned values, so the test can go past it. */
const MAX_UNSIGNED = 10;
const SECOND_MS = 1_000;

let net: DhtNet;
let dhts: DHTCommunity[];

beforeAll(async () => {
  net = await dhtNet(NODES, 0x5eed, { maxUnsignedPerKey: MAX_UNSIGNED });
  dhts = net.dhts;
}, 300_000);

afterAll(async () => {
  if (net !== undefined) expect(await net.stopAndDrain()).toBe(0);
});

/** Every node in `finders` looks `key` up (all at once); the results in the same order. */
function findFrom(finders: readonly DHTCommunity[], key: string): Promise<FoundValue[][]> {
  return net.clock.settle(Promise.all(finders.map((d) => d.findValues(key, { cache: false })))); // every time from the network
}

/** The records of `publisher` under `key` held by any node, with their holders. */
function heldBy(key: Uint8Array, publisher: DHTCommunity): Array<{ holder: DHTCommunity; record: ValueRecord }> {
  const pk = publisher.context.key.publicKey.toBinary();
  const out: Array<{ holder: DHTCommunity; record: ValueRecord }> = [];
  for (const d of dhts) {
    for (const s of d.store.get(key)) if (s.record.publicKey !== undefined && equalBytes(s.record.publicKey, pk)) out.push({ holder: d, record: s.record });
  }
  return out;
}

/**
 * Sends `records` (with a fresh `ttlMs`) as a raw store request, with a valid token, to each of the k
 * nodes closest to `key` as `from` finds them: what a malicious node can do.
 * @returns the verdicts, one list per storer.
 */
async function injectStore(from: DHTCommunity, key: Uint8Array, records: readonly ValueRecord[], ttlMs: number): Promise<RecordVerdict[][]> {
  const closest = await net.clock.settle(from.findClosestNodes(key));
  expect(closest).toHaveLength(K);
  const expiresAt = net.clock.now() + ttlMs;
  const items = records.map((record) => ({ record, expiresAt }));
  return net.clock.settle(Promise.all(closest.map((c) => from.values.client.storeOn({ peer: c.peer, token: c.token }, key, items))));
}

describe('DHT values on 200 nodes', { timeout: 180_000 }, () => {
  it('signed: 3 publishers under one key, each updated twice; every node finds exactly the newest per publisher; forged and replayed records are rejected by storers and never returned', async () => {
    const key = 'three publishers, one key';
    const k = hashKey(key);
    const publishers = [dhts[10]!, dhts[75]!, dhts[140]!];
    const attacker = dhts[NODES - 1]!;
    const data = (j: number, version: number): string => `publisher ${j}, version ${version}`;
    /** versions[j][v - 1]: publisher j's record of version v, as its storers hold it. */
    const versions: ValueRecord[][] = publishers.map(() => []);

    for (let round = 1; round <= 3; round++) {
      const acks = await net.clock.settle(Promise.all(publishers.map((p, j) => p.storeValue(key, utf8(data(j, round)), { sign: true }))));
      expect(acks).toEqual([K, K, K]);
      publishers.forEach((p, j) => {
        const held = heldBy(k, p).filter((h) => text(h.record.data) === data(j, round));
        expect(held).toHaveLength(K);
        versions[j]!.push(held[0]!.record);
      });
      if (round === 1) {
        // Some nodes read version 1 (which caches it along their lookup paths) before the updates.
        const early = await findFrom(dhts.slice(20, 40), key);
        for (const found of early) expect(found.map((v) => text(v.data)).sort()).toEqual([0, 1, 2].map((j) => data(j, 1)));
      }
      await net.clock.advance(SECOND_MS);
    }
    for (const v of versions) expect(v[0]!.version < v[1]!.version && v[1]!.version < v[2]!.version).toBe(true);

    // The attacker replays versions 1 and 2 (genuine signatures) and forges two newer versions: one with the
    // publisher's signature over other data, one signed with the attacker's own key under the publisher's key.
    const verdictsBefore = sumCounters(dhts, (d) => d.statistics.storeVerdicts);
    for (const [j, v] of versions.entries()) {
      const newest = v[2]!;
      const tampered: ValueRecord = { ...newest, data: utf8(`forged for publisher ${j}`), version: newest.version + 1 };
      const impostor: ValueRecord = { ...signRecord(attacker.context.key, k, utf8(`impostor for publisher ${j}`), newest.version + 2), publicKey: newest.publicKey };
      const replayed = await injectStore(attacker, k, [v[0]!, v[1]!], 3_600 * SECOND_MS);
      expect(replayed).toEqual(new Array(K).fill(['stale', 'stale']));
      const forged = await injectStore(attacker, k, [tampered, impostor], 3_600 * SECOND_MS);
      expect(forged).toEqual(new Array(K).fill(['bad-signature', 'bad-signature']));
    }
    const verdictsAfter = sumCounters(dhts, (d) => d.statistics.storeVerdicts);
    expect((verdictsAfter['stale'] ?? 0) - (verdictsBefore['stale'] ?? 0)).toBe(3 * 2 * K);
    expect((verdictsAfter['bad-signature'] ?? 0) - (verdictsBefore['bad-signature'] ?? 0)).toBe(3 * 2 * K);
    // The storers still hold the newest version of every publisher.
    publishers.forEach((p, j) => {
      const storers = heldBy(k, p).filter((h) => h.record.version === versions[j]![2]!.version);
      expect(storers).toHaveLength(K);
    });

    // Every node finds exactly one value per publisher: its newest, with its key and version.
    const found = await findFrom(dhts, key);
    const expected = publishers
      .map((p, j) => ({ mid: p.context.key.publicKey.midHex, data: data(j, 3), version: versions[j]![2]!.version }))
      .sort((a, b) => (a.mid < b.mid ? -1 : 1));
    const wrong: string[] = [];
    found.forEach((values, i) => {
      const got = values.map((v) => ({ mid: v.publicKey?.midHex ?? 'unsigned', data: text(v.data), version: v.version })).sort((a, b) => (a.mid < b.mid ? -1 : 1));
      if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`node ${i}: ${JSON.stringify(got)}`);
    });
    expect(wrong).toEqual([]);
    expect(found).toHaveLength(NODES);
  });

  it('unsigned: values under one key accumulate up to maxUnsignedPerKey (10) and no further', async () => {
    const key = 'many unsigned values';
    const k = hashKey(key);
    const DISTINCT = 15;
    const storers = [...dhts].sort((a, b) => compareDistance(k, a.nodeId, b.nodeId)).slice(0, K + 1);
    const evictionsBefore = sum(storers, (d) => d.store.evictions);
    for (let i = 0; i < DISTINCT; i++) {
      // Stored one after another from different nodes, so each value expires later than the ones before it.
      expect(await net.clock.settle(dhts[(i * 13 + 3) % NODES]!.storeValue(key, utf8(`unsigned ${i}`)))).toBe(K);
      await net.clock.advance(SECOND_MS);
    }
    // No node holds more than 10; the nodes nearest the key hold exactly 10, having evicted, for each value
    // past the bound, the one expiring first. (A publisher among the k nearest does not store on itself, so
    // the (k + 1)-th nearest node holds some values too.)
    expect(dhts.filter((d) => d.store.get(k).length > 0).every((d) => storers.includes(d))).toBe(true);
    expect(Math.max(...dhts.map((d) => d.store.get(k).length))).toBe(MAX_UNSIGNED);
    expect(storers.filter((d) => d.store.get(k).length === MAX_UNSIGNED).length).toBeGreaterThanOrEqual(K - 1);
    expect(sum(storers, (d) => d.store.evictions) - evictionsBefore).toBeGreaterThanOrEqual((K - 1) * (DISTINCT - MAX_UNSIGNED - 1));

    // Storing a value again only refreshes it.
    expect(await net.clock.settle(dhts[50]!.storeValue(key, utf8(`unsigned ${DISTINCT - 1}`)))).toBe(K);
    // A newcomer that would expire before every held value is refused: 'full' from every node holding 10.
    const full = await injectStore(dhts[60]!, k, [{ key: k, data: utf8('one too many'), publicKey: undefined, version: 0, signature: undefined }], 60 * SECOND_MS);
    expect(full.flat().filter((v) => v === 'full').length).toBeGreaterThanOrEqual(K - 1);
    expect(full.flat().filter((v) => v !== 'full' && v !== 'stored')).toEqual([]);

    // Every node finds exactly 10 values: the newest ten (those expiring last), never an 11th.
    const newest = Array.from({ length: MAX_UNSIGNED }, (_, i) => `unsigned ${DISTINCT - MAX_UNSIGNED + i}`).sort();
    const found = await findFrom(dhts, key);
    const wrong = found
      .map((values, i) => ({ i, got: values.map((v) => text(v.data)).sort() }))
      .filter((r) => JSON.stringify(r.got) !== JSON.stringify(newest))
      .map((r) => `node ${r.i}: ${r.got.join(', ')}`);
    expect(wrong).toEqual([]);
    expect(found.every((values) => values.every((v) => v.publicKey === null && v.version === 0))).toBe(true);
    // Caches along the lookup paths obey the same bound.
    expect(Math.max(...dhts.map((d) => d.store.get(k).length))).toBe(MAX_UNSIGNED);
  });

  it('a signed 1,024-byte value is stored and found by every node; 1,025 bytes is too-large before anything is sent', async () => {
    const publisher = dhts[42]!;
    const data = new SeededRandom(1_024).bytes(1_024);
    expect(await net.clock.settle(publisher.storeValue('a large value', data, { sign: true }))).toBe(K);
    const found = await findFrom(dhts, 'a large value');
    const wrong = found
      .map((values, i) => ({ i, values }))
      .filter(({ values }) => values.length !== 1 || !equalBytes(values[0]!.data, data) || values[0]!.publicKey?.midHex !== publisher.context.key.publicKey.midHex)
      .map(({ i, values }) => `node ${i}: ${values.length} values`);
    expect(wrong).toEqual([]);

    const endpoint = net.hosts[42]!.endpoint;
    const sentBefore = endpoint.stats.packetsSent;
    const networkBefore = net.network.stats.sent;
    for (const sign of [true, false]) {
      const error = await publisher.storeValue('one byte too many', new Uint8Array(1_025), { sign }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DHTError);
      expect((error as DHTError).reason).toBe('too-large');
    }
    const batch = await publisher.storeMany([{ key: 'one byte too many', data: new Uint8Array(1_025), sign: true }]);
    expect(batch[0]!.ok ? 'ok' : batch[0]!.error.reason).toBe('too-large');
    expect(endpoint.stats.packetsSent).toBe(sentBefore);
    expect(net.network.stats.sent).toBe(networkBefore);
  });

  it('storeMany and findMany batches work; statistics are non-zero and consistent; the routing table is readable', async () => {
    const writer = dhts[77]!;
    const reader = dhts[150]!;
    const keys = Array.from({ length: 20 }, (_, i) => `batch key ${i}`);
    const writerBefore = { succeeded: writer.statistics.storesSucceeded, acks: writer.statistics.storeAcks };
    const stored = await net.clock.settle(
      writer.storeMany([...keys.map((key, i) => ({ key, data: utf8(`batch value ${i}`), sign: i % 2 === 0 })), { key: 'batch too large', data: new Uint8Array(2_000) }], { concurrency: 8 }),
    );
    expect(stored.map((r) => (r.ok ? r.value : r.error.reason))).toEqual([...new Array(keys.length).fill(K), 'too-large']);
    expect(writer.statistics.storesSucceeded - writerBefore.succeeded).toBe(keys.length);
    expect(writer.statistics.storeAcks - writerBefore.acks).toBe(keys.length * K);

    const r0 = reader.statistics;
    const before = { finds: r0.finds, findsWithValues: r0.findsWithValues, lookups: r0.lookups, queries: r0.queries, sentFind: reader.stats.sent['dht-find-request'] ?? 0, sentMany: reader.stats.sent['dht-find-many-request'] ?? 0 };
    const results = await net.clock.settle(reader.findMany([...keys, 'never stored'], { concurrency: 5 }));
    expect(results.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : r.error.reason))).toEqual([...keys.map((_, i) => [`batch value ${i}`]), []]);
    expect(results.slice(0, keys.length).map((r) => (r.ok ? r.value[0]!.version > 0 : undefined))).toEqual(keys.map((_, i) => i % 2 === 0));

    // The reader's own counters: one lookup per key, at least one hop each.
    const s = reader.statistics;
    expect(s.finds - before.finds).toBe(keys.length + 1);
    expect(s.findsWithValues - before.findsWithValues).toBe(keys.length);
    expect(s.lookups - before.lookups).toBe(keys.length + 1);
    const queries = s.queries - before.queries;
    expect(queries).toBeGreaterThanOrEqual(keys.length + 1);
    // Queries asked of one node at once travel in one multi-key find request, the others as find requests.
    const many = (reader.stats.sent['dht-find-many-request'] ?? 0) - before.sentMany;
    expect(many).toBeGreaterThan(0);
    expect((reader.stats.sent['dht-find-request'] ?? 0) - before.sentFind).toBeLessThan(queries);
    expect(s.hopsTotal).toBeGreaterThanOrEqual(s.lookups);
    expect(s.averageHops).toBeGreaterThanOrEqual(1);
    expect(s.averageHops).toBeLessThanOrEqual(s.hopsMax);
    expect(s.hopsMax).toBeLessThanOrEqual(Math.ceil(Math.log2(NODES)));
    expect(s.toJSON()).toMatchObject({ lookups: s.lookups, finds: s.finds, queries: s.queries, hopsMax: s.hopsMax });

    // Network-wide, once in-flight packets (background cache stores) have landed: every message sent was
    // received, every request was answered, and the network saw exactly the packets the communities sent.
    await net.clock.advance(2 * SECOND_MS);
    const sent = sumCounters(dhts, (d) => d.stats.sent);
    const received = sumCounters(dhts, (d) => d.stats.received);
    const dropped = sumCounters(dhts, (d) => d.stats.dropped);
    expect(received).toEqual(sent);
    expect(dropped).toEqual({});
    for (const name of ['dht-find-request', 'dht-find-response', 'dht-ping-request', 'dht-store-request', 'dht-store-response']) {
      expect(sent[name]).toBeGreaterThan(0);
    }
    expect(sent['dht-find-response']).toBe(received['dht-find-request']);
    expect(sent['dht-ping-response']).toBe(received['dht-ping-request']);
    expect(sent['dht-store-response']).toBe(received['dht-store-request']); // stores and caches (a store with `cache: true`)
    // The finds cached their values on the closest node that lacked them (a store request with `cache: true`).
    expect(dhts.some((d) => keys.some((key) => d.store.get(hashKey(key)).some((h) => h.origin === 'cache')))).toBe(true);
    const total = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);
    expect(net.network.stats.sent).toBe(total(sent));
    expect(net.network.stats.delivered).toBe(total(received));
    expect(sum(dhts, (d) => d.statistics.lookups)).toBeGreaterThan(NODES);
    expect(sum(dhts, (d) => d.statistics.queries)).toBeGreaterThan(sum(dhts, (d) => d.statistics.lookups));
    expect(sum(dhts, (d) => d.statistics.timeouts)).toBe(0);
    expect(sum(dhts, (d) => d.stats.handlerErrors)).toBe(0);

    // Every routing table is readable and truthful: real nodes at their real addresses, k closest in order.
    const nodes = byNodeId(dhts);
    const target = hashKey('any target');
    for (const d of dhts) {
      const table = d.routingTable;
      expect(table.size).toBeGreaterThanOrEqual(K);
      expect(table.size).toBeLessThan(NODES);
      expect(table.buckets().reduce((n, b) => n + b.contacts.length, 0)).toBe(table.size);
      expect(table.buckets().filter((b) => b.containsSelf)).toHaveLength(1);
      expect(table.snapshot()).toHaveLength(table.size);
      for (const c of table.contacts()) {
        const node = nodes.get(toHex(c.id));
        expect(node).toBeDefined();
        expect(node).not.toBe(d);
        expect(c.address).toEqual(node!.context.transport.localAddress);
      }
      const closest = table.closest(target, K);
      expect(closest).toHaveLength(K);
      for (let i = 1; i < closest.length; i++) expect(compareDistance(target, closest[i - 1]!.id, closest[i]!.id)).toBeLessThan(0);
    }
  });

  it('expiry: a value with a 60 s ttl is found by every node at 59 s and is gone everywhere at 61 s', async () => {
    const key = 'a short-lived value';
    const k = hashKey(key);
    const t0 = net.clock.now();
    expect(await net.clock.settle(dhts[5]!.storeValue(key, utf8('here for a minute'), { ttlMs: 60 * SECOND_MS }))).toBe(K);

    await net.clock.advance(t0 + 59 * SECOND_MS - net.clock.now());
    const at59 = await findFrom(dhts, key);
    expect(at59.filter((values) => values.length === 1 && text(values[0]!.data) === 'here for a minute')).toHaveLength(NODES);
    for (const [v] of at59) {
      expect(v!.expiresAt).toBeGreaterThanOrEqual(t0 + 60 * SECOND_MS - 1); // ttls travel as whole ms
      expect(v!.expiresAt).toBeLessThan(t0 + 61 * SECOND_MS);
    }
    expect(dhts.filter((d) => d.store.get(k).length > 0).length).toBeGreaterThanOrEqual(K);

    await net.clock.advance(t0 + 61 * SECOND_MS - net.clock.now());
    const at61 = await findFrom(dhts, key);
    expect(at61.filter((values) => values.length > 0)).toHaveLength(0);
    for (const d of dhts) d.store.sweep();
    expect(dhts.filter((d) => d.store.get(k, Number.NEGATIVE_INFINITY).length > 0)).toHaveLength(0);
  });
});
