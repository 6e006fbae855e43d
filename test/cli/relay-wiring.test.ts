/**
 * The node's relay wiring (cli/node/relay-wiring.ts): the DHT's own NAT verdict makes a node behind a
 * symmetric NAT take an allocation on a public relay and announce it, with no manual step, so a requester
 * behind another symmetric NAT connects (path `relayed`); stopping releases it.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, RelayServer, addressKey } from '../../framework/index.js';
import type { Address, Endpoint } from '../../framework/index.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { relayCandidates, startRelayWiring } from '../../cli/node/relay-wiring.js';
import type { RelayWiring } from '../../cli/node/relay-wiring.js';
import { stopAndDrain } from '../communities/discovery/discovery-net.js';
import type { DiscoveryNode } from '../communities/discovery/discovery-net.js';
import { natNet } from '../communities/discovery/nat-net.js';
import type { NatNet } from '../communities/discovery/nat-net.js';

const at = (i: number): Address => ({ host: `198.18.0.${i}`, port: 8090 });

describe('relayCandidates', () => {
  it('puts the bootstrap addresses first and lists each address once', () => {
    const out = relayCandidates([at(2), at(1)], [{ address: at(3) }, { address: at(1) }, { address: at(4) }, { address: at(3) }]);
    expect(out.map(addressKey)).toEqual(['198.18.0.2:8090', '198.18.0.1:8090', '198.18.0.3:8090', '198.18.0.4:8090']);
  });
});

describe('relay wiring on a node behind a symmetric NAT', () => {
  let net: NatNet;
  let target: DiscoveryNode;
  let requester: DiscoveryNode;
  let client: RelayClient;
  let server: RelayServer;
  let relayAddress: Address;
  let wiring: RelayWiring;

  beforeAll(async () => {
    net = await natNet(12, 4242);
    let nextPort = 31_000;
    const relayNode = await net.addOn((random) => {
      const raw = net.network.createEndpoint();
      server = new RelayServer(raw, { clock: net.clock, random, createEndpoint: (): Endpoint => net.network.createEndpoint({ host: raw.address.host, port: nextPort++ }) });
      return server;
    });
    relayAddress = relayNode.host.endpoint.address;
    target = await net.addOn((random) => {
      client = new RelayClient(net.network.createEndpoint(undefined, { behind: net.network.createNat({ mapping: 'address-and-port-dependent' }) }), { clock: net.clock, random });
      return client;
    });
    requester = await net.addBehind(net.network.createNat({ mapping: 'address-and-port-dependent' }));
    wiring = startRelayWiring(client, net.clock, target.dht, target.discovery, [relayAddress]);
    await net.clock.advance(20_000);
  }, 120_000);

  afterAll(async () => {
    wiring.stop();
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
  });

  it('learns it is behind a symmetric NAT, takes an allocation on the relay and announces it', () => {
    expect(target.dht.nat.status.mapping).toBe('address-dependent');
    expect(client.allocation?.relay).toEqual(relayAddress);
    expect(wiring.keeper.stats.allocations).toBe(1);
    const relayed = client.allocation!.address;
    const holders = net.nodes.filter((n) => n.discovery.records.get(target.host.midHex).some((r) => r.relay !== undefined && addressKey(r.relay) === addressKey(relayed)));
    expect(holders.length).toBeGreaterThanOrEqual(target.discovery.settings.minStorers);
  });

  it('a requester behind another symmetric NAT connects through the relay', async () => {
    const { path, address } = await net.clock.settle(requester.discovery.connect(target.host.key.publicKey.mid));
    expect(path).toBe('relayed');
    expect(addressKey(address)).toBe(addressKey(client.allocation!.address));
    expect(server.relayStats.packetsToClient).toBeGreaterThan(0);
  });

  it('a public node takes no allocation (its verdict is "none")', () => {
    const publicNode = net.nodes[1]!;
    expect(publicNode.dht.nat.status.mapping).toBe('none');
    expect(publicNode.dht.nat.status.behindNat).toBe(false);
  });

  it('stop releases the allocation, on the relay too', async () => {
    expect(server.relayStats.allocations).toBe(1);
    wiring.stop();
    expect(client.allocation).toBeUndefined();
    await net.clock.advance(1_000);
    expect(server.relayStats.allocations).toBe(0);
    expect(server.relayStats.allocationsReleased).toBe(1);
  });
});

describe('GET /health relay section', () => {
  it('shows the allocation a node holds and, on a node started with --relay, the server counters', async () => {
    const relayNode = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, relay: true });
    const plain = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 } });
    try {
      const health = async (n: PeerlayNode): Promise<{ relay: Record<string, any> }> =>
        (await (await fetch(`http://${addressKey(n.apiAddress!)}/health`)).json()) as { relay: Record<string, any> };
      const before = await health(plain);
      expect(before.relay.allocation).toBeNull();
      expect(before.relay.server).toBeNull();
      const allocation = await plain.relay.client.allocate(relayNode.address);
      const after = await health(plain);
      expect(after.relay.allocation).toEqual({ address: addressKey(allocation.address), relay: addressKey(relayNode.address) });
      expect(after.relay.client.allocations).toBe(1);
      const server = (await health(relayNode)).relay.server as { allocations: number; allocationsCreated: number; dropped: Record<string, number> };
      expect(server.allocations).toBe(1);
      expect(server.allocationsCreated).toBe(1);
      expect(server.dropped).toBeTypeOf('object');
    } finally {
      await plain.stop();
      await relayNode.stop();
    }
  }, 20_000);
});
