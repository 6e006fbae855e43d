/**
 * What a connectPeer costs, in requests: a peer in the routing table is hello'd directly (one hello,
 * nothing else); a peer found by a lookup is hello'd at the address the DHT lists and no storer is asked
 * (it answers within the listing node's soft timeout); the storers' introduction is the fallback when
 * packets to the peer are dropped (a NAT), and still works, with the path reported as `punched`.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_RESEND_AT_MS } from '../../../communities/discovery/hellos.js';
import type { ConnectPath } from '../../../communities/discovery/index.js';
import { addressKey } from '../../../framework/index.js';
import { discoveryNet, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';

const NODES = 60;
const ANNOUNCE_SETTLE_MS = 15_000;
/** Most DHT find requests a lookup for a peer not in our routing table sends before the peer answers a hello. */
const MAX_FINDS = 6;

/** Requests one node sent, by kind. */
interface Sent {
  hellos: number;
  findPeers: number;
  finds: number;
  path?: ConnectPath;
}

function sent(node: DiscoveryNode): Sent {
  return {
    hellos: node.discovery.stats.sent['hello-request'] ?? 0,
    findPeers: node.discovery.stats.sent['find-peer-request'] ?? 0,
    finds: node.dht.stats.sent['dht-find-request'] ?? 0,
  };
}

describe('DHTDiscoveryCommunity.connectPeer: requests per call', () => {
  let net: DiscoveryNet;

  /** Connects `from` to `to`; returns the requests `from` sent meanwhile and checks the peer returned. */
  async function connect(from: DiscoveryNode, to: DiscoveryNode): Promise<Sent> {
    const before = sent(from);
    const { peer, path } = await net.clock.settle(from.discovery.connect(to.host.key.publicKey.mid));
    expect(peer.midHex).toBe(to.host.midHex);
    expect(addressKey(peer.address)).toBe(addressKey(to.host.endpoint.address));
    const after = sent(from);
    return { hellos: after.hellos - before.hellos, findPeers: after.findPeers - before.findPeers, finds: after.finds - before.finds, path };
  }

  /** Pairs (from, to), from never connected to to before, chosen so that `from`'s routing table holds `to` or not. */
  function pairs(inTable: boolean, count: number, used: Set<string>): Array<[DiscoveryNode, DiscoveryNode]> {
    const out: Array<[DiscoveryNode, DiscoveryNode]> = [];
    for (let i = 0; i < NODES && out.length < count; i++) {
      for (let j = NODES - 1; j >= 0 && out.length < count; j--) {
        const [a, b] = [net.nodes[i]!, net.nodes[j]!];
        if (i === j || used.has(`${i}:${j}`) || a.dht.routingTable.has(b.host.key.publicKey.mid) !== inTable) continue;
        if (a.discovery.peers.getByMid(b.host.midHex) !== undefined) continue;
        used.add(`${i}:${j}`);
        out.push([a, b]);
        break;
      }
    }
    expect(out).toHaveLength(count);
    return out;
  }

  const used = new Set<string>();

  beforeAll(async () => {
    net = await discoveryNet(NODES, 2024);
    await net.clock.advance(ANNOUNCE_SETTLE_MS);
  });

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    // Every search cancelled its timers and requests: nothing is left once the nodes stop.
    expect(await stopAndDrain(net)).toBe(0);
    expect(net.network.stats.inFlight).toBe(0);
  });

  it('a peer in our routing table: exactly one hello, no find-peer request and no DHT lookup', async () => {
    for (const [a, b] of pairs(true, 8, used)) {
      expect(await connect(a, b)).toEqual({ hellos: 1, findPeers: 0, finds: 0, path: 'direct' });
    }
  });

  it(`a peer not in our routing table: one hello at the address the DHT lists, no find-peer request, at most ${MAX_FINDS} DHT finds`, async () => {
    const costs: Sent[] = [];
    for (const [a, b] of pairs(false, 8, used)) costs.push(await connect(a, b));
    for (const cost of costs) {
      expect(cost.hellos).toBe(1);
      expect(cost.findPeers).toBe(0);
      expect(cost.path).toBe('direct');
      expect(cost.finds).toBeGreaterThanOrEqual(1);
      expect(cost.finds).toBeLessThanOrEqual(MAX_FINDS);
    }
  });

  it('when every packet to the peer is dropped (a NAT), the storers introduce us and the peer punctures toward us', async () => {
    for (const inTable of [true, false]) {
      const [[a, b]] = pairs(inTable, 1, used) as [[DiscoveryNode, DiscoveryNode]];
      net.network.setLinkOptions(a.host.endpoint.address, b.host.endpoint.address, { lossRate: 1 });
      const punctures = b.discovery.stats.sent['peer-puncture'] ?? 0;
      const cost = await connect(a, b);
      net.network.setLinkOptions(a.host.endpoint.address, b.host.endpoint.address, undefined);
      // The direct hello went out (and was lost, and resent, at most 3 times); the storers were asked, a
      // few at a time, not all k; the peer's puncture connected us.
      expect(cost.hellos).toBeGreaterThanOrEqual(1);
      expect(cost.hellos).toBeLessThanOrEqual(1 + HELLO_RESEND_AT_MS.length);
      expect(cost.path).toBe('punched');
      expect(cost.findPeers).toBeGreaterThanOrEqual(1);
      expect(cost.findPeers).toBeLessThan(a.dht.settings.bucketSize);
      expect(b.discovery.stats.sent['peer-puncture'] ?? 0).toBeGreaterThan(punctures);
    }
  });

  it('a search still running when the community stops rejects with reason stopped', async () => {
    const [[a, b]] = pairs(false, 1, used) as [[DiscoveryNode, DiscoveryNode]];
    // Neither the peer nor anyone else answers a: the search keeps going until the stop.
    net.network.partition([a.host.endpoint.address], net.nodes.filter((n) => n !== a).map((n) => n.host.endpoint.address));
    const outcome = a.discovery.connectPeer(b.host.key.publicKey.mid).then(
      () => 'found',
      (error: unknown) => (error as { reason?: string }).reason,
    );
    await net.clock.advance(300);
    await a.host.stop();
    expect(await net.clock.settle(outcome)).toBe('stopped');
    net.network.heal();
  });
});
