/**
 * Helpers shared by the large-network DHT tests: summing counters over every node, and finding a node by
 * id (stopping cleanly is `SimNet.stopAndDrain`).
 */
import type { DHTCommunity } from '../../../communities/dht/index.js';
import { toHex } from '../../../framework/index.js';

/** Sums one per-name counter map (e.g. `d.stats.sent`) over every node. */
export function sumCounters(dhts: readonly DHTCommunity[], pick: (d: DHTCommunity) => Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of dhts) for (const [name, n] of Object.entries(pick(d))) out[name] = (out[name] ?? 0) + n;
  return out;
}

/** Sums one numeric counter over every node. */
export function sum(dhts: readonly DHTCommunity[], pick: (d: DHTCommunity) => number): number {
  return dhts.reduce((total, d) => total + pick(d), 0);
}

/** Every node by its hex node id. */
export function byNodeId(dhts: readonly DHTCommunity[]): Map<string, DHTCommunity> {
  return new Map(dhts.map((d) => [toHex(d.nodeId), d]));
}

/** The text of a byte array (UTF-8). */
export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}
