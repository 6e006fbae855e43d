import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { ManualClock, PrivateKey, PublicKeyCache, SeededRandom, silentLogger } from '../../../framework/index.js';
import type { Address, CommunityContext } from '../../../framework/index.js';
import { addressKey } from '../../../framework/endpoint/address.js';
import { decodeIpv8Packet, encodeIpv8Packet } from '../../../framework/wire/struct/index.js';
import { Ipv8DHTCommunity } from '../../../communities/ipv8/ipv8-dht-community.js';
import { FindRequest, FindResponse, PingRequest, PingResponse } from '../../../communities/ipv8/messages.js';

/** A compatible DHT node on a fake transport, with a fake amplification gate of `credit` bytes per address. */
async function node(credit: number) {
  const clock = new ManualClock();
  const random = new SeededRandom(5);
  const sent: Array<{ to: Address; data: Uint8Array }> = [];
  const proven = new Set<string>();
  const spent = new Map<string, number>();
  const gate = {
    allowance: (to: Address) => (proven.has(addressKey(to)) ? Number.POSITIVE_INFINITY : credit - (spent.get(addressKey(to)) ?? 0)),
    prove: (a: Address) => void proven.add(addressKey(a)),
  };
  const ctx = {
    key: PrivateKey.generate(random),
    clock,
    random,
    keys: new PublicKeyCache(),
    logger: silentLogger,
    amplification: gate,
    transport: {
      maxPacketBytes: 1_400,
      localAddress: { host: '127.0.0.1', port: 7000 },
      send(to: Address, data: Uint8Array): boolean {
        if (gate.allowance(to) < data.length) return false;
        spent.set(addressKey(to), (spent.get(addressKey(to)) ?? 0) + data.length);
        sent.push({ to, data });
        return true;
      },
    },
  } as unknown as CommunityContext;
  const dht = new Ipv8DHTCommunity(ctx, {});
  await dht.start();
  // Fill the routing table with 8 nodes so a find answer would carry 8 nodes (about 660 bytes of them).
  for (let i = 0; i < 8; i++) {
    const k = PrivateKey.generate(random);
    dht.routingTable.add({ id: dht.idOf(k.publicKey, { host: '127.0.0.2', port: 8000 + i }), address: { host: '127.0.0.2', port: 8000 + i }, publicKeyBinary: k.publicKey.toBinary() });
  }
  return { dht, sent, proven, clock };
}

const requesterKey = PrivateKey.generate(new SeededRandom(9));
const signer = { publicKeyBinary: requesterKey.publicKey.toBinary(), sign: (m: Uint8Array) => requesterKey.sign(m) };
const from = { host: '127.0.0.9', port: 9000 };
const verify = (): boolean => true;

describe('compatible mode under the host amplification budget', () => {
  it('an unproven requester gets a proof ping first and a find answer trimmed to its credit; its pong proves it', async () => {
    const { dht, sent, proven } = await node(3 * 199);
    const find = encodeIpv8Packet(dht.prefix, FindRequest, { identifier: 5, lanAddress: from, target: new Uint8Array(20).fill(3), offset: 0, forceNodes: true }, signer);
    expect(find.length).toBe(199);
    dht.receive(find, FindRequest.id, from);
    const toRequester = sent.filter((p) => addressKey(p.to) === addressKey(from));
    expect(toRequester.map((p) => p.data[22])).toEqual([PingRequest.id, FindResponse.id]);
    const total = toRequester.reduce((n, p) => n + p.data.length, 0);
    expect(total).toBeLessThanOrEqual(3 * 199);
    const answer = decodeIpv8Packet(FindResponse, toRequester[1]!.data, verify);
    if (!answer.ok) throw new Error(answer.reason);
    expect(answer.value.value.nodes.length).toBeGreaterThan(0);
    expect(answer.value.value.nodes.length).toBeLessThan(8);
    // The trimmed answer is counted: one answer, the nodes taken out of it, no values.
    expect(dht.stats.withheld['find-response:trimmed']).toBe(1);
    expect(dht.stats.withheld['find-response:trimmed-nodes']).toBe(8 - answer.value.value.nodes.length);
    expect(dht.stats.withheld['find-response:trimmed-values']).toBe(0);
    // The requester answers the ping: its address is proven, and the next answer carries all 8 nodes.
    const ping = decodeIpv8Packet(PingRequest, toRequester[0]!.data, verify);
    if (!ping.ok) throw new Error(ping.reason);
    dht.receive(encodeIpv8Packet(dht.prefix, PingResponse, { identifier: ping.value.value.identifier }, signer), PingResponse.id, from);
    expect(proven.has(addressKey(from))).toBe(true);
    dht.receive(find, FindRequest.id, from);
    const again = decodeIpv8Packet(FindResponse, sent[sent.length - 1]!.data, verify);
    if (!again.ok) throw new Error(again.reason);
    expect(again.value.value.nodes).toHaveLength(8);
    expect(dht.stats.withheld['find-response:trimmed']).toBe(1); // the full answer is not counted
    await dht.stop();
  });

  it('a pong from another address proves nothing', async () => {
    const { dht, sent, proven } = await node(3 * 199);
    dht.receive(encodeIpv8Packet(dht.prefix, FindRequest, { identifier: 5, lanAddress: from, target: new Uint8Array(20), offset: 0, forceNodes: true }, signer), FindRequest.id, from);
    const ping = decodeIpv8Packet(PingRequest, sent[0]!.data, verify);
    if (!ping.ok) throw new Error(ping.reason);
    dht.receive(encodeIpv8Packet(dht.prefix, PingResponse, { identifier: ping.value.value.identifier }, signer), PingResponse.id, { host: '127.0.0.66', port: 1 });
    expect(proven.size).toBe(0);
    await dht.stop();
  });
});
