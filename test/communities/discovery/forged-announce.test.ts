/**
 * Storers accept an address record only for the mid of the key that signed the announcement, and only
 * with a store token they issued to the announcing address. A forged record never redirects connectPeer.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindReplyAnswer } from '../../../communities/dht/index.js';
import { AnnounceRequest, PeerPuncture } from '../../../communities/discovery/index.js';
import { addressKey } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';
import { discoveryNet, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';

const NODES = 60;

interface AnnounceVerdict {
  accepted: boolean;
  reason: string;
}

describe('DHTDiscoveryCommunity storers reject forged announcements', () => {
  let net: DiscoveryNet;
  let victim: DiscoveryNode;
  let attacker: DiscoveryNode;
  let requester: DiscoveryNode;
  /** The nodes closest to the victim's mid, with the tokens each issued to the attacker. */
  let closest: FindReplyAnswer[];
  const started = performance.now();

  const nodeAt = (address: Address): DiscoveryNode => net.nodes.find((n) => addressKey(n.host.endpoint.address) === addressKey(address))!;
  const announce = (from: DiscoveryNode, to: Address, mid: Uint8Array, token: Uint8Array): Promise<AnnounceVerdict> =>
    net.clock.settle(from.discovery.sendRequest(to, AnnounceRequest, { mid, token, lan: undefined, relay: undefined, nat: undefined })).then((m) => {
      const { accepted, reason } = m.value as AnnounceVerdict;
      return { accepted, reason };
    });

  beforeAll(async () => {
    net = await discoveryNet(NODES, 99);
    await net.clock.advance(15_000);
    [victim, attacker, requester] = [net.nodes[12]!, net.nodes[40]!, net.nodes[51]!];
    closest = await net.clock.settle(attacker.dht.findClosestNodes(victim.host.key.publicKey.mid));
    expect(closest.length).toBe(attacker.dht.settings.bucketSize);
  });

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
    console.log(`forged-announce: ${Math.round(performance.now() - started)} ms wall`);
  });

  it("an announcement of the victim's mid signed by the attacker, with a valid token, is refused as mid-mismatch and counted", async () => {
    const storers = closest.filter((c) => nodeAt(c.peer.address) !== attacker);
    for (const c of storers) {
      const storer = nodeAt(c.peer.address);
      const dropped = storer.discovery.stats.dropped['announce-mid-mismatch'] ?? 0;
      const verdict = await announce(attacker, c.peer.address, victim.host.key.publicKey.mid, c.token);
      expect(verdict).toEqual({ accepted: false, reason: 'mid-mismatch' });
      expect(storer.discovery.stats.dropped['announce-mid-mismatch']).toBe(dropped + 1);
      const held = storer.discovery.records.get(victim.host.midHex).map((r) => addressKey(r.address));
      expect(held).not.toContain(addressKey(attacker.host.endpoint.address));
    }
    // Control: the same tokens are good for the attacker's own mid, so only the mid made the difference.
    const first = storers[0]!;
    expect(await announce(attacker, first.peer.address, attacker.host.key.publicKey.mid, first.token)).toEqual({ accepted: true, reason: '' });
  });

  it("connectPeer(victim) still returns the victim's real address, even when the attacker punctures the requester meanwhile", async () => {
    const search = requester.discovery.connectPeer(victim.host.key.publicKey.mid);
    // The attacker races a signed puncture at the requester: it proves the attacker's key, not the victim's.
    attacker.discovery.send(requester.host.endpoint.address, PeerPuncture, { nonce: 1n });
    const [peer] = await net.clock.settle(search);
    expect(peer!.midHex).toBe(victim.host.midHex);
    expect(addressKey(peer!.address)).toBe(addressKey(victim.host.endpoint.address));
    expect(addressKey(peer!.address)).not.toBe(addressKey(attacker.host.endpoint.address));
    // The attacker's puncture did arrive, and was dropped: no search of the requester asked for it.
    expect(requester.discovery.stats.dropped['unsolicited-puncture']).toBeGreaterThanOrEqual(1);
  });

  it('an announcement with a token the storer issued to another address is refused as bad-token and counted', async () => {
    // Tokens the same storers issued to the requester's address.
    const issuedToRequester = await net.clock.settle(requester.dht.findClosestNodes(victim.host.key.publicKey.mid));
    const c = issuedToRequester.find((x) => nodeAt(x.peer.address) !== attacker && nodeAt(x.peer.address) !== requester)!;
    const storer = nodeAt(c.peer.address);
    const dropped = storer.discovery.stats.dropped['announce-bad-token'] ?? 0;
    const verdict = await announce(attacker, c.peer.address, attacker.host.key.publicKey.mid, c.token);
    expect(verdict).toEqual({ accepted: false, reason: 'bad-token' });
    expect(storer.discovery.stats.dropped['announce-bad-token']).toBe(dropped + 1);
    // The token is fine for the address it was issued to.
    expect(await announce(requester, c.peer.address, requester.host.key.publicKey.mid, c.token)).toEqual({ accepted: true, reason: '' });
  });
});
