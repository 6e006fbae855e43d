/**
 * connect(mid) through the in-memory NAT model (Linux-like: port-restricted filtering, 30 s / 120 s flow
 * timeouts): cone <-> cone and public -> NATed connect `punched`, two hosts behind one NAT without
 * hairpinning connect over the `lan`, symmetric <-> cone ends early (no relay) with `not-found` and a
 * message saying which paths were tried; a NATed node stays reachable after 10 simulated minutes of
 * keepalives only, and its storers hold its LAN candidate.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTError } from '../../../communities/dht/index.js';
import type { ConnectResult } from '../../../communities/discovery/index.js';
import { addressKey } from '../../../framework/index.js';
import type { MemoryNat } from '../../../framework/index.js';
import { stopAndDrain } from './discovery-net.js';
import type { DiscoveryNode } from './discovery-net.js';
import { natNet } from './nat-net.js';
import type { NatNet } from './nat-net.js';

const PUBLIC_NODES = 24;

/** Runs a connect on the virtual clock: its result or its error, and the virtual ms it took. */
async function attempt(net: NatNet, from: DiscoveryNode, to: DiscoveryNode): Promise<{ result?: ConnectResult; error?: DHTError; elapsedMs: number }> {
  const begin = net.clock.now();
  const outcome = await net.clock.settle(
    from.discovery.connect(to.host.key.publicKey.mid).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: error as DHTError }),
    ),
  );
  return { ...outcome, elapsedMs: net.clock.now() - begin };
}

describe('DHTDiscoveryCommunity.connect through NATs (MemoryNat)', () => {
  let net: NatNet;
  let cone1: MemoryNat;
  let cone2: MemoryNat;
  let symmetric: MemoryNat;
  let a: DiscoveryNode; // behind cone1
  let b: DiscoveryNode; // behind cone2
  let c: DiscoveryNode; // behind cone1 too (same NAT as a, no hairpin)
  let s: DiscoveryNode; // behind the symmetric NAT
  const started = performance.now();

  beforeAll(async () => {
    net = await natNet(PUBLIC_NODES, 1717);
    cone1 = net.network.createNat({ mapping: 'endpoint-independent', hairpin: false });
    cone2 = net.network.createNat({ mapping: 'endpoint-independent' });
    symmetric = net.network.createNat({ mapping: 'address-and-port-dependent' });
    a = await net.addBehind(cone1);
    b = await net.addBehind(cone2);
    c = await net.addBehind(cone1);
    s = await net.addBehind(symmetric);
    await net.clock.advance(15_000); // every node announced its record
    for (const n of [a, b, c, s]) expect(n.discovery.announcer.storers.size).toBeGreaterThanOrEqual(n.discovery.settings.minStorers);
  }, 120_000);

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
    console.log(`nat-paths: ${Math.round(performance.now() - started)} ms wall`);
  });

  it("storers hold a NATed node's WAN address (its NAT's) and its LAN candidate", () => {
    const holders = net.nodes.filter((n) => n.discovery.records.get(a.host.midHex).length > 0);
    expect(holders.length).toBeGreaterThanOrEqual(a.discovery.settings.minStorers);
    for (const h of holders) {
      const [record] = h.discovery.records.get(a.host.midHex);
      expect(record!.address.host).toBe(cone1.publicHost);
      expect(addressKey(record!.lan!)).toBe(addressKey(a.host.endpoint.address));
      expect(record!.lan!.host).toMatch(/^10\./);
    }
  });

  // Each connect comes from a fresh requester, as in the real-network suite: an older node may share open
  // NAT flows with the peer from DHT traffic, and then a plain hello gets through (path direct).
  it('cone <-> cone: punched, at the peer\'s NAT address, well under a second', async () => {
    const fresh = await net.addBehind(net.network.createNat({ mapping: 'endpoint-independent' }));
    const { result, elapsedMs } = await attempt(net, fresh, b);
    expect(result?.path).toBe('punched');
    expect(result!.peer.midHex).toBe(b.host.midHex);
    expect(result!.address.host).toBe(cone2.publicHost);
    expect(result!.tried.introductions).toBeGreaterThanOrEqual(1);
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('public -> NATed: punched', async () => {
    const { result } = await attempt(net, await net.addNode(), b);
    expect(result?.path).toBe('punched');
    expect(result!.address.host).toBe(cone2.publicHost);
  });

  it('fresh public requesters -> a NATed peer: all connect, median under 300 virtual ms (10 ± 5 ms one-way)', async () => {
    const times: number[] = [];
    const paths: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { result, elapsedMs } = await attempt(net, await net.addNode(), b);
      expect(result?.peer.midHex).toBe(b.host.midHex);
      paths.push(result!.path);
      times.push(elapsedMs);
    }
    times.sort((x, y) => x - y);
    const median = (times[3]! + times[4]!) / 2;
    console.log(`nat-paths: connect to a NATed peer, virtual ms ${JSON.stringify(times)}, median ${median}, paths ${paths.join(' ')}`);
    expect(median).toBeLessThan(300);
    // Punched, unless the peer's own DHT traffic had already opened its NAT toward that requester.
    for (const path of paths) expect(['punched', 'direct']).toContain(path);
    expect(paths.filter((p) => p === 'punched').length).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('two hosts behind one NAT without hairpinning: lan, at the peer\'s LAN address', async () => {
    const hairpinDrops = cone1.stats.hairpinDrops;
    const { result } = await attempt(net, a, c);
    expect(result?.path).toBe('lan');
    expect(addressKey(result!.address)).toBe(addressKey(c.host.endpoint.address));
    expect(result!.tried.addresses.lan).toBeGreaterThanOrEqual(1);
    // The hello to the shared public address was tried and dropped by the NAT: no hairpinning.
    expect(cone1.stats.hairpinDrops).toBeGreaterThan(hairpinDrops);
  });

  it('symmetric <-> cone without a relay: not-found, early, naming the paths tried', async () => {
    for (const [from, to] of [[s, b], [b, s]] as const) {
      const { result, error, elapsedMs } = await attempt(net, from, to);
      expect(result).toBeUndefined();
      expect(error).toBeInstanceOf(DHTError);
      expect(error!.reason).toBe('not-found');
      expect(error!.message).toMatch(/every node that could know it was asked/);
      expect(error!.message).toMatch(/WAN.*LAN.*relay address\(es\) with \d+ hello\(s\); asked \d+ storer\(s\)/);
      expect(elapsedMs).toBeLessThan(from.discovery.settings.connectTimeoutMs / 2);
    }
  });

  it('after 10 minutes of keepalives only, a NATed node is still reachable through its storers', async () => {
    const announcer = b.discovery.announcer;
    const before = { ...announcer.stats };
    await net.clock.advance(600_000);
    // Keepalives, not re-announcements, kept the mappings open: at most one per storer per 100 s
    // (plus the first after 20 s), and a full announcement every 300 s.
    const keepalives = announcer.stats.keepalives - before.keepalives;
    expect(keepalives).toBeGreaterThan(0);
    expect(keepalives).toBeLessThanOrEqual(announcer.storers.size * (600_000 / 100_000 + 2));
    expect(announcer.stats.announcements - before.announcements).toBeLessThanOrEqual(3);
    const { result } = await attempt(net, await net.addNode(), b);
    expect(result?.path).toBe('punched');
  }, 60_000);
});
