/**
 * What a join costs and what it leaves behind, on a 200-node DHT: O(log N) lookups (the self lookup plus
 * one refresh per far bucket), each refresh ending once its bucket holds k contacts, and afterwards every
 * far bucket holds k contacts (or every node of its range) and lookups from the new node return exactly
 * the k closest nodes of the whole network.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { joinNetworkReport } from '../../../communities/dht/join.js';
import { commonPrefixLength, compareDistance } from '../../../communities/dht/routing/node-id.js';
import { toHex } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';

const NODES = 200;
const K = 8;
const ALPHA = 3;

describe('DHT join cost', () => {
  it('a join at 200 nodes costs at most log2(N/k) + 2 lookups and leaves exact routing', { timeout: 600_000 }, async () => {
    const net = await dhtNet(NODES, 0x10a, {});
    try {
      const host = await net.addHost({ setup: (h) => h.register(DHTCommunity, {}) });
      const dht = host.get(DHTCommunity);
      const intro = [5, 77, 150].map((i) => net.hosts[i]!.endpoint.address);
      const report = await net.clock.settle(joinNetworkReport(dht, intro));

      // O(log N) lookups, every one counted, and refreshes that stop once their bucket is full.
      expect(dht.statistics.lookups).toBe(report.lookups);
      expect(report.lookups).toBe(1 + report.refreshed);
      expect(report.lookups).toBeLessThanOrEqual(Math.ceil(Math.log2(NODES / K)) + 2);
      expect(dht.statistics.queries).toBeLessThanOrEqual(report.lookups * (K + ALPHA + 1));
      expect(report.stoppedEarly).toBeGreaterThan(0);

      // Every far bucket holds k contacts, or every node of its range when the range has fewer.
      const others = net.dhts.map((d) => d.nodeId);
      for (const b of dht.routingTable.buckets()) {
        if (b.containsSelf) continue;
        const inRange = others.filter((id) => commonPrefixLength(id, dht.nodeId) === b.depth - 1).length;
        expect({ depth: b.depth, contacts: b.contacts.length }).toEqual({ depth: b.depth, contacts: Math.min(K, inRange) });
      }

      // Lookups from the new node find exactly the k closest nodes of the network.
      for (let t = 0; t < 20; t++) {
        const target = net.random.bytes(20);
        const truth = [...others].sort((a, b) => compareDistance(target, a, b)).slice(0, K).map(toHex);
        const result = await net.clock.settle(dht.lookup(target, false));
        expect(result.closest.map((a) => toHex(a.peer.id))).toEqual(truth);
      }
    } finally {
      await net.stopAll();
      await net.clock.advance(1_000);
      expect(net.clock.pendingTimers()).toBe(0);
    }
  });
});
