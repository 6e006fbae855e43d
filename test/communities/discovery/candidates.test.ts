/**
 * Candidates a storer keeps: an announced LAN address only when it is private (never a public third
 * party), a relay address only when it is a real address; each bad one is counted and left out, the
 * announcement itself still counts. A find-peer answer carries the kept candidates with their kinds.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Announce, CANDIDATE_KIND_CODES, FindPeer } from '../../../communities/discovery/index.js';
import { addressKey } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';
import { discoveryNet, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';

describe('DHTDiscoveryCommunity storers: LAN and relay candidates', () => {
  let net: DiscoveryNet;
  let announcer: DiscoveryNode;
  let storer: DiscoveryNode;
  let requester: DiscoveryNode;

  beforeAll(async () => {
    net = await discoveryNet(12, 31);
    await net.clock.advance(5_000);
    [announcer, storer, requester] = [net.nodes[4]!, net.nodes[9]!, net.nodes[2]!];
  });

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
  });

  /** Announces `announcer`'s record to `storer` with these candidates (a token the storer issued first). */
  async function announce(lan: Address | undefined, relay: Address | undefined): Promise<boolean> {
    const [closest] = (await net.clock.settle(announcer.dht.findClosestNodes(storer.host.key.publicKey.mid))).filter((c) => addressKey(c.peer.address) === addressKey(storer.host.endpoint.address));
    const m = await net.clock.settle(announcer.discovery.sendRequest(storer.host.endpoint.address, Announce, { mid: announcer.host.key.publicKey.mid, token: closest!.token, lan, relay, nat: undefined }));
    return m.value.accepted;
  }

  const record = () => storer.discovery.records.get(announcer.host.midHex).find((r) => addressKey(r.address) === addressKey(announcer.host.endpoint.address))!;

  it('keeps a private LAN address and a relay address, and returns both with their kinds', async () => {
    const lan = { host: '192.168.7.20', port: 7000 };
    const relay = { host: '198.18.200.1', port: 40_001 };
    expect(await announce(lan, relay)).toBe(true);
    expect(record().lan).toEqual(lan);
    expect(record().relay).toEqual(relay);
    const [closest] = (await net.clock.settle(requester.dht.findClosestNodes(storer.host.key.publicKey.mid))).filter((c) => addressKey(c.peer.address) === addressKey(storer.host.endpoint.address));
    const m = await net.clock.settle(requester.discovery.sendRequest(storer.host.endpoint.address, FindPeer, { mid: announcer.host.key.publicKey.mid, token: closest!.token, lan: undefined, nat: undefined }));
    const peer = m.value.peers.find((p) => addressKey(p.address) === addressKey(announcer.host.endpoint.address))!;
    expect(peer.candidates).toEqual([
      { kind: CANDIDATE_KIND_CODES.lan, address: lan },
      { kind: CANDIDATE_KIND_CODES.relay, address: relay },
    ]);
  });

  it('a public "LAN" address (a third party) and a wildcard relay are left out and counted; the record still counts', async () => {
    const badLan = storer.discovery.stats.dropped['announce-bad-lan'] ?? 0;
    const badRelay = storer.discovery.stats.dropped['announce-bad-relay'] ?? 0;
    expect(await announce({ host: '203.0.113.9', port: 53 }, { host: '0.0.0.0', port: 9 })).toBe(true);
    expect(record().lan).toBeUndefined();
    expect(record().relay).toBeUndefined();
    expect(storer.discovery.stats.dropped['announce-bad-lan']).toBe(badLan + 1);
    expect(storer.discovery.stats.dropped['announce-bad-relay']).toBe(badRelay + 1);
    // The node's own bound address (a public one, no NAT) is not a LAN candidate, and not counted as bad.
    expect(await announce(announcer.host.endpoint.address, undefined)).toBe(true);
    expect(record().lan).toBeUndefined();
    expect(storer.discovery.stats.dropped['announce-bad-lan']).toBe(badLan + 1);
  });

  it('setRelayAddress re-announces at once with the relay; a bad address throws a named error', async () => {
    const relay = { host: '198.18.201.5', port: 41_000 };
    announcer.discovery.setRelayAddress(relay);
    await net.clock.advance(3_000);
    const holders = net.nodes.filter((n) => n.discovery.records.get(announcer.host.midHex).some((r) => r.relay !== undefined && addressKey(r.relay) === addressKey(relay)));
    expect(holders.length).toBeGreaterThanOrEqual(announcer.discovery.settings.minStorers);
    expect(() => announcer.discovery.setRelayAddress({ host: '198.18.0.1', port: 0 })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    announcer.discovery.setRelayAddress(undefined);
    await net.clock.advance(3_000);
    expect(announcer.discovery.announcer.relayAddress).toBeUndefined();
  });
});
