/**
 * Immutable values over real UDP: 5 nodes on 127.0.0.1 (ephemeral ports, no other address).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { IMMUTABLE_COMMUNITY_ID, IMMUTABLE_MAX_DATAGRAM_BYTES, ImmutableCommunity, MAX_IMMUTABLE_VALUE_BYTES } from '../../../communities/immutable/index.js';
import { OverlayHost, toHex, UdpEndpoint } from '../../../framework/index.js';
import { tapPackets } from '../../helpers/packet-tap.js';
import { udpOverlay } from '../../helpers/udp-overlay.js';

let hosts: OverlayHost[] = [];

beforeAll(async () => {
  hosts = await udpOverlay(5, (h) => {
    h.register(ImmutableCommunity);
  });
  for (const h of hosts) expect(h.endpoint.address.host).toBe('127.0.0.1');
  for (const h of hosts) expect(h.get(DHTCommunity).routingTable.size).toBe(4);
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('immutable values over UDP on 127.0.0.1 (5 nodes)', () => {
  it('an 8 KiB value put by one node is fetched and checked by every node, in datagrams of at most 1,280 bytes', async () => {
    const nodes = hosts.map((h) => h.get(ImmutableCommunity));
    const tap = tapPackets(hosts);
    const value = new Uint8Array(randomBytes(MAX_IMMUTABLE_VALUE_BYTES));
    const put = await nodes[1]!.put(value);
    expect(put.chunks).toBe(16);
    expect(put.stored).toBe(5); // k = 8 > 5 nodes: all of them, the publisher included
    for (const n of nodes) expect(await n.get(put.key)).toEqual(value); // each holds a copy (5 nodes, k = 8)
    // A newcomer holds nothing: it fetches the 16 chunks over UDP and checks them.
    const newcomer = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
    newcomer.register(DHTCommunity, { requestTimeoutMs: [100, 1_000] });
    const reader = newcomer.register(ImmutableCommunity);
    hosts.push(newcomer);
    const sent = tapPackets([newcomer]);
    await newcomer.start();
    await newcomer.get(DHTCommunity).bootstrap([hosts[0]!.endpoint.address]);
    expect(reader.chunks.store.size).toBe(0);
    sent.clear();
    expect(await reader.get(put.key)).toEqual(value);
    const finds = sent.packets.filter((p) => p.communityIdHex === toHex(IMMUTABLE_COMMUNITY_ID) && p.messageId === 1);
    expect(finds.length).toBe(16); // one page (one chunk) per find, all from the closest storer
    expect(Math.max(...sent.packets.map((p) => p.size))).toBeLessThanOrEqual(IMMUTABLE_MAX_DATAGRAM_BYTES);
    const small = await nodes[3]!.put(new TextEncoder().encode('hello over udp'));
    expect(new TextDecoder().decode(await nodes[0]!.get(small.key))).toBe('hello over udp');
    expect(tap.packets.length).toBeGreaterThan(0);
    expect(Math.max(...tap.packets.map((p) => p.size))).toBeLessThanOrEqual(IMMUTABLE_MAX_DATAGRAM_BYTES);
  });
});
