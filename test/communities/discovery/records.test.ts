/**
 * Storers hold a record only while its owner keeps it alive: keepalives hold it for as long as they run,
 * and a record silent for longer than recordSilenceMs is swept.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { discoveryNet, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';

const NODES = 60;
const KEEPALIVE_MS = 10_000;
const SILENCE_MS = 60_000;

/** The nodes (other than `target`) holding a record for `target`. */
function holdersOf(net: DiscoveryNet, target: DiscoveryNode): DiscoveryNode[] {
  return net.nodes.filter((n) => n !== target && n.discovery.records.get(target.host.midHex).length > 0);
}

describe('DHTDiscoveryCommunity records on storers', () => {
  it('keepalives hold a record for 3× recordSilenceMs; once its announcer stops, every storer drops it after the silence timeout, not before', async () => {
    const started = performance.now();
    const net = await discoveryNet(NODES, 5, { discovery: { keepaliveIntervalMs: KEEPALIVE_MS, recordSilenceMs: SILENCE_MS } });
    await net.clock.advance(15_000);
    const owner = net.nodes[25]!;
    const { minStorers } = owner.discovery.settings;
    const total = (): number => net.nodes.reduce((sum, n) => sum + n.discovery.records.size, 0);

    // The storers the announcer counts hold the record; so may nodes it announced to while the network
    // was still growing, until their copy falls silent.
    const storerMids = (): Set<string> => new Set(owner.discovery.announcer.storers.keys());
    expect(storerMids().size).toBeGreaterThanOrEqual(minStorers);
    for (const mid of storerMids()) expect(holdersOf(net, owner).map((n) => n.host.midHex)).toContain(mid);
    await net.clock.advance(SILENCE_MS + KEEPALIVE_MS);
    expect(new Set(holdersOf(net, owner).map((n) => n.host.midHex))).toEqual(storerMids());
    expect(total()).toBeGreaterThanOrEqual(NODES * minStorers);

    // Three silence periods pass; the keepalives (every 10 s) refresh the records, so none is swept.
    for (let i = 0; i < 3; i++) {
      await net.clock.advance(SILENCE_MS);
      expect(holdersOf(net, owner).length).toBeGreaterThanOrEqual(minStorers);
      for (const n of holdersOf(net, owner)) {
        const [record] = n.discovery.records.get(owner.host.midHex);
        expect(net.clock.now() - record!.lastSeen).toBeLessThanOrEqual(KEEPALIVE_MS + 1_000);
      }
    }
    expect(total()).toBeGreaterThanOrEqual(NODES * minStorers);

    // The owner's announcer stops (the node stays up as a storer for others).
    const holders = holdersOf(net, owner);
    const sizes = holders.map((n) => n.discovery.records.size);
    // Which other nodes' records each holder keeps: none of them may be dropped with the owner's.
    const others = (n: (typeof holders)[number]): string[] =>
      net.nodes.map((o) => o.host.midHex).filter((mid) => mid !== owner.host.midHex && n.discovery.records.get(mid).length > 0);
    const othersBefore = holders.map(others);
    owner.discovery.announcer.stop();
    const stoppedAt = net.clock.now();

    // The last keepalive was at most one interval ago, so nothing is swept before SILENCE − KEEPALIVE.
    await net.clock.advance(SILENCE_MS - KEEPALIVE_MS - 1_000);
    expect(holdersOf(net, owner).map((n) => n.host.midHex).sort()).toEqual(holders.map((n) => n.host.midHex).sort());
    holders.forEach((n, i) => expect(others(n)).toEqual(expect.arrayContaining(othersBefore[i]!)));
    holders.forEach((n, i) => expect(n.discovery.records.size).toBeGreaterThanOrEqual(sizes[i]!));

    // One sweep interval after the silence timeout, every storer has dropped it, and only it.
    await net.clock.advance(stoppedAt + SILENCE_MS + KEEPALIVE_MS + 1_000 - net.clock.now());
    expect(holdersOf(net, owner)).toEqual([]);
    // Only the owner's record went: every other record a holder kept is still there (announcers that
    // picked a holder as a new storer meanwhile may have added theirs).
    holders.forEach((n, i) => expect(others(n)).toEqual(expect.arrayContaining(othersBefore[i]!)));
    holders.forEach((n, i) => expect(n.discovery.records.size).toBeGreaterThanOrEqual(sizes[i]! - 1));

    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
    for (const n of net.nodes) expect(n.discovery.records.size).toBe(0);
    console.log(`records: ${Math.round(performance.now() - started)} ms wall`);
  }, 180_000);
});
