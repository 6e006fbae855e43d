/**
 * `findValues(key, { first: true })`: the find returns at the first answer of a plausible storer, and the
 * lookup goes on to the usual quorum in the background, refilling the cache and calling `onQuorum` (issue
 * #20: about one round trip saved). What it may return is bounded by the same rule as the quorum's early
 * stop: a far node calling itself a storer is not taken.
 *
 * Four tests share one 60-node network (each with a key and nodes of its own; the one that stops the nodes
 * runs last and checks that no timer is left); the two that rewire routing tables build their own.
 */
import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity, DHTError, compareDistance, hashKey } from '../../../communities/dht/index.js';
import type { FoundValue } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import type { DhtNet } from '../../helpers/dht-net.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

/** Leaves `d` knowing only `known` (its routing table emptied, then those added). */
function knowsOnly(net: DhtNet, d: DHTCommunity, known: readonly DHTCommunity[]): void {
  const peer = (o: DHTCommunity) => ({ id: o.nodeId, address: net.hosts[net.dhts.indexOf(o)]!.endpoint.address, publicKeyBinary: o.context.key.publicKey.toBinary() });
  for (const o of net.dhts) if (o !== d && d.routingTable.has(o.nodeId)) d.routingTable.remove(o.nodeId);
  for (const o of known) d.routingTable.add(peer(o));
}

describe('findValues with first: true', () => {
  let shared: DhtNet;
  beforeAll(async () => {
    shared = await dhtNet(60, 81);
  }, 120_000);

  it('returns the value before the quorum is reached, then calls onQuorum once with the quorum values', async () => {
    const net = shared;
    const publisher = net.dhts[3]!;
    const name = 'a key found first';
    expect(await net.clock.settle(publisher.storeValue(name, utf8('hello'), { sign: true }))).toBe(8);
    const finder = net.dhts[40]!;
    net.network.setLatency(10, 9); // answers arrive apart: the first one before the quorum's last
    const quorums: FoundValue[][] = [];
    // 1-ms steps: the clock stops moving as soon as the find returns.
    const found = await net.clock.settle(finder.findValues(name, { first: true, cache: false, onQuorum: (v) => quorums.push(v) }), 60_000, 1);
    expect(found.map((v) => text(v.data))).toEqual(['hello']);
    expect(found[0]!.publicKey?.equals(publisher.context.key.publicKey)).toBe(true);
    expect(quorums).toHaveLength(0); // returned before the quorum was reached
    await net.clock.advance(5_000); // the background lookup ends
    expect(quorums).toHaveLength(1);
    expect(quorums[0]!.map((v) => text(v.data))).toEqual(['hello']);
    expect(finder.statistics.findsWithValues).toBe(1);
  });

  it('a storer that missed an update is returned first; onQuorum and the cache then hold the newest version', async () => {
    const net = await dhtNet(40, 82);
    const publisher = net.dhts[5]!;
    const name = 'a key one storer missed the update of';
    const key = hashKey(name);
    expect(await net.clock.settle(publisher.storeValue(name, utf8('v1'), { sign: true }))).toBe(8);
    const holders = net.dhts.filter((d) => d.store.get(key).length > 0).sort((a, b) => compareDistance(key, a.nodeId, b.nodeId));
    const stale = holders[0]!;
    const address = (d: DHTCommunity) => net.hosts[net.dhts.indexOf(d)]!.endpoint.address;
    // The nearest holder misses v2: it cannot hear the publisher while v2 is stored.
    net.network.partition([address(stale)], net.dhts.filter((d) => d !== stale).map(address));
    await net.clock.settle(publisher.storeValue(name, utf8('v2'), { sign: true }));
    net.network.heal();
    expect(stale.store.get(key).map((h) => text(h.record.data))).toEqual(['v1']);
    // A finder that knows only the stale storer: its answer comes first, and it is plausible (nearest the key).
    const finder = net.dhts.find((d) => d !== publisher && !holders.includes(d))!;
    knowsOnly(net, finder, [stale]);
    const quorums: string[][] = [];
    const first = await net.clock.settle(finder.findValues(name, { first: true, onQuorum: (v) => quorums.push(v.map((x) => text(x.data))) }));
    expect(first.map((v) => text(v.data))).toEqual(['v1']);
    await net.clock.advance(5_000);
    expect(quorums).toEqual([['v2']]);
    // The quorum's answer refilled the cache: the next find (from the cache) has v2.
    expect((await net.clock.settle(finder.findValues(name))).map((v) => text(v.data))).toEqual(['v2']);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a far node serving an old version as a storer is not taken as the first answer', async () => {
    const net = await dhtNet(40, 61);
    const publisher = net.dhts[5]!;
    const name = 'a key a far node lies about first';
    const key = hashKey(name);
    expect(await net.clock.settle(publisher.storeValue(name, utf8('v1'), { sign: true }))).toBe(8);
    const holders = net.dhts.filter((d) => d.store.get(key).length > 0);
    const v1 = holders[0]!.store.get(key)[0]!.record;
    expect(await net.clock.settle(publisher.storeValue(name, utf8('v2'), { sign: true }))).toBe(8);
    const far = net.dhts.filter((d) => d !== publisher && !holders.includes(d)).sort((a, b) => compareDistance(key, b.nodeId, a.nodeId));
    const [liar, asker] = far as [DHTCommunity, DHTCommunity];
    liar.store.put(v1, 60_000, { origin: 'store' }); // it will say `authoritative` with v1
    knowsOnly(net, asker, [liar]);
    const found = await net.clock.settle(asker.findValues(name, { first: true, cache: false }));
    expect(found.map((v) => text(v.data))).toEqual(['v2']);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('with nothing stored it returns nothing when the lookup ends, and onQuorum gets the same nothing', async () => {
    const net = shared;
    const quorums: FoundValue[][] = [];
    const found = await net.clock.settle(net.dhts[2]!.findValues('a key nobody stored', { first: true, onQuorum: (v) => quorums.push(v) }));
    expect(found).toEqual([]);
    await net.clock.advance(5_000);
    expect(quorums).toEqual([[]]);
  });

  it('first and latest together are refused with a named error, before anything is sent', async () => {
    const dht = shared.dhts[0]!;
    const before = dht.statistics.queries;
    await expect(dht.findValues('k', { first: true, latest: true })).rejects.toThrow(DHTError);
    await expect(dht.findValues('k', { first: true, latest: true })).rejects.toMatchObject({ reason: 'invalid-options' });
    expect(dht.statistics.queries).toBe(before);
  });

  it('stopping the nodes while the background lookup runs leaves no timer behind (the shared network: runs last)', async () => {
    const net = shared;
    const name = 'a key whose finder stops';
    await net.clock.settle(net.dhts[1]!.storeValue(name, utf8('x'), { sign: true }));
    net.network.setLatency(10, 9); // answers arrive apart: the first one well before the quorum's last
    let called = 0;
    // 1-ms steps: the clock stops moving as soon as the first answer is returned.
    const found = await net.clock.settle(net.dhts[30]!.findValues(name, { first: true, cache: false, onQuorum: () => called++ }), 60_000, 1);
    expect(found.map((v) => text(v.data))).toEqual(['x']);
    expect(await net.stopAndDrain()).toBe(0);
    expect(called).toBe(0);
  });
});
