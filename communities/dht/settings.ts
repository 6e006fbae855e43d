/**
 * DHT settings and their defaults.
 * @module
 */
import type { CommunitySettings } from '../../framework/index.js';
import { InvalidArgumentError } from '../../framework/index.js';
import type { RecordDatastore } from './records/datastore.js';
import type { StoreLimits } from './records/store-limits.js';
import type { ResolvedValueCacheSettings, ValueCacheSettings } from './value-cache.js';
import { resolveValueCacheSettings } from './value-cache.js';
import { DEFAULT_MAX_PER_IP_GROUP_PER_BUCKET, DEFAULT_MAX_PER_IP_GROUP_PER_TABLE, isLocalAddress } from './routing/ip-diversity.js';
import { DEFAULT_MAX_PER_IP_GROUP_PER_LOOKUP } from './routing/diverse-set.js';
import { MAX_WIDE_BUCKETS } from './routing/options.js';

/** Settings of a {@link DHTCommunity}, given to `host.register(DHTCommunity, settings)`. */
export interface DHTSettings extends CommunitySettings {
  /** Kademlia k: bucket size and replication factor. @default 8 */
  bucketSize?: number;
  /**
   * Wide far buckets (see `RoutingTableOptions.wideBuckets`): the routing table's bucket of ids sharing
   * `i < wideBuckets` leading bits with ours holds `bucketSize * 2 ** (wideBuckets - i)` contacts, so a
   * lookup's first hop starts nearer its target; more contacts are kept and pinged while the buckets fill
   * (figures in docs/performance.md). @default 0
   */
  wideBuckets?: number;
  /**
   * Proximity routing: with 0 or more, each lookup slot goes to the fastest (by measured RTT) of the
   * unqueried candidates whose ids share at least as many leading bits with the target as the nearest
   * one's, less this many; -1 queries nearest first. It pays where a peer's RTT is steady (the Internet;
   * the simulator's `per-node` latency) and costs a little where every packet's delay is drawn anew
   * (figures in docs/performance.md). @default -1
   */
  rttSlackBits?: number;
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
  /**
   * Longest lifetime `storeValue` takes (`ttlMs` or `expiresAt`), in ms. Beyond `maxTtlMs` the publisher
   * stores the value for `maxTtlMs` and renews it before each grant ends, until the requested expiry, for
   * as long as it runs (see docs/dht-values.md). @default 2_592_000_000 (30 days)
   */
  maxLifetimeMs?: number;
  /** The local cache of found values (see `ValueCacheSettings`). @default off (when on: 1,024 entries, 1 MiB, 60 s) */
  valueCache?: ValueCacheSettings;
  /** Storers re-store values they hold to the current k closest nodes this often, in ms. @default 3_600_000 */
  replicateIntervalMs?: number;
  /** The publisher re-stores its own values this often, in ms. @default 3_600_000 */
  republishIntervalMs?: number;
  /** Refresh a bucket idle this long, in ms. @default 900_000 */
  refreshIntervalMs?: number;
  /** How often maintenance (sweep, replicate, republish, refresh) runs, in ms. @default 60_000 */
  maintenanceIntervalMs?: number;
  /**
   * Shortest and longest per-request (hard) timeouts, in ms; in between, 4x the peer's measured RTT.
   * Lookups move on after the much shorter soft timeout, so the floor costs a lookup nothing unless every
   * query is slow, while it keeps a node whose event loop is saturated (hundreds of lookups at once in
   * one process) from declaring answers that are merely queued as failures. @default [500, 2_000]
   */
  requestTimeoutMs?: readonly [min: number, max: number];
  /** Values from this many responders end a `findValues` early. @default 3 */
  quorum?: number;
  /** A contact failing this many requests in a row is dropped. @default 3 */
  maxFailures?: number;
  /**
   * A contact heard from this recently is good (BEP 5's 15 minutes): when its bucket is full, a newcomer
   * waits in the replacement cache without a ping. Only contacts silent longer are pinged (and evicted if
   * they stay silent); failed requests evict sooner (`maxFailures`). At 60 s, eviction pings were 20% of
   * the packets of a 2,500-node network build. @default 900_000
   */
  goodContactMs?: number;
  /** Most signed values (one per publisher) kept per key. @default 1_024 */
  maxSignedPerKey?: number;
  /**
   * Most values one IP group (a /24 or /48; loopback and LAN sources by address) may add under one key,
   * so nobody can bury a key's other publishers under values of made-up keys. @default 32
   */
  maxPerGroupPerKey?: number;
  /** Caps of this node's value store: records, keys, and the shares of one source and one IP group. */
  store?: StoreLimits;
  /** Where stored values are kept beyond the process (the CLI node gives its LMDB database). @default memory only */
  datastore?: RecordDatastore | undefined;
  /**
   * Cap the routing table's contacts per IP group (an IPv4 /24 or IPv6 /48), so one address range cannot
   * fill the table with Sybils (libp2p's IP-group caps). @default true
   */
  ipDiversity?: boolean;
  /** With `ipDiversity`: most contacts of one IP group per bucket. @default 2 */
  maxPerIpGroupPerBucket?: number;
  /** With `ipDiversity`: most contacts of one IP group in the whole routing table. @default 3 */
  maxPerIpGroupPerTable?: number;
  /**
   * With `ipDiversity`: hosts exempt from the caps.
   * @default `isLocalAddress` (loopback, private LAN and link-local addresses)
   */
  ipGroupExempt?: (host: string) => boolean;
  /**
   * Most nodes of one IP group (an IPv4 /24 or IPv6 /48) among a lookup's k closest: its window and its
   * result, so among the storers a publish uses and the nodes a read asks (hosts of `ipGroupExempt` have
   * no cap). Ids can be ground next to any key, addresses cannot: an attacker holding G groups gets at
   * most G of the k places (see docs/security.md). `Infinity` turns it off. @default 1
   */
  maxPerIpGroupPerLookup?: number;
  /**
   * Detect an improbably dense cluster of ids at a key (ground ids), judged against an estimate of the
   * network's size from the routing table: a lookup then also converges on k nodes at the normal spread
   * beyond the cluster (a publish stores on them too), and the cluster's answers do not count toward a
   * find's quorum. @default true
   */
  denseClusterCheck?: boolean;
  /**
   * Disjoint paths per lookup (S/Kademlia's d): d > 1 runs d lookups at once that never query the same
   * node, each with its own k and alpha, and merges them, so a lookup succeeds if any path avoids the
   * adversaries. 1 is a plain Kademlia lookup; 4 (with `bucketSize` 16) is recommended on hostile networks
   * (S/Kademlia: 99% of lookups succeed with 20% adversarial nodes at d = 4..8; measured here at 2,000 nodes:
   * 71% with d = 1, 98-99% with d = 4, 99.5% with d = 8, see docs/security.md). Costs about d times the queries.
   * @default 1
   */
  disjointPaths?: number;
}

/** {@link DHTSettings} with every default applied. */
export type ResolvedDHTSettings = Required<Omit<DHTSettings, 'discovery' | 'datastore' | 'valueCache'>> &
  Pick<DHTSettings, 'discovery' | 'datastore'> & { readonly valueCache: ResolvedValueCacheSettings };

/** The default cap of `maxLifetimeMs`: 30 days. */
export const MAX_LIFETIME_MS = 30 * 86_400_000;

/** Applies defaults. */
export function resolveDHTSettings(s: DHTSettings): ResolvedDHTSettings {
  const r: ResolvedDHTSettings = {
    discovery: { walk: false, churn: false, ...s.discovery },
    bucketSize: s.bucketSize ?? 8,
    wideBuckets: checkWide(s.wideBuckets ?? 0),
    alpha: s.alpha ?? 3,
    rttSlackBits: checkSlack(s.rttSlackBits ?? -1),
    maxDataBytes: s.maxDataBytes ?? 1_024,
    maxUnsignedPerKey: s.maxUnsignedPerKey ?? 64,
    defaultTtlMs: s.defaultTtlMs ?? 86_400_000,
    maxTtlMs: s.maxTtlMs ?? 86_400_000,
    maxLifetimeMs: s.maxLifetimeMs ?? Math.max(MAX_LIFETIME_MS, s.maxTtlMs ?? 0),
    valueCache: resolveValueCacheSettings(s.valueCache ?? {}),
    replicateIntervalMs: s.replicateIntervalMs ?? 3_600_000,
    republishIntervalMs: s.republishIntervalMs ?? 3_600_000,
    refreshIntervalMs: s.refreshIntervalMs ?? 900_000,
    maintenanceIntervalMs: s.maintenanceIntervalMs ?? 60_000,
    requestTimeoutMs: s.requestTimeoutMs ?? [500, 2_000],
    quorum: s.quorum ?? 3,
    maxFailures: s.maxFailures ?? 3,
    goodContactMs: s.goodContactMs ?? 900_000,
    maxSignedPerKey: s.maxSignedPerKey ?? 1_024,
    maxPerGroupPerKey: s.maxPerGroupPerKey ?? 32,
    store: s.store ?? {},
    datastore: s.datastore,
    ipDiversity: s.ipDiversity ?? true,
    maxPerIpGroupPerBucket: s.maxPerIpGroupPerBucket ?? DEFAULT_MAX_PER_IP_GROUP_PER_BUCKET,
    maxPerIpGroupPerTable: s.maxPerIpGroupPerTable ?? DEFAULT_MAX_PER_IP_GROUP_PER_TABLE,
    ipGroupExempt: s.ipGroupExempt ?? isLocalAddress,
    maxPerIpGroupPerLookup: checkGroupCap(s.maxPerIpGroupPerLookup ?? DEFAULT_MAX_PER_IP_GROUP_PER_LOOKUP),
    denseClusterCheck: s.denseClusterCheck ?? true,
    disjointPaths: checkPaths(s.disjointPaths ?? 1),
  };
  const positive = [
    'bucketSize', 'alpha', 'maxDataBytes', 'maxUnsignedPerKey', 'maxSignedPerKey', 'maxPerGroupPerKey', 'defaultTtlMs', 'maxTtlMs', 'maxLifetimeMs',
    'replicateIntervalMs', 'republishIntervalMs', 'refreshIntervalMs', 'maintenanceIntervalMs', 'quorum', 'maxFailures', 'goodContactMs',
  ] as const;
  for (const name of positive) {
    const v = r[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new InvalidArgumentError(`setting ${name} must be a positive integer, got ${String(v)}`);
  }
  if (r.defaultTtlMs > r.maxTtlMs) throw new InvalidArgumentError(`setting defaultTtlMs (${r.defaultTtlMs}) exceeds maxTtlMs (${r.maxTtlMs})`);
  if (r.maxLifetimeMs < r.maxTtlMs) throw new InvalidArgumentError(`setting maxLifetimeMs (${r.maxLifetimeMs}) is below maxTtlMs (${r.maxTtlMs})`);
  return r;
}

function checkSlack(bits: number): number {
  if (Number.isInteger(bits) && bits >= -1 && bits <= 160) return bits;
  throw new InvalidArgumentError(`setting rttSlackBits must be an integer in -1..160, got ${bits}`);
}

function checkWide(w: number): number {
  if (Number.isInteger(w) && w >= 0 && w <= MAX_WIDE_BUCKETS) return w;
  throw new InvalidArgumentError(`setting wideBuckets must be an integer in 0..${MAX_WIDE_BUCKETS}, got ${w}`);
}

function checkGroupCap(cap: number): number {
  if (cap === Infinity || (Number.isInteger(cap) && cap >= 1)) return cap;
  throw new InvalidArgumentError(`maxPerIpGroupPerLookup must be an integer >= 1 or Infinity, got ${cap}`);
}

function checkPaths(d: number): number {
  if (!Number.isInteger(d) || d < 1) throw new InvalidArgumentError(`disjointPaths must be an integer >= 1, got ${d}`);
  return d;
}
