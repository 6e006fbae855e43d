/**
 * Choosing the k nodes closest to a key when ids can be ground (issue #16): a node's id is the SHA-1 of
 * its key binary, so anyone can mint ids next to any key at SHA-1 speed and take every one of the k
 * closest places, where stores are lied to and reads find nothing. Two defences, for a lookup's window
 * (the nodes it converges on) and its result (the storers a publish uses and the nodes a read asks):
 *
 * - **IP-group caps**: at most `maxPerGroup` nodes of one IP group (an IPv4 /24, an IPv6 /48) in the set,
 *   so an attacker holding G groups holds at most `G * maxPerGroup` of its places; loopback, private and
 *   link-local hosts are exempt (as in the routing table's caps), so LAN and test networks keep working.
 * - **Dense clusters**: given an estimate of the network's size, the nodes nearest the key that are
 *   improbably close to it (the r closest all within a distance where fewer than r are expected, with a
 *   Poisson probability under `densityThreshold`) are *suspect*: the set keeps up to `maxSuspectPerK * k`
 *   of them as extra members and then holds k nodes at the normal spread beyond every one of them, and
 *   answers of suspect nodes do not count toward a value lookup's quorum. A cluster is looked for among the
 *   first `maxSuspectPerK * k` nodes, then followed as far as the region stays improbably dense, so ground
 *   ids ranked past those places are suspect too.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import type { Address } from '../../../framework/index.js';
import { equalBytes } from '../../../framework/util/bytes.js';
import { hostMemo, isLocalAddress } from './ip-diversity.js';

/** Default most nodes of one IP group among a lookup's k closest. */
export const DEFAULT_MAX_PER_IP_GROUP_PER_LOOKUP = 1;
/**
 * Default probability under which the nodes nearest a key count as an improbably dense cluster: an honest
 * network shows one at about one key in 10,000 (costing its lookups a query or two more), while ids ground
 * by brute force sit far closer (1e-10 and below in the bench). 1e-2 also caught a lone ground id, but
 * flagged about one honest key in 50 in small networks, where the size estimate is rough.
 */
export const DEFAULT_DENSITY_THRESHOLD = 1e-4;

/** A node in a candidate set: its id and address. */
export interface SetNode {
  /** The node id (20 bytes). */
  readonly id: Uint8Array;
  /** Where it is (its host gives the IP group). */
  readonly address: Address;
}

/** What {@link SetSelector.pick} chose. */
export interface SetPick<T> {
  /** The chosen nodes, nearest first: the `suspect` first ones, then up to k at the normal spread. */
  readonly chosen: T[];
  /** How many of the first `chosen` are suspect (an improbably dense cluster at the key). */
  readonly suspect: number;
  /**
   * Every member of the dense cluster, nearest first, also those the IP-group caps or the limit on suspect
   * places (`maxSuspectPerK`) left out of `chosen` (a lookup may have queried them already: their answers
   * must not count toward its quorum either).
   */
  readonly cluster: readonly T[];
}

/** Chooses the k closest of a candidate list under the caps and the density check. */
export interface SetSelector {
  /**
   * @param target the key.
   * @param nearestFirst candidates, nearest to `target` first (read only as far as needed).
   * @param k how many nodes at the normal spread to choose.
   */
  pick<T extends { readonly peer: SetNode }>(target: Uint8Array, nearestFirst: Iterable<T>, k: number): SetPick<T>;
}

/** Options of {@link diverseSelector}. */
export interface DiverseSetOptions {
  /** Most nodes of one IP group in a set (an integer >= 1, or `Infinity` for no cap). @default 1 */
  maxPerGroup?: number;
  /** Hosts without a cap. @default {@link isLocalAddress} */
  exempt?: (host: string) => boolean;
  /** The estimated number of nodes in the network, or `undefined` when unknown (no density check). */
  networkSize?: () => number | undefined;
  /** Poisson probability under which the nearest nodes are a dense cluster. @default 1e-4 */
  densityThreshold?: number;
  /**
   * Most suspect nodes kept in a set, in units of k; also how many of the nearest nodes a cluster is
   * looked for among (a cluster found there is followed further, and all of it is suspect). @default 1
   */
  maxSuspectPerK?: number;
}

/**
 * A {@link SetSelector} with IP-group caps and, when `networkSize` is given, the dense-cluster check.
 * @throws an {@link InvalidArgumentError} for a cap that is not an integer >= 1 or `Infinity`, or a
 *   threshold outside (0, 1).
 * @example
 * ```ts
 * const select = diverseSelector({ maxPerGroup: 1, networkSize: () => 10_000 });
 * const { chosen, suspect } = select.pick(key, candidates, 8);
 * ```
 */
export function diverseSelector(options: DiverseSetOptions = {}): SetSelector {
  const cap = options.maxPerGroup ?? DEFAULT_MAX_PER_IP_GROUP_PER_LOOKUP;
  if (!(cap === Infinity || (Number.isInteger(cap) && cap >= 1))) throw new InvalidArgumentError(`maxPerGroup must be an integer >= 1 or Infinity, got ${cap}`);
  const threshold = options.densityThreshold ?? DEFAULT_DENSITY_THRESHOLD;
  if (!(threshold > 0 && threshold < 1)) throw new InvalidArgumentError(`densityThreshold must be in (0, 1), got ${threshold}`);
  const exempt = options.exempt ?? isLocalAddress;
  const perK = options.maxSuspectPerK ?? 1;
  // With the default exemption a host's group is a pure function of it: every selector in the process
  // reads the one memo the routing tables' policies share (a simulated node holding its own cost about
  // 100 bytes per host it ever ranked). A custom exemption gets its own memo, made at the first lookup.
  const info = hostMemo(exempt);
  const groupOf = (host: string): string | undefined => {
    const known = info(host);
    return known.exempt ? undefined : known.group;
  };
  return {
    pick<T extends { readonly peer: SetNode }>(target: Uint8Array, nearestFirst: Iterable<T>, k: number): SetPick<T> {
      const size = options.networkSize?.();
      const maxSuspect = size === undefined ? 0 : Math.floor(perK * k);
      const counts = new Map<string, number>();
      /** Takes a place for `c` when its group has room (and counts it). */
      const room = (c: T): boolean => {
        if (cap === Infinity) return true;
        const g = groupOf(c.peer.address.host);
        if (g === undefined) return true;
        const n = counts.get(g) ?? 0;
        if (n >= cap) return false;
        counts.set(g, n + 1);
        return true;
      };
      const iterator = nearestFirst[Symbol.iterator]();
      // Density is judged on the nearest candidates before the caps, so a cluster the caps thin out to one
      // or two members per group is still seen whole.
      const head: T[] = [];
      while (head.length < maxSuspect) {
        const next = iterator.next();
        if (next.done === true) break;
        head.push(next.value);
      }
      // A node at exactly the target is the node looked up (a lookup of a node id), not a ground id: it is
      // left out of the ranks, and suspect only inside a cluster.
      const exact = head.length > 0 && equalBytes(head[0]!.peer.id, target) ? 1 : 0;
      const ground = size === undefined ? 0 : denseCluster(target, head.slice(exact), size, threshold, maxSuspect - exact);
      // A cluster found among the first `maxSuspect` nodes is followed as far as the region stays dense, so a
      // ground id ranked past them is suspect too (an attacker with 2k ids near the key).
      const cluster = ground === 0 || size === undefined ? 0 : exact + denseRegion(target, head, exact, ground, iterator, size, threshold);
      const chosen: T[] = [];
      for (let i = 0; i < cluster && chosen.length < maxSuspect; i++) if (room(head[i]!)) chosen.push(head[i]!);
      const suspect = chosen.length;
      let members = 0;
      const consider = (c: T): void => {
        if (members < k && room(c)) {
          chosen.push(c);
          members++;
        }
      };
      for (let i = cluster; i < head.length && members < k; i++) consider(head[i]!);
      while (members < k) {
        const next = iterator.next();
        if (next.done === true) break;
        consider(next.value);
      }
      return { chosen, suspect, cluster: head.slice(0, cluster) };
    },
  };
}

/**
 * The length r of the improbably dense cluster at `target`: the r <= `max` for which the r nearest nodes
 * are least probable, i.e. lie within a distance where a network of `size` random ids has r or more nodes
 * with the smallest probability, when that probability is under `threshold` (0 when none is). The most
 * improbable prefix, not the longest one: honest nodes just past a cluster look dense too (their rank
 * counts the cluster), but less so than the cluster itself.
 */
export function denseCluster(target: Uint8Array, nearestFirst: ReadonlyArray<{ readonly peer: { readonly id: Uint8Array } }>, size: number, threshold: number, max: number): number {
  let cluster = 0;
  let least = threshold;
  const n = Math.min(max, nearestFirst.length);
  for (let r = 1; r <= n; r++) {
    const p = poissonTail(size * distanceFraction(target, nearestFirst[r - 1]!.peer.id), r);
    if (p < least) {
      least = p;
      cluster = r;
    }
  }
  return cluster;
}

/**
 * How far the dense region at `target` goes, given a cluster of `ground` nodes found among `head` (the
 * nearest candidates, `exact` of them at exactly the target, left out of the ranks): the most improbable
 * prefix again (see {@link denseCluster}), over the ranks past the cluster for as long as the prefix stays
 * under `threshold`, past `head` too (read from `rest` into `head`); once a prefix is not improbable the
 * nodes are at the normal spread, however many the cluster put before them. Honest nodes just past a cluster only make the prefix less improbable, so
 * the region ends where the ground ids do, not after k of them.
 * @returns the region's length in ranks (at least `ground`; `exact` not counted).
 */
function denseRegion<T extends { readonly peer: SetNode }>(target: Uint8Array, head: T[], exact: number, ground: number, rest: Iterator<T>, size: number, threshold: number): number {
  let region = ground;
  let least = poissonTail(size * distanceFraction(target, head[exact + ground - 1]!.peer.id), ground);
  for (let r = ground + 1; ; r++) {
    if (head.length < exact + r) {
      const next = rest.next();
      if (next.done === true) break;
      head.push(next.value);
    }
    const p = poissonTail(size * distanceFraction(target, head[exact + r - 1]!.peer.id), r);
    if (p >= threshold) break;
    if (p < least) {
      least = p;
      region = r;
    }
  }
  return region;
}

/** The XOR distance of `a` and `b` as a fraction of the id space, in [0, 1) (its first 7 bytes). */
export function distanceFraction(a: Uint8Array, b: Uint8Array): number {
  let x = 0;
  let scale = 1 / 256;
  for (let i = 0; i < 7; i++, scale /= 256) x += ((a[i] ?? 0) ^ (b[i] ?? 0)) * scale;
  return x;
}

/**
 * P(X >= r) for X Poisson with mean `lambda`: summed from r upward when `lambda < r` (no cancellation for
 * the small tails that matter), else 1 minus the terms below r.
 */
export function poissonTail(lambda: number, r: number): number {
  if (r <= 0) return 1;
  if (lambda <= 0) return 0;
  if (lambda >= r) {
    let term = Math.exp(-lambda);
    let below = 0;
    for (let i = 0; i < r; i++) {
      below += term;
      term *= lambda / (i + 1);
    }
    return Math.max(0, 1 - below);
  }
  // log of the first term e^-lambda lambda^r / r!
  let logTerm = -lambda;
  for (let i = 1; i <= r; i++) logTerm += Math.log(lambda / i);
  let term = Math.exp(logTerm);
  let sum = 0;
  for (let i = r; term > sum * 1e-12 && i < r + 1_000; i++) {
    sum += term;
    term *= lambda / (i + 1);
  }
  return Math.min(1, sum);
}

