/**
 * What the node learns of its own public address from the answers to its pings: each ping response
 * carries `observed`, the address the responder saw the request come from. {@link NatObserver} keeps these
 * observations (bounded, ageing out) and turns them into a verdict, {@link NatStatus}: the public address,
 * and whether the node's NAT keeps one mapping for every destination (a cone NAT, where a puncture toward
 * the address others saw reaches us) or maps each destination to its own port (symmetric: the port others
 * saw is useless to a third party).
 *
 * Only answers to the node's own requests are observations (the caller's job: the DHT feeds the responses
 * its request cache matched). Each reporter IP group (an IPv4 /24 or IPv6 /48; a loopback or private
 * address is its own group, see `sourceGroup`) casts one vote, the observation most of its reporters made,
 * so a party holding one address range cannot outvote reporters elsewhere by answering many times or from
 * many hosts; a verdict also needs at least two distinct reporters behind it (so reporters that all sit in
 * one range, as on a test bridge, still give one).
 *
 * Pure: no timers, no packets; time comes from the injected clock.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { addressKey, canonicalIpBytes, InvalidArgumentError, isLocalHost, sameAddress } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import { sharedKey } from '../../framework/util/shared-key.js';
import { sourceGroup } from './storage/source-group.js';

/**
 * How long an observation counts once a newer one arrived, in ms: a node that moved re-learns within
 * this. Ageing runs on observations, not on the clock alone, so a quiet node keeps its last verdict
 * (`NatStatus.updatedAt` says how old it is), and a known verdict gives way only to a different one
 * backed by more than {@link MIN_NAT_REPORTERS} reporters (it never drops to `unknown` for want of news,
 * and one odd answer cannot flip it; `NatStatus.stale` says when the few votes left contradict it).
 */
export const NAT_OBSERVATION_TTL_MS = 10 * 60_000;
/** Most observations kept (one per reporter, the oldest evicted first). */
export const MAX_NAT_OBSERVATIONS = 64;
/** Most observations kept from one reporter group (its oldest evicted first), so one range cannot crowd out the rest. */
export const MAX_NAT_OBSERVATIONS_PER_GROUP = 4;
/** Fewest distinct reporters behind a verdict. */
export const MIN_NAT_REPORTERS = 2;

/**
 * How the node's address is mapped on the way out:
 * - `none`: others see the address the node is bound to (not behind a NAT);
 * - `endpoint-independent`: every destination sees one public address and port (a cone NAT: a
 *   puncture toward it reaches the node);
 * - `address-dependent`: destinations see the same public IP but different ports (a symmetric NAT:
 *   the port one peer saw is no use to another);
 * - `unknown`: too few observations (fewer than {@link MIN_NAT_REPORTERS} reporters) for a first
 *   verdict, or reporter groups that disagree with no majority.
 */
export type NatMappingVerdict = 'none' | 'endpoint-independent' | 'address-dependent' | 'unknown';

/** The verdict of a {@link NatObserver}. */
export interface NatStatus {
  /** The address a majority of reporter groups saw us at; `undefined` without such a majority (symmetric, unknown). */
  readonly publicAddress: Address | undefined;
  /** The public IP a majority of reporter groups saw (also for a symmetric NAT), or `undefined`. */
  readonly publicHost: string | undefined;
  /** See {@link NatMappingVerdict}. */
  readonly mapping: NatMappingVerdict;
  /** True when the mapping is `endpoint-independent` or `address-dependent` (false while `unknown`). */
  readonly behindNat: boolean;
  /** Observations counted now (the latest of each reporter, none older than the TTL before the newest). */
  readonly observations: number;
  /** Reporter groups among them (each casts one vote). */
  readonly groups: number;
  /** Observations received since the start, counted or not. */
  readonly observationsTotal: number;
  /** When the verdict (mapping, public address or host) last changed, ms on the node's clock; `undefined` if never. */
  readonly changedAt: number | undefined;
  /** When the newest observation counted arrived, ms on the node's clock; `undefined` with none. */
  readonly updatedAt: number | undefined;
  /**
   * True when the verdict is an earlier one that the observations counted now (too few to replace it:
   * {@link MIN_NAT_REPORTERS} or fewer, e.g. the first after the older ones aged out) disagree with: more
   * observations will confirm or replace it (the DHT probes for them on its next round). A verdict that
   * fewer observations back but none contradicts is not stale.
   */
  readonly stale: boolean;
}

/** Events of a {@link NatObserver}. */
export interface NatObserverEvents {
  /** The mapping, the public address or the public host changed. */
  'nat:changed': [status: NatStatus, previous: NatStatus];
}

/** Options of a {@link NatObserver}. */
export interface NatObserverOptions {
  /** The node's clock (`now()` in ms). */
  readonly clock: { now(): number };
  /** The node's bound address (read at each verdict; a socket bound to `0.0.0.0`/`::` is matched through `localHosts`). */
  readonly boundAddress: () => Address;
  /**
   * The IPs of this machine's interfaces, used when the bound host is unspecified: an observed address
   * with one of them and the bound port is the node's own. @default none
   */
  readonly localHosts?: () => readonly string[];
  /** See {@link NAT_OBSERVATION_TTL_MS}. @default 600,000 */
  readonly ttlMs?: number;
  /** See {@link MAX_NAT_OBSERVATIONS}. @default 64 */
  readonly maxObservations?: number;
  /** See {@link MAX_NAT_OBSERVATIONS_PER_GROUP}. @default 4 */
  readonly maxPerGroup?: number;
  /** See {@link MIN_NAT_REPORTERS}. @default 2 */
  readonly minReporters?: number;
}

/** One reporter's latest observation. */
interface Observation {
  readonly observed: Address;
  /** `addressKey(observed)`. */
  readonly key: string;
  /** The observed host's canonical form. */
  readonly host: string;
  readonly reporter: Address;
  readonly group: string;
  /** `isLocalHost(reporter.host)`, read once (every verdict asks it of every observation). */
  readonly local: boolean;
  readonly at: number;
}

/** A verdict without its change time and staleness, and the observations that voted. */
type Verdict = Omit<NatStatus, 'changedAt' | 'stale'> & { readonly votes: readonly Observation[] };

const UNKNOWN: NatStatus = {
  publicAddress: undefined,
  publicHost: undefined,
  mapping: 'unknown',
  behindNat: false,
  observations: 0,
  groups: 0,
  observationsTotal: 0,
  changedAt: undefined,
  updatedAt: undefined,
  stale: false,
};

/**
 * The group of each public reporter host (a local one's group depends on its port too, so it is not kept),
 * shared by every observer in the process: a simulation runs thousands of nodes that hear from the same
 * hosts, and each observation then holds the one shared string. Emptied when full.
 */
const SHARED_GROUPS = new Map<string, string>();
const SHARED_GROUPS_MAX = 16_384;

/**
 * Collects where other nodes saw this node and says what that means (see the module comment).
 *
 * @example
 * ```ts
 * const nat = new NatObserver({ clock, boundAddress: () => endpoint.address });
 * nat.on('nat:changed', (s) => console.log(s.mapping, s.publicAddress));
 * nat.observe({ host: '198.18.5.1', port: 40123 }, { host: '198.18.7.2', port: 8090 });
 * nat.status.mapping; // 'unknown' until a second reporter agrees
 * ```
 */
export class NatObserver extends EventEmitter<NatObserverEvents> {
  private readonly clock: { now(): number };
  private readonly boundAddress: () => Address;
  private readonly localHosts: () => readonly string[];
  private readonly ttlMs: number;
  private readonly maxObservations: number;
  private readonly maxPerGroup: number;
  private readonly minReporters: number;
  /** Latest observation per reporter (`addressKey`), oldest first (re-inserted on each new one). */
  private readonly byReporter = new Map<string, Observation>();
  private total = 0;
  private current: NatStatus = UNKNOWN;
  /** `addressKey` of the bound address the observations were made for. */
  private boundKey: string | undefined;
  /** The bound host and port `boundKey` was made from (compared first: no key is built while they stay). */
  private boundHost: string | undefined;
  private boundPort: number | undefined;
  /** True when the bound host is `0.0.0.0` or `::`: the verdict then reads `localHosts()`, which may change by itself. */
  private boundUnspecified = false;
  /**
   * True once `current` was judged from the observations held now (set by {@link NatObserver.refresh}).
   * The verdict depends on nothing else but the bound address (and, for an unspecified bind, the
   * machine's interfaces): the clock only stamps `changedAt` when the verdict changes, and ageing runs on
   * the observations' own times, so between two observations a read returns the verdict unchanged.
   */
  private judged = false;
  /**
   * What the latest observation saw (its own copy of the address, its key and canonical host): the next
   * one, almost always of the same address, shares them instead of making its own.
   */
  private lastSeen: Pick<Observation, 'observed' | 'key' | 'host'> | undefined;

  /**
   * @param options see {@link NatObserverOptions}.
   * @throws {@link InvalidArgumentError} for a TTL, a bound or a reporter minimum that is not a positive integer.
   */
  constructor(options: NatObserverOptions) {
    super();
    this.clock = options.clock;
    this.boundAddress = options.boundAddress;
    this.localHosts = options.localHosts ?? ((): readonly string[] => []);
    this.ttlMs = positive('ttlMs', options.ttlMs ?? NAT_OBSERVATION_TTL_MS);
    this.maxObservations = positive('maxObservations', options.maxObservations ?? MAX_NAT_OBSERVATIONS);
    this.maxPerGroup = positive('maxPerGroup', options.maxPerGroup ?? MAX_NAT_OBSERVATIONS_PER_GROUP);
    this.minReporters = positive('minReporters', options.minReporters ?? MIN_NAT_REPORTERS);
  }

  /** The current verdict. */
  get status(): NatStatus {
    if (!this.upToDate()) this.refresh();
    return this.current;
  }

  /** The reporter group of `reporter`: an IPv4 /24 or IPv6 /48, a local address its own (see `sourceGroup`). */
  groupOf(reporter: Address): string {
    const known = SHARED_GROUPS.get(reporter.host);
    if (known !== undefined) return known;
    const group = sourceGroup(reporter);
    if (!isLocalHost(reporter.host)) {
      if (SHARED_GROUPS.size >= SHARED_GROUPS_MAX) SHARED_GROUPS.clear();
      SHARED_GROUPS.set(reporter.host, group);
    }
    return group;
  }

  /** The groups of the reporters whose observations count now. */
  reporterGroups(): Set<string> {
    if (!this.upToDate()) this.refresh();
    return new Set([...this.byReporter.values()].map((o) => o.group));
  }

  /**
   * Records that `reporter` (which answered our own request) saw us at `observed`, and re-judges.
   * An `observed` whose host is not a literal IP, or whose port is 0, is ignored.
   * @returns the verdict afterwards.
   */
  observe(observed: Address, reporter: Address): NatStatus {
    if (canonicalIpBytes(observed.host) === undefined || observed.port === 0) return this.status;
    this.judged = false;
    this.checkBound();
    const key = sharedKey(addressKey(reporter)); // the process's copy: the table keeps no string of its own per reporter
    const group = this.groupOf(reporter);
    this.byReporter.delete(key);
    const sameGroup: string[] = [];
    for (const [k, o] of this.byReporter) if (o.group === group) sameGroup.push(k);
    for (let i = 0; i <= sameGroup.length - this.maxPerGroup; i++) this.byReporter.delete(sameGroup[i]!);
    let seen = this.lastSeen;
    if (seen === undefined || !sameAddress(seen.observed, observed)) {
      const copy = { host: observed.host, port: observed.port };
      seen = this.lastSeen = { observed: copy, key: addressKey(copy), host: canonicalHost(copy.host) };
    }
    const now = this.clock.now(); // one reading: a verdict this observation changes changed when it arrived
    this.byReporter.set(key, { observed: seen.observed, key: seen.key, host: seen.host, reporter, group, local: isLocalHost(reporter.host), at: now });
    this.total++;
    while (this.byReporter.size > this.maxObservations) this.byReporter.delete(this.byReporter.keys().next().value!);
    this.refresh(now);
    return this.current;
  }

  /**
   * Drops the observations more than the TTL older than the newest one (all of them when the bound
   * address changed) and re-judges, emitting `nat:changed` when the verdict changed.
   * @param now the time of the change, if any (the caller's clock reading; by default the clock's now).
   */
  refresh(now: number = this.clock.now()): void {
    this.checkBound();
    let newest: Observation | undefined;
    for (const o of this.byReporter.values()) newest = o;
    const oldest = (newest?.at ?? 0) - this.ttlMs;
    for (const [key, o] of this.byReporter) {
      if (o.at >= oldest) break; // oldest first: the rest are newer
      this.byReporter.delete(key);
    }
    const { votes, ...judged } = this.judge();
    const previous = this.current;
    const differs = (v: Omit<NatStatus, 'changedAt' | 'stale'>): boolean =>
      v.mapping !== previous.mapping || v.publicHost !== previous.publicHost || !sameOptional(v.publicAddress, previous.publicAddress);
    // A known verdict gives way only to one backed by more reporters than a first verdict needs, so one odd
    // answer (or a first one after its backers aged out) cannot flip it; meanwhile it stands, stale when
    // the votes disagree with it (the node may have moved: the DHT asks more nodes).
    const hold = previous.mapping !== 'unknown' && votes.length > 0 && votes.length <= this.minReporters && differs(judged);
    const next: Omit<NatStatus, 'changedAt'> = hold
      ? { ...judged, publicAddress: previous.publicAddress, publicHost: previous.publicHost, mapping: previous.mapping, behindNat: previous.behindNat, stale: !votes.every((o) => agrees(o, previous)) }
      : { ...judged, stale: false };
    const changed = differs(next);
    this.current = { ...next, changedAt: changed ? now : previous.changedAt };
    this.judged = true;
    if (changed) this.emit('nat:changed', this.current, previous);
  }

  /**
   * True when `current` is what {@link NatObserver.refresh} would judge now: it was judged from the
   * observations held, the bound address is still the one it was judged for, and that address is not
   * unspecified (whose verdict reads the machine's interfaces).
   */
  private upToDate(): boolean {
    if (!this.judged || this.boundUnspecified) return false;
    const bound = this.boundAddress();
    return bound.host === this.boundHost && bound.port === this.boundPort;
  }

  /** Forgets the observations when the bound address is not the one they were made for. */
  private checkBound(): void {
    const address = this.boundAddress();
    if (address.host === this.boundHost && address.port === this.boundPort) return;
    this.boundHost = address.host;
    this.boundPort = address.port;
    this.boundUnspecified = isUnspecified(address.host);
    const bound = addressKey(address);
    if (bound === this.boundKey) return;
    this.byReporter.clear();
    this.boundKey = bound;
  }

  /** Forgets every observation (the verdict becomes `unknown`, with an event if it was not). */
  clear(): void {
    this.judged = false;
    this.byReporter.clear();
    this.refresh();
  }

  /**
   * The verdict from the observations held now: each reporter group votes the address (and the host)
   * most of its reporters saw; an address with a strict majority of the groups' votes, seen by at least
   * `minReporters` reporters, is the public address; failing that, a host with such a majority is the
   * public IP of a NAT that gives each destination its own port.
   */
  private judge(): Verdict {
    const all = [...this.byReporter.values()];
    // Reporters on the public internet know our public side; a LAN neighbour sees our LAN address. With
    // enough public reporters, only they vote.
    const publicOnes = all.filter((o) => !o.local);
    const votes = publicOnes.length >= this.minReporters ? publicOnes : all;
    const groups = new Map<string, Observation[]>();
    for (const o of votes) groups.set(o.group, [...(groups.get(o.group) ?? []), o]);
    const base = { observations: all.length, groups: new Set(all.map((o) => o.group)).size, observationsTotal: this.total, updatedAt: all.at(-1)?.at };
    const unknown: Verdict = { ...base, publicAddress: undefined, publicHost: undefined, mapping: 'unknown', behindNat: false, votes };
    if (votes.length < this.minReporters) return unknown;
    const half = groups.size / 2;
    const [address, addressVotes] = top([...groups.values()].map((g) => groupChoice(g, (o) => o.key)));
    const sawAddress = votes.filter((o) => o.key === address);
    if (addressVotes > half && sawAddress.length >= this.minReporters) {
      const publicAddress = sawAddress[0]!.observed;
      const own = this.isOwn(publicAddress);
      return { ...base, publicAddress, publicHost: publicAddress.host, mapping: own ? 'none' : 'endpoint-independent', behindNat: !own, votes };
    }
    const [host, hostVotes] = top([...groups.values()].map((g) => groupChoice(g, (o) => o.host)));
    const sawHost = votes.filter((o) => o.host === host);
    if (hostVotes > half && sawHost.length >= this.minReporters) {
      return { ...base, publicAddress: undefined, publicHost: sawHost[0]!.observed.host, mapping: 'address-dependent', behindNat: true, votes };
    }
    return unknown;
  }

  /** True when `address` is the one this node is bound to (any local interface for an unspecified bind). */
  private isOwn(address: Address): boolean {
    const bound = this.boundAddress();
    if (address.port !== bound.port) return false;
    const host = canonicalHost(address.host);
    if (host === canonicalHost(bound.host)) return true;
    return isUnspecified(bound.host) && this.localHosts().some((h) => canonicalHost(h) === host);
  }
}

/** What most of one group's observations say (`of` each), the newest winning a tie. */
function groupChoice(group: readonly Observation[], of: (o: Observation) => string): string {
  return top([...group].reverse().map(of))[0]!;
}

/** True when `o` says what `verdict` says: its public address, or for a symmetric NAT its public IP. */
function agrees(o: Observation, verdict: NatStatus): boolean {
  const address = verdict.publicAddress;
  return address !== undefined ? o.key === addressKey(address) : o.host === canonicalHost(verdict.publicHost ?? '');
}

/** `undefined`-tolerant {@link sameAddress}. */
function sameOptional(a: Address | undefined, b: Address | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameAddress(a, b);
}

/** The most frequent value and its count (the first seen wins a tie). */
function top(values: readonly string[]): [string | undefined, number] {
  const counts = new Map<string, number>();
  let best: string | undefined;
  let bestCount = 0;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestCount) [best, bestCount] = [v, n];
  }
  return [best, bestCount];
}

/** A host's canonical bytes as text (an IPv4-mapped IPv6 address compares equal to its IPv4 form). */
function canonicalHost(host: string): string {
  const bytes = canonicalIpBytes(host);
  if (bytes === undefined) return host;
  const canonical = bytes.join('.');
  return canonical === host ? host : canonical; // the same text: keep one string
}

/** True for `0.0.0.0` and `::` (a socket bound to every interface). */
function isUnspecified(host: string): boolean {
  const bytes = canonicalIpBytes(host);
  return bytes !== undefined && bytes.every((b) => b === 0);
}

/** `value` when it is a positive integer. @throws {@link InvalidArgumentError} otherwise. */
function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`NatObserver ${name} must be a positive integer, got ${value}`);
  return value;
}
