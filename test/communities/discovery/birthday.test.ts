/**
 * Birthday probing through the in-memory NAT model, no relay anywhere: a fresh requester behind a
 * symmetric NAT connects to a peer behind a cone NAT (it opens probe sockets, the peer sprays its IP),
 * and a fresh requester behind a cone NAT connects to a peer behind a symmetric NAT (the reverse); both
 * report the path `birthday`, and DHT pings then go both ways over it. Two symmetric NATs start no
 * probing and end `not-found`. Nodes without probe sockets keep the old outcome.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTError } from '../../../communities/dht/index.js';
import type { ConnectResult } from '../../../communities/discovery/index.js';
import { BIRTHDAY_SOCKETS, IntroduceRequest, NAT_CODES, SPRAY_PROBES } from '../../../communities/discovery/index.js';
import { ProbingEndpoint } from '../../../framework/index.js';
import type { MemoryNat } from '../../../framework/index.js';
import { stopAndDrain } from './discovery-net.js';
import type { DiscoveryNode } from './discovery-net.js';
import { natNet } from './nat-net.js';
import type { NatNet } from './nat-net.js';

/** Runs a connect on the virtual clock: its result or its error. */
async function attempt(net: NatNet, from: DiscoveryNode, to: DiscoveryNode): Promise<{ result?: ConnectResult; error?: DHTError }> {
  return net.clock.settle(
    from.discovery.connect(to.host.key.publicKey.mid).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: error as DHTError }),
    ),
  );
}

describe('birthday probing between a symmetric and a cone NAT (MemoryNat, no relay)', () => {
  let net: NatNet;
  const probingOf = new Map<DiscoveryNode, ProbingEndpoint>();
  let lanHost = 0;

  /** A node behind `nat` whose endpoint can open probe sockets on its LAN host. */
  async function probingNode(nat: MemoryNat): Promise<DiscoveryNode> {
    const host = `10.9.${Math.floor(++lanHost / 250)}.${(lanHost % 250) + 2}`;
    let port = 20_000;
    let endpoint: ProbingEndpoint | undefined;
    const node = await net.addOn(() => {
      endpoint = new ProbingEndpoint(net.network.createEndpoint({ host, port: 7_000 }, { behind: nat }), {
        createSocket: () => net.network.createEndpoint({ host, port: port++ }, { behind: nat }),
      }, net.clock);
      return endpoint;
    });
    node.discovery.setProbing(endpoint);
    probingOf.set(node, endpoint!);
    return node;
  }

  const symmetricNat = (): MemoryNat => net.network.createNat({ mapping: 'address-and-port-dependent' });
  const coneNat = (): MemoryNat => net.network.createNat({ mapping: 'endpoint-independent' });

  let cone: DiscoveryNode;
  let symmetric: DiscoveryNode;
  let symmetricHome: MemoryNat;

  beforeAll(async () => {
    net = await natNet(24, 4242);
    cone = await probingNode(coneNat());
    symmetricHome = symmetricNat();
    symmetric = await probingNode(symmetricHome);
    await net.clock.advance(15_000); // NAT verdicts known, records announced with them
    expect(cone.discovery.natCode()).toBe(NAT_CODES.cone);
    expect(symmetric.discovery.natCode()).toBe(NAT_CODES.symmetric);
    for (const n of [cone, symmetric]) {
      const holders = net.nodes.filter((h) => h.discovery.records.get(n.host.midHex).length > 0);
      expect(holders.length).toBeGreaterThanOrEqual(n.discovery.settings.minStorers);
      for (const h of holders) expect(h.discovery.records.get(n.host.midHex)[0]!.nat).toBe(n.discovery.natCode());
    }
  }, 120_000);

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
  });

  it('symmetric requester -> cone peer: it opens probe sockets, the peer sprays, path birthday, pings both ways', async () => {
    const requester = await probingNode(symmetricNat());
    await net.clock.advance(5_000);
    expect(requester.discovery.natCode()).toBe(NAT_CODES.symmetric);
    const { result, error } = await attempt(net, requester, cone);
    expect(error).toBeUndefined();
    expect(result!.path).toBe('birthday');
    expect(result!.tried.probing).toBe('sockets');
    expect(result!.peer.midHex).toBe(cone.host.midHex);
    const probing = probingOf.get(requester)!;
    expect(probing.probing.socketsOpened).toBe(BIRTHDAY_SOCKETS);
    expect(probing.isPinned(result!.address)).toBe(true);
    expect(cone.discovery.birthday.stats.sprays).toBe(1);
    // The path carries traffic both ways: a DHT ping each way is answered.
    const there = await net.clock.settle(requester.dht.ping({ id: cone.host.key.publicKey.mid, address: result!.address }));
    expect(there.publicKey.midHex).toBe(cone.host.midHex);
    // The spray stopped once the requester's hello reached the peer: far fewer than all its probes.
    await net.clock.advance(10_000);
    expect(cone.discovery.birthday.stats.sprayed).toBeGreaterThan(0);
    expect(cone.discovery.birthday.stats.sprayed).toBeLessThan(SPRAY_PROBES);
    // The batch's other sockets are closed after its window; the pinned one stays.
    expect(probing.probing.socketsOpen).toBe(1);
  }, 60_000);

  it('cone requester -> symmetric peer: it sprays, the peer opens probe sockets, path birthday', async () => {
    const requesterNat = coneNat();
    const requester = await probingNode(requesterNat);
    await net.clock.advance(5_000);
    const batches = symmetric.discovery.birthday.stats.batches;
    const { result, error } = await attempt(net, requester, symmetric);
    expect(error).toBeUndefined();
    expect(result!.path).toBe('birthday');
    expect(result!.tried.probing).toBe('spray');
    // The peer answered from a port of its NAT no storer listed: one its probe socket was mapped to.
    expect(result!.address.host).toBe(symmetricHome.publicHost);
    const listed = net.nodes.flatMap((h) => h.discovery.records.get(symmetric.host.midHex).map((r) => r.address.port));
    expect(listed).not.toContain(result!.address.port);
    expect(symmetric.discovery.birthday.stats.batches).toBe(batches + 1);
    // The peer's probe socket that was hit carries its traffic to the requester's public address.
    expect(probingOf.get(symmetric)!.isPinned({ host: requesterNat.publicHost, port: 7_000 })).toBe(true);
    const pong = await net.clock.settle(requester.dht.ping({ id: symmetric.host.key.publicKey.mid, address: result!.address }));
    expect(pong.publicKey.midHex).toBe(symmetric.host.midHex);
  }, 60_000);

  it('one storer alone cannot aim a spray: a second, in another IP group, must name the same host', async () => {
    const storers = net.nodes.filter((n) => n.discovery.records.get(cone.host.midHex).length > 0);
    expect(storers.length).toBeGreaterThanOrEqual(2);
    const [s1, s2] = storers as [DiscoveryNode, DiscoveryNode];
    expect(s1.host.endpoint.address.host.split('.').slice(0, 3).join('.')).not.toBe(s2.host.endpoint.address.host.split('.').slice(0, 3).join('.'));
    const victim = { host: '198.18.250.7', port: 4_000 };
    const mid = new Uint8Array(20).fill(0x5a);
    const introduce = (s: DiscoveryNode, nonce: bigint): void => {
      // To the cone node's public address, as the storer holds it (its keepalives keep that flow open).
      s.discovery.send(s.discovery.records.get(cone.host.midHex)[0]!.address, IntroduceRequest, {
        nonce, requester: victim, requesterMid: mid, requesterLan: undefined, proven: true, requesterNat: NAT_CODES.symmetric,
      });
    };
    const before = cone.discovery.birthday.stats.sprays;
    introduce(s1, 901n);
    introduce(s1, 902n); // the same storer again: still one voice
    await net.clock.advance(1_000);
    expect(cone.discovery.birthday.stats.sprays).toBe(before);
    introduce(s2, 903n);
    await net.clock.advance(100);
    expect(cone.discovery.birthday.stats.sprays).toBe(before + 1);
  }, 60_000);

  it('symmetric <-> symmetric: no probing starts, not-found', async () => {
    const requester = await probingNode(symmetricNat());
    await net.clock.advance(5_000);
    const before = { ...symmetric.discovery.birthday.stats };
    const { result, error } = await attempt(net, requester, symmetric);
    expect(result).toBeUndefined();
    expect(error!.reason).toBe('not-found');
    expect(requester.discovery.birthday.stats.batches + requester.discovery.birthday.stats.sprays).toBe(0);
    expect(symmetric.discovery.birthday.stats).toEqual(before);
  }, 60_000);

  it('without probe sockets a symmetric requester still ends not-found, and says so', async () => {
    const requester = await net.addBehind(symmetricNat());
    await net.clock.advance(5_000);
    const { error } = await attempt(net, requester, cone);
    expect(error!.reason).toBe('not-found');
    expect(requester.discovery.birthday.stats.refused).toBe(1);
  }, 60_000);
});
