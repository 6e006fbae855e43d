/**
 * Replayed signed packets cannot move a contact (issue: off-path address hijack). A node adopts a new
 * address for a key only on proof: an answer to its own request (a fresh random id) from that address, or
 * a challenge ping it sends there when an unsolicited packet claims it. A puncture counts only when it
 * echoes the id of a find-peer request of a running search.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../communities/dht/index.js';
import { DHTDiscoveryCommunity, PeerPuncture } from '../../communities/discovery/index.js';
import { OverlayHost, SeededRandom, addressKey, toHex } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import { dhtNet } from '../helpers/dht-net.js';
import type { DhtNet } from '../helpers/dht-net.js';
import { tapPackets } from '../helpers/packet-tap.js';
import { overlayNet } from '../helpers/overlay-net.js';
import type { OverlayNet } from '../helpers/overlay-net.js';

/** The attacker's socket, at an address of its own (public-looking, so no LAN exemption applies). */
const ATTACKER: Address = { host: '198.18.66.6', port: 6_666 };

let net: DhtNet | OverlayNet | undefined;
afterEach(async () => {
  if (net !== undefined) await net.stopAll();
  net = undefined;
});

describe('replayed DHT requests', () => {
  it('a replay from another address, to the node that got it and to another node, now and 30 min later, moves nothing', async () => {
    // Every packet signed (no pairwise tags), as a victim's first packets to a node are.
    const n = await dhtNet(12, 77, {}, 10, { tagOutgoing: false });
    net = n;
    const [victim, x, y] = [n.dhts[1]!, n.dhts[2]!, n.dhts[3]!];
    const victimAddress = victim.context.transport.localAddress;
    for (const d of [x, y]) await n.clock.settle(d.ping({ address: victimAddress })); // both know the victim, proven
    const tap = tapPackets([n.hosts[1]!]);
    await n.clock.settle(victim.ping({ address: x.context.transport.localAddress }));
    const ping = tap.packets.find((p) => p.communityIdHex === victim.communityIdHex && p.messageId === 1)!;
    expect(ping.tagged).toBe(false);
    const attacker = n.network.createEndpoint(ATTACKER);
    await attacker.open();
    const replay = async (): Promise<void> => {
      for (const d of [x, y]) attacker.send(d.context.transport.localAddress, ping.data);
      await n.clock.advance(5_000);
    };
    const at = (d: DHTCommunity): string | undefined => {
      const c = d.routingTable.get(victim.nodeId);
      return c === undefined ? undefined : addressKey(c.address);
    };
    await replay();
    for (const d of [x, y]) {
      expect(at(d)).toBe(addressKey(victimAddress));
      expect(d.statistics.addressChallenges).toBeGreaterThanOrEqual(1);
      expect(d.statistics.addressChallengesFailed).toBe(d.statistics.addressChallenges); // the attacker cannot answer for the key
    }
    await n.clock.advance(30 * 60_000);
    await replay();
    for (const d of [x, y]) expect(at(d)).toBe(addressKey(victimAddress));
  });

  it('a node that really moved is adopted at its new address once it answers the challenge there', async () => {
    const n = await dhtNet(8, 78, {}, 10, { tagOutgoing: false });
    net = n;
    const [victim, y] = [n.dhts[1]!, n.dhts[3]!];
    await n.clock.settle(y.ping({ address: victim.context.transport.localAddress }));
    const key = n.hosts[1]!.key;
    await n.hosts[1]!.stop();
    // The same key on a new socket (a new address after a NAT rebinding or a restart).
    const moved = new OverlayHost({ endpoint: n.network.createEndpoint(), key, clock: n.clock, random: new SeededRandom(5), packetMacs: { tagOutgoing: false } });
    const dht = moved.register(DHTCommunity);
    await moved.start();
    n.hosts.push(moved);
    const challengesBefore = y.statistics.addressChallenges;
    await n.clock.settle(dht.ping({ address: y.context.transport.localAddress }));
    await n.clock.advance(2_000);
    expect(y.statistics.addressChallenges).toBe(challengesBefore + 1);
    expect(addressKey(y.routingTable.get(key.publicKey.mid)!.address)).toBe(addressKey(moved.endpoint.address));
  });
});

describe('replayed punctures', () => {
  it("a puncture replayed from another address, or after its search, is dropped; connectPeer returns the peer's real address", async () => {
    const o = await overlayNet(12, 79, (h) => void h.register(DHTDiscoveryCommunity));
    net = o;
    const discovery = (i: number): DHTDiscoveryCommunity => o.hosts[i]!.get(DHTDiscoveryCommunity);
    const [requester, peer] = [discovery(2), discovery(7)];
    await o.clock.advance(15_000); // announcements
    // Make the peer send a puncture for real: a find-peer through storers when direct hellos are lost.
    o.network.setLinkOptions(o.hosts[2]!.endpoint.address, o.hosts[7]!.endpoint.address, { lossRate: 1 });
    const tap = tapPackets([o.hosts[7]!]);
    const [found] = await o.clock.settle(requester.connectPeer(o.hosts[7]!.key.publicKey.mid));
    o.network.setLinkOptions(o.hosts[2]!.endpoint.address, o.hosts[7]!.endpoint.address, undefined);
    expect(addressKey(found!.address)).toBe(addressKey(o.hosts[7]!.endpoint.address));
    const puncture = tap.packets.find((p) => p.communityIdHex === peer.communityIdHex && p.messageId === PeerPuncture.id)!;
    expect(puncture).toBeDefined();
    // The attacker replays it from its own address during a new search for the peer.
    const attacker = o.network.createEndpoint(ATTACKER);
    await attacker.open();
    await o.clock.advance(20 * 60_000); // the first search's verification is old: connectPeer searches again
    // Drops are counted by source: the peer's own late punctures (one per storer that introduced us) are
    // unsolicited too once the search has its answer.
    const fromAttacker: string[] = [];
    requester.on('packet:dropped', (reason, from) => {
      if (addressKey(from) === addressKey(attacker.address)) fromAttacker.push(reason);
    });
    const search = requester.connectPeer(o.hosts[7]!.key.publicKey.mid);
    attacker.send(o.hosts[2]!.endpoint.address, puncture.data);
    const [again] = await o.clock.settle(search);
    expect(addressKey(again!.address)).toBe(addressKey(o.hosts[7]!.endpoint.address));
    expect(fromAttacker).toEqual(['unsolicited-puncture']);
    expect(toHex(again!.publicKey.mid)).toBe(o.hosts[7]!.midHex);
  });
});
