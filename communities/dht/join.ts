/**
 * Kademlia's join: ping the bootstrap nodes, look up our own id so the nodes near us learn about us, then
 * refresh every bucket farther than our closest neighbours. Without the last step the far buckets stay
 * nearly empty and lookups toward other regions can end at a local minimum until the first refresh.
 * @module
 */
import type { Address } from '../../framework/index.js';
import type { DHTCommunity } from './dht-community.js';
import { randomIdInRange } from './routing/node-id.js';

/**
 * Joins `dht` to the network through `addresses`.
 * @returns the routing table size afterwards.
 */
export async function joinNetwork(dht: DHTCommunity, addresses: readonly Address[], signal?: AbortSignal): Promise<number> {
  await Promise.allSettled(addresses.map((a) => dht.ping({ address: a }, signal)));
  if (dht.routingTable.size === 0) return 0;
  await dht.lookup(dht.nodeId, false, { signal }).catch(() => undefined);
  // Every bucket but the one holding our own id that is not yet full, with a random target in its range.
  const far = dht.routingTable.buckets().filter((b) => !b.containsSelf && b.contacts.length < dht.settings.bucketSize);
  await Promise.allSettled(
    far.map(async (b) => {
      const target = randomIdInRange(dht.context.random, b.prefix, b.depth);
      await dht.lookup(target, false, { signal });
      dht.routingTable.markRefreshed(target);
    }),
  );
  return dht.routingTable.size;
}
