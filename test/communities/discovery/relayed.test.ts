/**
 * The relay path: a node behind a symmetric NAT holds an allocation on a public relay (framework/relay)
 * and announces its relay address with `setRelayAddress`; a requester behind another symmetric NAT,
 * which no puncture can reach, connects through it, and the path says `relayed`.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, RelayServer, addressKey } from '../../../framework/index.js';
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

  beforeAll(async () => {
    net = await natNet(20, 909);
    let nextPort = 30_000;
    const relayNode = await net.addOn((random) => {
      const raw = net.network.createEndpoint();
      server = new RelayServer(raw, { clock: net.clock, random, createEndpoint: (): Endpoint => net.network.createEndpoint({ host: raw.address.host, port: nextPort++ }) });
      return server;
    });
    target = await net.addOn((random) => {
      client = new RelayClient(net.network.createEndpoint(undefined, { behind: net.network.createNat({ mapping: 'address-and-port-dependent' }) }), { clock: net.clock, random });
      return client;
    });
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
});
