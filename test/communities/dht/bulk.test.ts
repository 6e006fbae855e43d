/**
 * `storeMany`/`findMany` as one operation (`communities/dht/bulk.ts`): lookups shared through the
 * operation's pool of nodes (every lookup seeded from it), items under one key in one publication, one result per item, and the cost
 * against the same calls one by one (the `bulk` benchmark at a size a test affords). In-memory network.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTError } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { measureBulk } from '../../../bench/bulk.js';
import { dhtNet } from '../../helpers/dht-net.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

describe('bulk operations', () => {
  it('storeMany of 40 keys: every value on its k closest, found by another node (findMany and latest finds)', async () => {
    const net = await dhtNet(50, 1701);
    const [publisher, reader] = [net.dhts[3]!, net.dhts[30]!];
    const keys = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    const lookups = publisher.statistics.lookups;
    const stored = await net.clock.settle(publisher.storeMany(keys.map((key) => ({ key, data: utf8(`v-${key}`), sign: true }))));
    expect(stored.every((r) => r.ok && r.value > 0)).toBe(true);
    expect(publisher.statistics.lookups - lookups).toBe(40); // one lookup per key, each seeded from the pool
    const found = await net.clock.settle(reader.findMany(keys, { cache: false }));
    expect(found.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : r.error.reason))).toEqual(keys.map((k) => [`v-${k}`]));
    // Each value sits on its key's k closest nodes, as a store one by one would leave it.
    for (const key of keys.slice(0, 5)) {
      const single = await net.clock.settle(reader.findValues(key, { latest: true }));
      expect(single.map((v) => text(v.data))).toEqual([`v-${key}`]);
    }
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('items under one key go in one publication: one lookup, one outcome, six verdicts from each storer', async () => {
    const net = await dhtNet(20, 1702);
    const publisher = net.dhts[4]!;
    const items = Array.from({ length: 6 }, (_, i) => ({ key: 'one key', data: utf8(`item ${i}`) }));
    const stores = (): number => net.dhts.reduce((sum, d) => sum + Object.values(d.statistics.storeVerdicts).reduce((a, b) => a + b, 0), 0);
    const before = stores();
    const lookups = publisher.statistics.lookups;
    const results = await net.clock.settle(publisher.storeMany(items));
    const acks = results.map((r) => (r.ok ? r.value : -1));
    expect(new Set(acks).size).toBe(1); // one publication: one outcome for all six
    expect(acks[0]).toBeGreaterThan(0);
    expect(stores() - before).toBe(6 * acks[0]!); // six verdicts from each storer, one store request each
    const found = await net.clock.settle(net.dhts[15]!.findValues('one key'));
    expect(found.map((v) => text(v.data)).sort()).toEqual(items.map((i) => text(i.data)).sort());
    expect(publisher.statistics.lookups - lookups).toBe(1);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('bad items fail alone with their reason; a bad concurrency is invalid-limit', async () => {
    const net = await dhtNet(10, 1703);
    const d = net.dhts[2]!;
    const results = await net.clock.settle(
      d.storeMany([
        { key: 'good', data: utf8('ok') },
        { key: 'big', data: new Uint8Array(5_000) },
        { key: 'both', data: utf8('x'), ttlMs: 1_000, expiresAt: net.clock.now() + 1_000 },
        { key: 42 as unknown as string, data: utf8('x') },
      ]),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.error.reason))).toEqual(['ok', 'too-large', 'invalid-ttl', 'invalid-key']);
    const finds = await net.clock.settle(d.findMany(['good', 42 as unknown as string, 'missing']));
    expect(finds.map((r) => (r.ok ? r.value.length : r.error.reason))).toEqual([1, 'invalid-key', 0]);
    await expect(d.findMany(['a'], { concurrency: 0 })).rejects.toBeInstanceOf(DHTError);
    await expect(d.storeMany([], { concurrency: 1.5 })).rejects.toMatchObject({ reason: 'invalid-limit' });
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('cheaper than one by one: 30 keys on 60 nodes, same seed: fewer lookup queries and a third fewer datagrams to store, no more to find', async () => {
    const r = await measureBulk({ nodes: 60, keys: 30, seed: 3 });
    expect(r.oneByOne.store.ok).toBe(30);
    expect(r.bulk.store.ok).toBe(30);
    expect(r.oneByOne.find.ok).toBe(30);
    expect(r.bulk.find.ok).toBe(30);
    expect(r.bulk.store.queries).toBeLessThan(r.oneByOne.store.queries); // lookups start near their keys
    expect(r.bulk.store.sent).toBeLessThan(0.7 * r.oneByOne.store.sent); // each storer's keys in one multi-key store datagram (332 against 510)
    expect(r.bulk.store.bytes).toBeLessThan(r.oneByOne.store.bytes);
    expect(r.bulk.find.sent).toBeLessThanOrEqual(r.oneByOne.find.sent); // finds: the quorum keeps each near its minimum
  });
});
