import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { ManualClock, utf8 } from '../../../framework/index.js';
import { equalBytes, toHex } from '../../../framework/util/bytes.js';
import { Ipv8DHTDiscoveryCommunity } from '../../../communities/ipv8/ipv8-discovery-community.js';
import { ipv8NodeId } from '../../../communities/ipv8/node-id.js';
import { Ipv8RequestPacer } from '../../../communities/ipv8/request-pacer.js';
import { parseIpv8Value } from '../../../communities/ipv8/values.js';
import { simNet } from '../../helpers/memory-nodes.js';
import type { SimNet } from '../../helpers/memory-nodes.js';

async function compatNet(n: number, seed: number): Promise<SimNet & { nodes: Ipv8DHTDiscoveryCommunity[] }> {
  const net = simNet(seed, { latencyMs: 5 });
  const nodes: Ipv8DHTDiscoveryCommunity[] = [];
  for (let i = 0; i < n; i++) {
    const bootstrap = i === 0 ? [] : [net.hosts[0]!.endpoint.address];
    const host = await net.addHost({ rateLimit: false, setup: (h) => void h.register(Ipv8DHTDiscoveryCommunity, { bootstrap }) });
    nodes.push(host.get(Ipv8DHTDiscoveryCommunity));
  }
  await net.clock.advance(20_000);
  return Object.assign(net, { nodes });
}

describe('py-ipv8 compatible DHT and discovery between Peerlay nodes (in-memory network)', () => {
  it('nodes walk, fill routing tables with address-bound py-ipv8 node ids, and leave no timer when stopped', async () => {
    const net = await compatNet(12, 1901);
    for (const d of net.nodes) {
      expect(d.routingTable.contacts().length).toBeGreaterThanOrEqual(6);
      expect(d.peers.peers().length).toBeGreaterThan(0);
      for (const c of d.routingTable.contacts()) {
        const other = net.nodes.find((o) => equalBytes(o.nodeId, c.id))!;
        expect(other).toBeDefined();
        expect(toHex(c.id)).toBe(toHex(ipv8NodeId(c.address, other.context.key.publicKey.mid)));
      }
    }
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a signed and an unsigned value stored by one node are found by every node; the signature verifies', async () => {
    const net = await compatNet(12, 1902);
    const key = new Uint8Array(20).fill(0x42);
    const storer = net.nodes[3]!;
    const signedAt = net.clock.settle(storer.storeValue(key, utf8('signed!'), { sign: true }));
    expect((await signedAt).length).toBeGreaterThan(0);
    expect((await net.clock.settle(storer.storeValue(key, utf8('plain')))).length).toBeGreaterThan(0);
    for (const d of net.nodes) {
      const found = await net.clock.settle(d.findValues(key));
      const texts = found.map((v) => new TextDecoder().decode(v.data)).sort();
      expect(texts).toEqual(['plain', 'signed!']);
      const signed = found.find((v) => v.publicKey !== undefined)!;
      expect(toHex(signed.publicKey!)).toBe(toHex(storer.context.key.publicKey.toBinary()));
    }
    await expect(storer.storeValue(key, new Uint8Array(24), { sign: true })).rejects.toThrow(/at most 170 bytes/);
    await net.stopAndDrain();
  });

  it('connectPeer(mid) finds a node through the nodes that store its address (store-peer, connect-peer)', async () => {
    const net = await compatNet(12, 1903);
    await net.clock.advance(35_000); // one store-peer round
    const target = net.nodes[5]!;
    expect(target.storers.size).toBeGreaterThan(0);
    const asker = net.nodes[9]!;
    const found = await net.clock.settle(asker.connectPeer(target.context.key.publicKey.mid));
    expect(found.some((n) => n.address.host === target.context.transport.localAddress.host && n.address.port === target.context.transport.localAddress.port)).toBe(true);
    await expect(net.clock.settle(asker.connectPeer(new Uint8Array(20).fill(7)))).rejects.toThrow(/not found/);
    await net.stopAndDrain();
  });

  it('garbage with the DHT prefix is dropped and counted, and the node keeps answering', async () => {
    const net = await compatNet(3, 1904);
    const a = net.nodes[0]!;
    const before = a.stats.droppedTotal;
    const packet = new Uint8Array(60);
    packet.set(a.prefix);
    for (const id of [1, 3, 5, 6, 246, 250, 99]) {
      packet[22] = id;
      a.receive(packet, id, { host: '10.9.9.9', port: 9 });
    }
    expect(a.stats.droppedTotal - before).toBe(7);
    expect(a.stats.dropped['unknown-message']).toBe(1);
    await net.clock.settle(net.nodes[1]!.pingAddress(a.context.transport.localAddress));
    await net.stopAndDrain();
  });
});

describe('request pacing (py-ipv8 drops an 11th request within 5 s)', () => {
  it('the first 10 requests to a node go at once, the 11th waits for the window', () => {
    const clock = new ManualClock();
    const pacer = new Ipv8RequestPacer(clock);
    const to = { host: '127.0.0.1', port: 1 };
    const waits = Array.from({ length: 12 }, () => pacer.reserve(to));
    expect(waits.slice(0, 10)).toEqual(new Array(10).fill(0));
    expect(waits[10]).toBe(5_500);
    expect(waits[11]).toBe(5_500);
    expect(pacer.reserve({ host: '127.0.0.1', port: 2 })).toBe(0);
  });
});

describe('values', () => {
  it('a signed value made here parses with its publisher and version', () => {
    expect(parseIpv8Value(new Uint8Array([0, 1, 2]))?.data).toEqual(new Uint8Array([1, 2]));
  });
});
