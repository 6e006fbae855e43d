/**
 * connectPeer on a 300-node in-memory network: random pairs find each other by mid, the returned Peer is
 * the target at its current address and proved its key, and a second call with `cached: true` for a known peer
 * returns at once.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, computeMid, equalBytes, Peer, SeededRandom } from '../../../framework/index.js';
import { discoveryNet, randomPairs, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet } from './discovery-net.js';

const NODES = 300;
const CALLS = 100;
const ANNOUNCE_SETTLE_MS = 15_000;
/** ~16 s on an idle 2-core machine; generous so a loaded machine does not fail the build step. */
const HEAVY_TIMEOUT_MS = 180_000;

describe('DHTDiscoveryCommunity.connectPeer on 300 in-memory nodes', () => {
  let net: DiscoveryNet;
  const started = performance.now();

  beforeAll(async () => {
    net = await discoveryNet(NODES, 300);
    await net.clock.advance(ANNOUNCE_SETTLE_MS);
    console.log(`connect-peer: built ${NODES} nodes and announced in ${Math.round(performance.now() - started)} ms wall`);
  }, HEAVY_TIMEOUT_MS);

  afterAll(async () => {
    expect(await stopAndDrain(net)).toBe(0);
    expect(net.network.stats.inFlight).toBe(0);
    console.log(`connect-peer: file total ${Math.round(performance.now() - started)} ms wall`);
  });

  it('every node keeps its record on at least minStorers nodes after the announcements land', () => {
    for (const n of net.nodes) expect(n.discovery.announcer.storers.size).toBeGreaterThanOrEqual(n.discovery.settings.minStorers);
  });

  it(`${CALLS} random connectPeer(mid) calls between distinct nodes all return the verified target at its current address`, async () => {
    const t0 = performance.now();
    const pairs = randomPairs(new SeededRandom(7), NODES, CALLS);
    const begin = net.clock.now();
    const calls = pairs.map(async ([from, to]) => {
      const target = net.nodes[to]!;
      const peers = await net.nodes[from]!.discovery.connectPeer(target.host.key.publicKey.mid);
      return { target, peers, virtualMs: net.clock.now() - begin };
    });
    const results = await net.clock.settle(Promise.allSettled(calls));
    const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(fulfilled).toHaveLength(CALLS);
    for (const { target, peers, virtualMs } of fulfilled) {
      expect(peers).toHaveLength(1);
      const peer = peers[0]!;
      expect(peer).toBeInstanceOf(Peer);
      expect(peer.midHex).toBe(target.host.midHex);
      // Verified: the key it signed with hashes to the mid we asked for.
      expect(equalBytes(computeMid(peer.publicKey.toBinary()), target.host.key.publicKey.mid)).toBe(true);
      expect(addressKey(peer.address)).toBe(addressKey(target.host.endpoint.address));
      expect(virtualMs).toBeLessThan(target.discovery.settings.connectTimeoutMs);
    }
    const times = fulfilled.map((f) => f.virtualMs).sort((a, b) => a - b);
    console.log(`connect-peer: ${CALLS} calls in ${Math.round(performance.now() - t0)} ms wall; virtual median ${times[CALLS >> 1]} ms, max ${times[CALLS - 1]} ms`);
    expect(net.listenerErrors).toEqual([]);
    for (const n of net.nodes) {
      expect(n.discovery.stats.handlerErrors).toBe(0);
      expect(n.dht.stats.handlerErrors).toBe(0);
    }
  });

  it('with cached: true, returns at once if already connected: no virtual time passes and no packet is sent', async () => {
    const [a, b] = [net.nodes[11]!, net.nodes[222]!];
    const mid = b.host.key.publicKey.mid;
    const [first] = await net.clock.settle(a.discovery.connectPeer(mid));
    expect(first!.midHex).toBe(b.host.midHex);

    const now = net.clock.now();
    const sent = net.network.stats.sent;
    const sentByA = a.host.endpoint.stats.packetsSent;
    const [again] = await a.discovery.connectPeer(mid, { cached: true }); // no clock.advance: it must not need virtual time
    expect(net.clock.now()).toBe(now);
    expect(net.network.stats.sent).toBe(sent);
    expect(a.host.endpoint.stats.packetsSent).toBe(sentByA);
    expect(again).toBe(first);
    expect(addressKey(again!.address)).toBe(addressKey(b.host.endpoint.address));
  });
});
