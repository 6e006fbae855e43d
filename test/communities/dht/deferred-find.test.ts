/**
 * Find requests are answered before their signature is checked when the requester is already in the
 * routing table at that address (nothing changes); any other requester is verified first: a forged one
 * is dropped unanswered and counted, a genuine one is learned.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { FindRequest } from '../../../communities/dht/messages.js';
import { PrivateKey, SeededRandom, encodePacket } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

describe('find requests and deferred verification', () => {
  it('verifies only requesters the routing table does not hold at that address (signed requests)', async () => {
    const net = await dhtNet(3, 71, {}, 10, { tagOutgoing: false });
    // Let the pings that verify contacts learned during the joins end: they check b's key at c, and the
    // count below is on b's (process-wide) key.
    await net.clock.advance(5_000);
    const [a, b, c] = net.dhts as [DHTCommunity, DHTCommunity, DHTCommunity];
    expect(a.routingTable.has(b.nodeId)).toBe(true);
    const counted = (key: { verify: (m: Uint8Array, s: Uint8Array) => boolean }): { n: number } => {
      const count = { n: 0 };
      const real = key.verify.bind(key);
      key.verify = (m, s) => {
        count.n++;
        return real(m, s);
      };
      return count;
    };
    const bAtA = counted(a.context.keys.get(b.context.key.publicKey.toBinary())!);
    const tap = tapPackets(net.hosts);
    await net.clock.settle(b.queryFind({ id: a.nodeId, address: net.hosts[0]!.endpoint.address }, c.nodeId, false));
    expect(bAtA.n).toBe(0); // b is in a's table at its address: answered without a check
    expect(tap.packets.filter((p) => p.from === net.hosts[0] && p.messageId === 4)).toHaveLength(1);

    // A stranger (not in a's table) signing with its own key: verified once, answered, learned.
    const stranger = await net.addDhtNode();
    a.routingTable.remove(stranger.nodeId);
    const strangerAtA = counted(a.context.keys.get(stranger.context.key.publicKey.toBinary())!);
    await net.clock.settle(stranger.queryFind({ id: a.nodeId, address: net.hosts[0]!.endpoint.address }, c.nodeId, false));
    expect(strangerAtA.n).toBe(1);
    expect(a.routingTable.has(stranger.nodeId)).toBe(true);

    // A forger claiming a key it does not hold, from an address a does not know it by: dropped unanswered.
    a.routingTable.remove(stranger.nodeId);
    const forger = PrivateKey.generate(new SeededRandom(9));
    const forged = encodePacket(
      a.prefix,
      FindRequest,
      { id: 77n, target: c.nodeId, records: true, cursor: undefined, publisher: undefined, token: undefined, padding: undefined },
      { publicKeyBinary: stranger.context.key.publicKey.toBinary(), sign: (m) => forger.sign(m) },
    );
    const dropsBefore = a.stats.dropped['bad-signature'] ?? 0;
    tap.clear();
    net.hosts[3]!.endpoint.send(net.hosts[0]!.endpoint.address, forged);
    await net.clock.advance(100);
    expect(a.stats.dropped['bad-signature']).toBe(dropsBefore + 1);
    expect(tap.packets.filter((p) => p.from === net.hosts[0] && p.messageId === 4)).toHaveLength(0);
    expect(a.routingTable.has(stranger.nodeId)).toBe(false);
    await net.stopAll();
  });

  it('a tagged find from a stranger is checked with one X25519 agreement, no Ed25519 verification, then learned', async () => {
    const net = await dhtNet(3, 72);
    const a = net.dhts[0]!;
    const stranger = await net.addDhtNode();
    a.routingTable.remove(stranger.nodeId);
    a.context.pairs!.clear();
    const key = a.context.keys.get(stranger.context.key.publicKey.toBinary())!;
    let verifies = 0;
    const real = key.verify.bind(key);
    key.verify = (m, s) => {
      verifies++;
      return real(m, s);
    };
    const before = { ...a.context.pairs!.stats };
    await net.clock.settle(stranger.queryFind({ id: a.nodeId, address: net.hosts[0]!.endpoint.address }, stranger.nodeId, false));
    const after = a.context.pairs!.stats;
    expect(verifies).toBe(0);
    expect(after.agreements - before.agreements).toBe(1);
    expect(after.accepted - before.accepted).toBe(1);
    expect(after.tagged - before.tagged).toBe(1); // the reply, tagged for the stranger
    expect(a.routingTable.has(stranger.nodeId)).toBe(true);
    await net.stopAll();
  });
});
