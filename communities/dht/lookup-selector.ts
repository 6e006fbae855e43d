/**
 * The DHT's choice of each lookup's window and result from its settings: IP-group caps on the k closest
 * (`maxPerIpGroupPerLookup`) and the dense-cluster check (`denseClusterCheck`) against an estimate of the
 * network's size from the routing table, refreshed every few seconds. See `routing/diverse-set.ts`.
 * @module
 */
import type { Address } from '../../framework/index.js';
import { diverseSelector } from './routing/diverse-set.js';
import type { SetSelector } from './routing/diverse-set.js';
import { estimateNetworkSize } from './routing/network-size.js';

/** The settings the choice reads (see `DHTSettings`). */
export interface LookupSelectorSettings {
  /** Most nodes of one IP group among a lookup's k closest; `Infinity` turns the cap off. */
  readonly maxPerIpGroupPerLookup: number;
  /** Whether an improbably dense cluster at a key is detected (and reached past). */
  readonly denseClusterCheck: boolean;
  /** Hosts without an IP-group cap. */
  readonly ipGroupExempt: (host: string) => boolean;
}

/** What the choice needs of its DHT. */
export interface LookupSelectorHost {
  /** Our node id. */
  readonly nodeId: Uint8Array;
  /** k and the settings above. */
  readonly settings: { readonly bucketSize: number } & LookupSelectorSettings;
  /** Our contacts closest to an id, and how many we have. */
  readonly routingTable: { readonly size: number; closest(target: Uint8Array, n: number): ReadonlyArray<{ readonly id: Uint8Array; readonly address: Address }> };
  /** The node's clock. */
  readonly context: { readonly clock: { now(): number } };
}

/** How long a network-size estimate is reused, in ms. */
export const NETWORK_SIZE_TTL_MS = 5_000;

/**
 * The DHT's {@link SetSelector}. It reads the settings at each choice, so changing them on a running node
 * takes effect at its next lookup; with both defences off it chooses the plain k nearest.
 * @example
 * ```ts
 * const select = lookupSelector(dht); // then LookupOptions.select
 * ```
 */
export function lookupSelector(host: LookupSelectorHost): SetSelector {
  let estimate: number | undefined;
  let at = -Infinity;
  let tableSize = -1;
  const networkSize = (): number | undefined => {
    const now = host.context.clock.now();
    const table = host.routingTable;
    if (now - at >= NETWORK_SIZE_TTL_MS || now < at || table.size !== tableSize) {
      at = now;
      tableSize = table.size;
      const k = host.settings.bucketSize;
      const near = table.closest(host.nodeId, k).map((c) => c.id);
      // Until we know k nodes (a join in progress) the estimate is too rough to call anything improbable;
      // and the network holds at least the nodes we know.
      const n = near.length < k ? undefined : estimateNetworkSize(host.nodeId, near);
      estimate = n === undefined ? undefined : Math.max(n, table.size + 1);
    }
    return estimate;
  };
  let built: { key: string; exempt: (host: string) => boolean; selector: SetSelector } | undefined;
  const current = (): SetSelector => {
    const s = host.settings; // read at each choice (and not at construction: the DHT builds its lookups first)
    const key = `${s.maxPerIpGroupPerLookup}/${s.denseClusterCheck}`;
    if (built === undefined || built.key !== key || built.exempt !== s.ipGroupExempt) {
      const selector = diverseSelector({ maxPerGroup: s.maxPerIpGroupPerLookup, exempt: s.ipGroupExempt, networkSize: s.denseClusterCheck ? networkSize : undefined });
      built = { key, exempt: s.ipGroupExempt, selector };
    }
    return built.selector;
  };
  return { pick: (target, nearestFirst, k) => current().pick(target, nearestFirst, k) };
}
