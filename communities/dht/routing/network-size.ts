/**
 * An estimate of the network's size from the routing table: ids are uniform, so the m-th closest node to
 * our own id lies at a fraction x_m of the id space with x_m ~ Gamma(m, N), and (m - 1) / x_m estimates N
 * without bias. A joined node knows its own neighbourhood best (Kademlia's join looks up its own id), so
 * its k closest contacts give the estimate; a table missing some of them only underestimates N, which
 * makes the dense-cluster check ({@link diverseSelector}) more cautious, never less.
 * @module
 */
import type { diverseSelector } from './diverse-set.js'; // for {@link} in TSDoc
import { distanceFraction } from './diverse-set.js';

/** Fewest contacts near our id for an estimate. */
export const MIN_CONTACTS_FOR_ESTIMATE = 3;

/**
 * Estimates the number of nodes in the network from our own id and our contacts closest to it.
 * @param selfId our node id.
 * @param nearestFirst our contacts' ids, nearest to `selfId` first (the k closest are enough).
 * @returns the estimate (ourselves included), or `undefined` with fewer than {@link MIN_CONTACTS_FOR_ESTIMATE} contacts.
 * @example
 * ```ts
 * const n = estimateNetworkSize(dht.nodeId, dht.routingTable.closest(dht.nodeId, 8).map((c) => c.id));
 * ```
 */
export function estimateNetworkSize(selfId: Uint8Array, nearestFirst: readonly Uint8Array[]): number | undefined {
  const m = nearestFirst.length;
  if (m < MIN_CONTACTS_FOR_ESTIMATE) return undefined;
  const x = distanceFraction(selfId, nearestFirst[m - 1]!);
  if (!(x > 0)) return undefined;
  return (m - 1) / x + 1;
}
