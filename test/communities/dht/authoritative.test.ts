/**
 * Find replies say whether the responder holds the values as a storer (`authoritative`) or only as a
 * cache; a value lookup ends at `quorum` answers once one of them is a storer, without querying the nodes
 * nearer the key that the answers point to, and never ends on caches alone.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity, compareDistance, hashKey } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

describe('authoritative find replies', () => {
  it('storers answer authoritative, caches do not; quorum storers end a lookup at once', async () => {
    const net = await dhtNet(40, 23);
    const publisher = net.dhts[5]!;
    const name = 'authoritative key';
    const key = hashKey(name);
    expect(await net.clock.settle(publisher.storeValue(name, utf8('v1'), { sign: true }))).toBe(8);
    const holders = [...net.dhts].filter((d) => d.store.get(key).length > 0).sort((a, b) => compareDistance(key, a.nodeId, b.nodeId));
    expect(holders).toHaveLength(8);
    const asker = net.dhts.find((d) => d !== publisher && !holders.includes(d))!;
    const peer = (d: DHTCommunity): { id: Uint8Array; address: { host: string; port: number } } => ({
      id: d.nodeId,
      address: net.hosts[net.dhts.indexOf(d)]!.endpoint.address as { host: string; port: number },
    });

    // A storer's reply is authoritative; a node holding the value only as a cache says so.
    const cacheNode = net.dhts.find((d) => d !== asker && d !== publisher && !holders.includes(d))!;
    cacheNode.store.put(holders[0]!.store.get(key)[0]!.record, 60_000, { origin: 'cache' });
    const fromStorer = await net.clock.settle(asker.queryFind(peer(holders[0]!), key, true));
    const fromCache = await net.clock.settle(asker.queryFind(peer(cacheNode), key, true));
    expect(fromStorer.found).toHaveLength(1);
    expect(fromStorer.authoritative).toBe(true);
    expect(fromCache.found).toHaveLength(1);
    expect(fromCache.authoritative).toBe(false);

    // The asker knows only the five farthest storers: their answers point to the three nearer ones, yet
    // three storer answers are enough.
    for (const d of net.dhts) if (d !== asker && asker.routingTable.has(d.nodeId)) asker.routingTable.remove(d.nodeId);
    for (const h of holders.slice(3)) asker.routingTable.add({ id: h.nodeId, address: peer(h).address, publicKeyBinary: h.context.key.publicKey.toBinary() });
    const before = asker.statistics.queries;
    const found = await net.clock.settle(asker.findValues(name));
    expect(found.map((v) => text(v.data))).toEqual(['v1']);
    expect(asker.statistics.queries - before).toBe(asker.settings.quorum);

    // Caches alone never end a lookup: three caches with v1, the storers with v2, the asker starting at the caches.
    expect(await net.clock.settle(publisher.storeValue(name, utf8('v2'), { sign: true }))).toBe(8);
    const v1 = fromCache.found![0]!;
    const caches = net.dhts.filter((d) => d !== asker && d !== publisher && !holders.includes(d)).slice(0, 3);
    for (const c of caches) c.store.put(cacheNode.store.get(key)[0]!.record, 60_000, { origin: 'cache' });
    for (const d of net.dhts) if (d !== asker && asker.routingTable.has(d.nodeId)) asker.routingTable.remove(d.nodeId);
    for (const c of caches) asker.routingTable.add({ id: c.nodeId, address: peer(c).address, publicKeyBinary: c.context.key.publicKey.toBinary() });
    const latest = await net.clock.settle(asker.findValues(name, { cache: false })); // v1 was cached above
    expect(latest.map((v) => text(v.data))).toEqual(['v2']);
    expect(text(v1.record.data)).toBe('v1');
    await net.stopAll();
  });
});
