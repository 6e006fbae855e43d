/**
 * DHT traffic between nodes that know each other's keys is tagged with pairwise keys instead of signed:
 * a find costs no Ed25519 signature, a tampered or forged tag is dropped and counted, and a node that
 * signs everything (`tagOutgoing: false`) still works with nodes that tag, and is never sent a tag.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity, hashKey } from '../../../communities/dht/index.js';
import { FindRequest, FindResponse } from '../../../communities/dht/messages.js';
import { PrivateKey, SeededRandom, encodePacket, utf8 } from '../../../framework/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

/** Counts the Ed25519 signatures each host makes from now on. */
function countSigns(hosts: readonly OverlayHost[]): { n: number } {
  const count = { n: 0 };
  for (const h of hosts) {
    const key = h.key as PrivateKey & { sign(m: Uint8Array): Uint8Array };
    const real = key.sign.bind(key);
    key.sign = (m) => {
      count.n++;
      return real(m);
    };
  }
  return count;
}

const isFind = (id: number): boolean => id === FindRequest.id || id === FindResponse.id;

describe('pairwise tags on DHT traffic', () => {
  it('a find between known nodes is tagged end to end: no signature made, the value found', async () => {
    const net = await dhtNet(10, 31);
    const [publisher, finder] = [net.dhts[0]!, net.dhts[7]!];
    await net.clock.settle(publisher.storeValue(hashKey('tagged'), utf8('v1'), { sign: true }));
    await net.clock.advance(1_000);
    const tap = tapPackets(net.hosts);
    const signs = countSigns(net.hosts);
    const found = await net.clock.settle(finder.findValues(hashKey('tagged')));
    expect(found.map((v) => new TextDecoder().decode(v.data))).toEqual(['v1']);
    const finds = tap.packets.filter((p) => isFind(p.messageId));
    expect(finds.length).toBeGreaterThanOrEqual(2 * 3); // quorum 3: three requests and their replies at least
    expect(finds.filter((p) => !p.tagged)).toHaveLength(0);
    expect(signs.n).toBe(0);
    const pairs = finder.context.pairs!;
    expect(pairs.stats.accepted).toBeGreaterThanOrEqual(3);
    expect(pairs.stats.rejected).toBe(0);
    await net.stopAll();
  });

  it('a tampered or forged tag is dropped and counted, and gets no answer', async () => {
    const net = await dhtNet(4, 32);
    const [a, b] = [net.dhts[0]!, net.dhts[1]!];
    const tap = tapPackets(net.hosts);
    await net.clock.settle(b.queryFind({ id: a.nodeId, address: net.hosts[0]!.endpoint.address }, hashKey('x'), true));
    const request = tap.packets.find((p) => p.from === net.hosts[1] && p.messageId === FindRequest.id)!;
    expect(request.tagged).toBe(true);
    const tampered = request.data.slice();
    tampered[tampered.length - 20] = tampered[tampered.length - 20]! ^ 1; // a body byte
    const before = a.stats.dropped['bad-mac'] ?? 0;
    tap.clear();
    net.hosts[1]!.endpoint.send(net.hosts[0]!.endpoint.address, tampered);
    await net.clock.advance(100);
    expect(a.stats.dropped['bad-mac']).toBe(before + 1);
    expect(tap.packets.filter((p) => p.from === net.hosts[0] && p.messageId === FindResponse.id)).toHaveLength(0);

    // A stranger tags with its own X25519 key but claims b's key binary: its tag checks against b's pair key.
    const forger = PrivateKey.generate(new SeededRandom(99));
    const wrongPair = forger.sharedSecret(net.hosts[0]!.key.publicKey)!;
    expect(wrongPair).toHaveLength(32);
    const forged = encodePacket(
      a.prefix,
      FindRequest,
      { id: 5n, target: hashKey('x'), records: true, cursor: undefined, publisher: undefined, token: undefined, padding: undefined },
      { publicKeyBinary: b.context.key.publicKey.toBinary(), sign: () => new Uint8Array(64) },
      { tag: () => wrongPair.subarray(0, 16) },
    );
    net.hosts[2]!.endpoint.send(net.hosts[0]!.endpoint.address, forged);
    await net.clock.advance(100);
    expect(a.stats.dropped['bad-mac']).toBe(before + 2);
    expect(tap.packets.filter((p) => p.from === net.hosts[0] && p.messageId === FindResponse.id)).toHaveLength(0);
    await net.stopAll();
  });

  it('a node that signs everything works with nodes that tag: its packets and the replies to it are signed', async () => {
    const net = await dhtNet(6, 33);
    const signer = await net.addHost({
      bootstrap: [net.hosts[0]!.endpoint.address],
      packetMacs: { tagOutgoing: false },
      setup: (h) => h.register(DHTCommunity),
    });
    const dht = signer.get(DHTCommunity);
    await net.clock.settle(dht.bootstrap());
    await net.clock.settle(net.dhts[2]!.storeValue(hashKey('mixed'), utf8('m'), { sign: true }));
    const tap = tapPackets(net.hosts);
    const found = await net.clock.settle(dht.findValues(hashKey('mixed')));
    expect(found).toHaveLength(1);
    const mine = tap.packets.filter((p) => p.from === signer && isFind(p.messageId));
    const toMe = tap.packets.filter((p) => p.from !== signer && p.messageId === FindResponse.id && p.to === signer.endpoint.address);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.filter((p) => p.tagged)).toHaveLength(0);
    expect(toMe.length).toBeGreaterThan(0);
    expect(toMe.filter((p) => p.tagged)).toHaveLength(0); // a signed request gets a signed reply
    expect(signer.get(DHTCommunity).context.pairs!.stats.tagged).toBe(0);
    await net.stopAll();
  });
});
