import 'reflect-metadata';
import { DHTCommunity } from '../../communities/dht/index.js';
import type { DHTSettings } from '../../communities/dht/index.js';
import type { OverlayHost, PairKeysOptions } from '../../framework/index.js';
import { simNet } from './memory-nodes.js';
import type { SimNet } from './memory-nodes.js';

/** A simulated DHT: `n` nodes, each bootstrapping from node 0, joined (bootstrap lookups finished). */
export interface DhtNet extends SimNet {
  dhts: DHTCommunity[];
  addDhtNode(): Promise<DHTCommunity>;
}

/**
 * Builds and joins an n-node DHT on the in-memory network.
 * @param packetMacs the hosts' pairwise packet keys (`{ tagOutgoing: false }`: every signed message is signed).
 */
export async function dhtNet(n: number, seed: number, settings: DHTSettings = {}, latencyMs = 10, packetMacs?: PairKeysOptions): Promise<DhtNet> {
  const net = simNet(seed, { latencyMs, jitterMs: Math.floor(latencyMs / 2) });
  const dhts: DHTCommunity[] = [];
  let first: OverlayHost | undefined;
  const addDhtNode = async (): Promise<DHTCommunity> => {
    const boot = first === undefined ? [] : [first.endpoint.address];
    const host = await net.addHost({ bootstrap: boot, packetMacs, setup: (h) => h.register(DHTCommunity, settings) });
    first ??= host;
    const dht = host.get(DHTCommunity);
    dhts.push(dht);
    if (boot.length > 0) await net.clock.settle(dht.bootstrap());
    return dht;
  };
  for (let i = 0; i < n; i++) await addDhtNode();
  return Object.assign(net, { dhts, addDhtNode });
}
