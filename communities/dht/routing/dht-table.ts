/**
 * The DHT's routing table as its settings describe it: k, failures before eviction, the refresh age, and
 * (unless turned off) the IP-diversity admission policy.
 * @module
 */
import type { Clock, Random } from '../../../framework/index.js';
import type { ResolvedDHTSettings } from '../settings.js';
import { ipDiversityPolicy, ipGroupOf } from './ip-diversity.js';
import { RoutingTable } from './routing-table.js';

/**
 * @param nodeId our id. @param clock the node's clock. @param random the node's randomness.
 * @param settings the DHT's settings. @param onIpReject told of each contact the IP-diversity caps refuse.
 * @returns the routing table.
 */
export function dhtRoutingTable(nodeId: Uint8Array, clock: Clock, random: Random, settings: ResolvedDHTSettings, onIpReject: () => void): RoutingTable {
  const table: RoutingTable = new RoutingTable(nodeId, clock, {
    bucketSize: settings.bucketSize,
    wideBuckets: settings.wideBuckets,
    maxFailures: settings.maxFailures,
    staleAfterMs: settings.refreshIntervalMs,
    random,
    countBy: settings.ipDiversity ? ipGroupOf : undefined,
    admit: settings.ipDiversity
      ? ipDiversityPolicy(
          { maxPerBucket: settings.maxPerIpGroupPerBucket, maxPerTable: settings.maxPerIpGroupPerTable, exempt: settings.ipGroupExempt, onReject: onIpReject },
          () => table.iterate(),
          (group) => table.countOf(group),
        )
      : undefined,
  });
  return table;
}
