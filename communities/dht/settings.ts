/**
 * DHT settings and their defaults.
 * @module
 */
import type { CommunitySettings } from '../../framework/index.js';

/** Settings of a {@link DHTCommunity}, given to `host.register(DHTCommunity, settings)`. */
export interface DHTSettings extends CommunitySettings {
  /** Kademlia k: bucket size and replication factor. @default 8 */
  bucketSize?: number;
  /** Lookup parallelism. @default 3 */
  alpha?: number;
  /** Largest value data in bytes, signed or not. @default 1024 */
  maxDataBytes?: number;
  /** Most unsigned values kept per key. @default 64 */
  maxUnsignedPerKey?: number;
  /** Default value lifetime in ms. @default 86_400_000 (24 h) */
  defaultTtlMs?: number;
  /** Longest lifetime a node accepts, in ms. @default 86_400_000 */
  maxTtlMs?: number;
  /** Storers re-store values they hold to the current k closest nodes this often, in ms. @default 3_600_000 */
  replicateIntervalMs?: number;
  /** The publisher re-stores its own values this often, in ms. @default 3_600_000 */
  republishIntervalMs?: number;
  /** Refresh a bucket idle this long, in ms. @default 900_000 */
  refreshIntervalMs?: number;
  /** How often maintenance (sweep, replicate, republish, refresh) runs, in ms. @default 60_000 */
  maintenanceIntervalMs?: number;
  /** Shortest and longest per-request timeouts, in ms. @default [200, 2_000] */
  requestTimeoutMs?: readonly [min: number, max: number];
  /** Values from this many responders end a `findValues` early. @default 3 */
  quorum?: number;
  /** A contact failing this many requests in a row is dropped. @default 3 */
  maxFailures?: number;
  /** Most keys this node stores for others. @default 10_000 */
  maxKeys?: number;
  /** Most value entries this node stores for others. @default 100_000 */
  maxEntries?: number;
}

/** {@link DHTSettings} with every default applied. */
export type ResolvedDHTSettings = Required<Omit<DHTSettings, 'discovery'>> & Pick<DHTSettings, 'discovery'>;

/** Applies defaults. */
export function resolveDHTSettings(s: DHTSettings): ResolvedDHTSettings {
  return {
    discovery: { walk: false, churn: false, ...s.discovery },
    bucketSize: s.bucketSize ?? 8,
    alpha: s.alpha ?? 3,
    maxDataBytes: s.maxDataBytes ?? 1_024,
    maxUnsignedPerKey: s.maxUnsignedPerKey ?? 64,
    defaultTtlMs: s.defaultTtlMs ?? 86_400_000,
    maxTtlMs: s.maxTtlMs ?? 86_400_000,
    replicateIntervalMs: s.replicateIntervalMs ?? 3_600_000,
    republishIntervalMs: s.republishIntervalMs ?? 3_600_000,
    refreshIntervalMs: s.refreshIntervalMs ?? 900_000,
    maintenanceIntervalMs: s.maintenanceIntervalMs ?? 60_000,
    requestTimeoutMs: s.requestTimeoutMs ?? [200, 2_000],
    quorum: s.quorum ?? 3,
    maxFailures: s.maxFailures ?? 3,
    maxKeys: s.maxKeys ?? 10_000,
    maxEntries: s.maxEntries ?? 100_000,
  };
}
