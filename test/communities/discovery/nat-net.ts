/**
 * Test helper: a {@link discoveryNet} of public nodes to which nodes behind `MemoryNat` routers are added
 * (each bootstraps from node 0, as the public ones do).
 */
import 'reflect-metadata';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../../../communities/discovery/index.js';
import { OverlayHost, PrivateKey, SeededRandom } from '../../../framework/index.js';
import type { Address, Endpoint, MemoryNat, Random } from '../../../framework/index.js';
import { discoveryNet } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNetOptions, DiscoveryNode } from './discovery-net.js';

/** A discovery network with NATed nodes. */
export interface NatNet extends DiscoveryNet {
  /** Adds a node behind `nat` (at `address` on its LAN, or the next free one) and waits for its bootstrap. */
  addBehind(nat: MemoryNat, address?: Address): Promise<DiscoveryNode>;
  /** Adds a node on the endpoint `make` returns (given the node's random source) and waits for its bootstrap. */
  addOn(make: (random: Random) => Endpoint): Promise<DiscoveryNode>;
}

/** Builds `publicNodes` public nodes; add NATed ones with `addBehind`. */
export async function natNet(publicNodes: number, seed: number, options: DiscoveryNetOptions = {}): Promise<NatNet> {
  const net = await discoveryNet(publicNodes, seed, options);
  const boot = net.nodes[0]!.host.endpoint.address;
  const addOn = async (make: (random: Random) => Endpoint): Promise<DiscoveryNode> => {
    const random = new SeededRandom(net.random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: make(random), key: PrivateKey.generate(random), clock: net.clock, random });
    host.register(DHTCommunity, options.dht ?? {});
    host.register(DHTDiscoveryCommunity, options.discovery ?? {});
    await host.start();
    net.hosts.push(host);
    const node = { host, dht: host.get(DHTCommunity), discovery: host.get(DHTDiscoveryCommunity) };
    await net.clock.settle(node.dht.bootstrap([boot]));
    return node;
  };
  const addBehind = (nat: MemoryNat, address?: Address): Promise<DiscoveryNode> => addOn(() => net.network.createEndpoint(address, { behind: nat }));
  return Object.assign(net, { addBehind, addOn });
}
