/**
 * A find request to a node that issued us no token is padded so the 3x amplification bound lets its
 * reply through whole: to a third of a datagram when it asks for records, to a third of a signed reply
 * with k nodes when it asks for nodes only (joins, store lookups), so node lookups cost fewer bytes.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { DHTCommunity } from '../../../communities/dht/index.js';
import { toHex } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

const FIND_REQUEST = 3;
const FIND_RESPONSE = 4;

describe('padding of tokenless find requests', () => {
  it('a nodes-only find is padded to a third of its largest reply and still gets k nodes back; a records find to a third of a datagram', async () => {
    const net = await dhtNet(30, 91, {}, 10, { tagOutgoing: false });
    const [a, b] = net.dhts as [DHTCommunity, DHTCommunity];
    const bAt = { id: b.nodeId, address: net.hosts[1]!.endpoint.address };
    const tap = tapPackets(net.hosts.slice(0, 2));
    const sizes = async (records: boolean): Promise<{ request: number; response: number; nodes: number }> => {
      (a.peerTokens as unknown as { tokens: Map<string, string> }).tokens.delete(toHex(b.nodeId)); // a holds no token of b
      tap.clear();
      const reply = await net.clock.settle(a.queryFind(bAt, net.dhts[7]!.nodeId, records));
      const sent = (host: number, id: number) => tap.packets.filter((p) => p.from === net.hosts[host] && p.messageId === id);
      expect(sent(0, FIND_REQUEST)).toHaveLength(1);
      expect(sent(1, FIND_RESPONSE)).toHaveLength(1);
      return { request: sent(0, FIND_REQUEST)[0]!.size, response: sent(1, FIND_RESPONSE)[0]!.size, nodes: reply.nodes.length };
    };
    const nodesOnly = await sizes(false);
    const withRecords = await sizes(true);
    const k = a.settings.bucketSize;
    const datagram = net.hosts[0]!.endpoint.maxPacketBytes;
    expect(nodesOnly.nodes).toBe(k);
    expect(nodesOnly.response).toBeLessThanOrEqual(3 * nodesOnly.request);
    expect(nodesOnly.request).toBeLessThan(Math.ceil(datagram / 3) - 200);
    expect(withRecords.request).toBeGreaterThanOrEqual(Math.ceil(datagram / 3));
    expect(withRecords.nodes).toBe(k);
    await net.stopAll();
  });
});
