/**
 * The relay path: a node behind a symmetric NAT holds an allocation on a public relay (framework/relay)
 * and announces its relay address with `setRelayAddress`; a requester behind another symmetric NAT,
 * which no puncture can reach, connects through it, and the path says `relayed`. A requester behind a cone
 * NAT that can spray gets a direct path by birthday probing instead (the relayed answer is held while
 * probing runs); one that cannot probe settles for the relay at once.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbingEndpoint, RelayClient, RelayServer, addressKey } from '../../../framework/index.js';
import { BIRTHDAY_GRACE_MS } from '../../../communities/discovery/index.js';
import type { DHTError } from '../../../communities/dht/index.js';
import type { Endpoint } from '../../../framework/index.js';
import { stopAndDrain } from './discovery-net.js';
import type { DiscoveryNode } from './discovery-net.js';
import { natNet } from './nat-net.js';
import type { NatNet } from './nat-net.js';

describe('DHTDiscoveryCommunity.connect through a relay', () => {
  let net: NatNet;
  let target: DiscoveryNode;
  let requester: DiscoveryNode;
  let client: RelayClient;
  let server: RelayServer;
  let targetProbing: ProbingEndpoint | undefined;

  beforeAll(async () => {
    net = await natNet(20, 909);
    let nextPort = 30_000;
    const relayNode = await net.addOn((random) => {
      const raw = net.network.createEndpoint();
      server = new RelayServer(raw, { clock: net.clock, random, createEndpoint: (): Endpoint => net.network.createEndpoint({ host: raw.address.host, port: nextPort++ }) });
      return server;
    });
    // The target: behind a symmetric NAT, with a relay allocation and probe sockets (as `peerlay node` has).
    const targetNat = net.network.createNat({ mapping: 'address-and-port-dependent' });
    let probePort = 20_000;
    target = await net.addOn((random) => {
      client = new RelayClient(net.network.createEndpoint({ host: '10.0.0.2', port: 7_000 }, { behind: targetNat }), { clock: net.clock, random });
      targetProbing = new ProbingEndpoint(client, { createSocket: () => net.network.createEndpoint({ host: '10.0.0.2', port: probePort++ }, { behind: targetNat }) }, net.clock);
      return targetProbing;
    });
    target.discovery.setProbing(targetProbing);
    requester = await net.addBehind(net.network.createNat({ mapping: 'address-and-port-dependent' }));
    const allocation = await net.clock.settle(client.allocate(relayNode.host.endpoint.address));
    target.discovery.setRelayAddress(allocation.address);
    await net.clock.advance(15_000);
  }, 120_000);

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
  });

  it('symmetric <-> symmetric: relayed, at the relay address', async () => {
    const relayAddress = client.allocation!.address;
    const holders = net.nodes.filter((n) => n.discovery.records.get(target.host.midHex).some((r) => r.relay !== undefined && addressKey(r.relay) === addressKey(relayAddress)));
    expect(holders.length).toBeGreaterThanOrEqual(target.discovery.settings.minStorers);
    const { path, address, tried } = await net.clock.settle(requester.discovery.connect(target.host.key.publicKey.mid));
    expect(path).toBe('relayed');
    expect(addressKey(address)).toBe(addressKey(relayAddress));
    expect(tried.addresses.relay).toBe(1);
    expect(server.relayStats.packetsToClient).toBeGreaterThan(0);
  });

  /** A fresh node behind its own cone NAT, with probe sockets. */
  async function sprayer(): Promise<DiscoveryNode> {
    const nat = net.network.createNat({ mapping: 'endpoint-independent' });
    let probing: ProbingEndpoint | undefined;
    let port = 20_000;
    const node = await net.addOn(() => {
      probing = new ProbingEndpoint(net.network.createEndpoint({ host: '10.0.0.2', port: 7_000 }, { behind: nat }), { createSocket: () => net.network.createEndpoint({ host: '10.0.0.2', port: port++ }, { behind: nat }) }, net.clock);
      return probing;
    });
    node.discovery.setProbing(probing);
    return node;
  }

  it('cone requester that can spray: birthday, not relayed (the relayed answer waited for it)', async () => {
    const cone = await sprayer();
    await net.clock.advance(5_000);
    const begin = net.clock.now();
    const { path, address, tried } = await net.clock.settle(cone.discovery.connect(target.host.key.publicKey.mid));
    expect(path).toBe('birthday');
    expect(tried.probing).toBe('spray');
    expect(tried.addresses.relay).toBe(1);
    expect(address.host).not.toBe(client.allocation!.address.host);
    expect(net.clock.now() - begin).toBeLessThan(2_000);
  });

  it('when probing cannot find a path the held relayed answer is returned after the grace; an abort during the grace rejects', async () => {
    const first = await sprayer();
    const second = await sprayer();
    await net.clock.advance(5_000);
    // The target opens no probe sockets now: the requesters' sprays cannot hit anything.
    target.discovery.setProbing(undefined);
    try {
      const begin = net.clock.now();
      const { path, tried } = await net.clock.settle(first.discovery.connect(target.host.key.publicKey.mid));
      expect(path).toBe('relayed');
      expect(tried.probing).toBe('spray');
      expect(net.clock.now() - begin).toBeGreaterThanOrEqual(BIRTHDAY_GRACE_MS);
      const controller = new AbortController();
      const outcome = second.discovery.connect(target.host.key.publicKey.mid, { signal: controller.signal }).then(
        (r) => r.path as string,
        (error: DHTError) => error.reason,
      );
      await net.clock.advance(800); // the relayed answer arrived and is held
      controller.abort();
      expect(await net.clock.settle(outcome)).toBe('aborted');
    } finally {
      target.discovery.setProbing(targetProbing);
    }
  });

  it('cone requester without probe sockets: relayed at once', async () => {
    const cone = await net.addBehind(net.network.createNat({ mapping: 'endpoint-independent' }));
    await net.clock.advance(5_000);
    const { path, tried } = await net.clock.settle(cone.discovery.connect(target.host.key.publicKey.mid));
    expect(path).toBe('relayed');
    expect(tried.probing).toBe('none');
  });
});
