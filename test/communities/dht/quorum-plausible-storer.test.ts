/**
 * A find's early stop takes a node's word that it is a storer (`authoritative`) only from a node that is
 * very likely one: fewer than k / 2 of the nodes the lookup has seen are nearer the key (issue #16: an
 * attacker far from the key that serves an old version as "authoritative", with two caches of the previous
 * version, made up a quorum and the finder got the old version; with the bound at k, one ranked 7th of the
 * nodes seen still did). Storers near the key still end a find at once.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity, compareDistance, hashKey } from '../../../communities/dht/index.js';
import type { LookupEvent } from '../../../communities/dht/index.js';
import { fromHex, utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

/**
 * A 40-node network where `name` was stored signed as v1 (on 8 nodes) and then updated to v2: the
 * holders nearest the key first, a copy of the v1 record, and a node's `LookupPeer`.
 */
async function updatedKey(seed: number, name: string) {
  const net = await dhtNet(40, seed);
  const publisher = net.dhts[5]!;
  const key = hashKey(name);
  expect(await net.clock.settle(publisher.storeValue(name, utf8('v1'), { sign: true }))).toBe(8);
  const holders = net.dhts.filter((d) => d.store.get(key).length > 0).sort((a, b) => compareDistance(key, a.nodeId, b.nodeId));
  const v1 = holders[0]!.store.get(key)[0]!.record;
  expect(await net.clock.settle(publisher.storeValue(name, utf8('v2'), { sign: true }))).toBe(8);
  const peer = (d: DHTCommunity) => ({ id: d.nodeId, address: net.hosts[net.dhts.indexOf(d)]!.endpoint.address, publicKeyBinary: d.context.key.publicKey.toBinary() });
  return { net, publisher, key, holders, v1, peer };
}

describe('the storer of a quorum is one of the k closest seen', () => {
  it('a far node serving an old version as a storer, with two caches of it, does not end the find', async () => {
    const name = 'a key a far node lies about';
    const { net, publisher, key, holders, v1, peer } = await updatedKey(61, name);
    // The farthest nodes from the key: a liar that holds v1 as a storer would, two caches of v1, and the asker.
    const far = net.dhts.filter((d) => d !== publisher && !holders.includes(d)).sort((a, b) => compareDistance(key, b.nodeId, a.nodeId));
    const [liar, cacheA, cacheB, asker] = far as [DHTCommunity, DHTCommunity, DHTCommunity, DHTCommunity];
    liar.store.put(v1, 60_000, { origin: 'store' });
    cacheA.store.put(v1, 60_000, { origin: 'cache' });
    cacheB.store.put(v1, 60_000, { origin: 'cache' });
    const liarReply = await net.clock.settle(asker.queryFind(peer(liar), key, true));
    expect(liarReply.authoritative).toBe(true);
    expect(text(liarReply.found![0]!.record.data)).toBe('v1');
    // The asker knows only those three: their answers are the first three, and point nearer the key.
    for (const d of net.dhts) if (d !== asker && asker.routingTable.has(d.nodeId)) asker.routingTable.remove(d.nodeId);
    for (const d of [liar, cacheA, cacheB]) asker.routingTable.add(peer(d));
    const before = asker.statistics.queries;
    const found = await net.clock.settle(asker.findValues(name, { cache: false }));
    expect(found.map((v) => text(v.data))).toEqual(['v2']);
    expect(asker.statistics.queries - before).toBeGreaterThan(asker.settings.quorum);
    await net.stopAll();
  });

  it('a liar ranked 7th of the nodes seen (6 nearer, fewer than k = 8 but more than k / 2) does not end the find either', async () => {
    const name = 'a key a liar near the middle lies about';
    const { net, publisher, key, holders, v1, peer } = await updatedKey(63, name);
    // Four far nodes; the liar is the nearest of the first three, so only the holders the caches name rank before it.
    const far = net.dhts.filter((d) => d !== publisher && !holders.includes(d)).sort((a, b) => compareDistance(key, b.nodeId, a.nodeId));
    const [a, b, c, asker] = far as [DHTCommunity, DHTCommunity, DHTCommunity, DHTCommunity];
    const [liar, cacheA, cacheB] = [a, b, c].sort((x, y) => compareDistance(key, x.nodeId, y.nodeId)) as [DHTCommunity, DHTCommunity, DHTCommunity];
    liar.store.put(v1, 60_000, { origin: 'store' });
    cacheA.store.put(v1, 60_000, { origin: 'cache' });
    cacheB.store.put(v1, 60_000, { origin: 'cache' });
    const only = (d: DHTCommunity, known: DHTCommunity[]): void => {
      for (const o of net.dhts) if (o !== d && d.routingTable.has(o.nodeId)) d.routingTable.remove(o.nodeId);
      for (const o of known) d.routingTable.add(peer(o));
    };
    // The liar names nobody near the key; the caches name 6 of the 8 holders (6 nodes nearer than the liar).
    only(liar, [cacheA, cacheB]);
    only(cacheA, holders.slice(0, 6));
    only(cacheB, holders.slice(0, 6));
    only(asker, [liar, cacheA, cacheB]);
    const found = await net.clock.settle(asker.findValues(name, { cache: false }));
    expect(found.map((v) => text(v.data))).toEqual(['v2']);
    await net.stopAll();
  });

  it('in an honest network every storer that answers is among the k closest seen, and every find gets the newest version', { timeout: 30_000 }, async () => {
    const net = await dhtNet(100, 62);
    const k = net.dhts[0]!.settings.bucketSize;
    let finds = 0;
    let storerAnswers = 0;
    for (const paths of [1, 4]) {
      for (let i = 0; i < 4; i++) {
        const publisher = net.dhts[(i * 7 + paths) % net.dhts.length]!;
        const name = `honest key ${paths} ${i}`;
        const key = hashKey(name);
        await net.clock.settle(publisher.storeValue(name, utf8('v1'), { sign: true, disjointPaths: paths }));
        // Finds of v1 leave caches of it on the way; then v2, read with the caches still there.
        for (let j = 0; j < 3; j++) await net.clock.settle(net.dhts[(i * 13 + j * 31 + 3) % net.dhts.length]!.findValues(name, { disjointPaths: paths }));
        await net.clock.settle(publisher.storeValue(name, utf8('v2'), { sign: true, disjointPaths: paths }));
        for (let j = 0; j < 6; j++) {
          const finder = net.dhts[(i * 17 + j * 19 + 5) % net.dhts.length]!;
          if (finder === publisher) continue;
          const events: LookupEvent[] = [];
          const found = await net.clock.settle(finder.findValues(name, { disjointPaths: paths, cache: false, onEvent: (e) => events.push(e) }));
          expect(found.map((v) => text(v.data))).toEqual(['v2']);
          finds++;
          // What the find's quorum check saw: the answers with values and the nodes they pointed to.
          const seen = new Set<string>();
          for (const e of events) {
            if (e.type !== 'response' || e.records === 0) continue;
            seen.add(e.peer.id);
            for (const n of e.closer) seen.add(n.id);
            if (!e.storer) continue;
            storerAnswers++;
            const nearer = [...seen].filter((hex) => compareDistance(key, fromHex(hex), fromHex(e.peer.id)) < 0).length;
            expect(nearer, `${name}: storer ${e.peer.address}`).toBeLessThan(k);
          }
        }
      }
    }
    expect(finds).toBeGreaterThanOrEqual(40);
    expect(storerAnswers).toBeGreaterThan(finds);
    await net.stopAll();
  });
});
