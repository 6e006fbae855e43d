/**
 * The iterative Kademlia lookup, independent of message formats so the DHT, discovery, bag and
 * namespace communities share it. `alpha` queries run at once; a query slower than its soft timeout
 * frees its slot so one slow node never blocks a round (its answer is still used if it arrives before
 * the hard timeout); the lookup ends when the k closest nodes seen have all answered or failed, or early
 * when the caller's `isDone` says enough was found. {@link disjointLookup} runs several such paths at once
 * over disjoint sets of nodes (S/Kademlia), so one path led astray by adversaries does not fail the lookup.
 * @module
 */
import { AbortError, InvalidArgumentError } from '../../framework/index.js';
import type { Address, TimerHandle } from '../../framework/index.js';
import { compareDistance } from './routing/node-id.js';
import { toHex } from '../../framework/index.js';
import type { ImpostorError } from './errors.js'; // for {@link} in TSDoc
import { LookupPath } from './lookup-path.js';
import type { Shared } from './lookup-path.js';
import type { SetSelector } from './routing/diverse-set.js';

/** A node a lookup can query. */
export interface LookupPeer {
  /** The node id (20 bytes). */
  readonly id: Uint8Array;
  /** Where to send the query. */
  readonly address: Address;
}

/** What one queried node answered. */
export interface QueryReply<V> {
  /** Nodes it knows closer to the target. */
  readonly nodes: readonly LookupPeer[];
  /** What it found for the target, if anything (values, records...). */
  readonly found?: V;
}

/** A queried node and its answer. */
export interface Answered<R> {
  /** The node. */
  readonly peer: LookupPeer;
  /** How many hops from us it was reached (seeds are hop 1). */
  readonly hops: number;
  /** Its full reply. */
  readonly reply: R;
  /**
   * True once the node was seen in an improbably dense cluster at the target (see `LookupOptions.select`;
   * it may turn true after the answer came, as later answers reveal the cluster): what it found is used,
   * but it does not count toward a quorum.
   */
  readonly suspect?: boolean;
}

/** Everything a lookup needs from its community. */
export interface LookupOptions<V, R extends QueryReply<V>> {
  /** The id looked up. */
  readonly target: Uint8Array;
  /** Our own id (never queried). */
  readonly selfId: Uint8Array;
  /** Kademlia k: the lookup converges on the k closest. */
  readonly k: number;
  /** Queries in flight at once. */
  readonly alpha: number;
  /** Where to start: our closest known contacts. */
  readonly seeds: readonly LookupPeer[];
  /** Sends one query; rejects on timeout or error, with an {@link ImpostorError} when the node is not who it was referred as. */
  query(peer: LookupPeer): Promise<R>;
  /** After this many ms a query's slot is freed for another one. */
  softTimeoutMs(peer: LookupPeer): number;
  /**
   * Ends the lookup early (for value lookups) given everything found so far, and the hex ids of every
   * node seen so far in an improbably dense cluster at the target (see `select`; answered or only referred).
   */
  isDone?(found: ReadonlyArray<Answered<R>>, suspects: ReadonlySet<string>): boolean;
  /**
   * For value lookups: while fewer than `quorum` answers carried something, no further query is launched
   * when the queries running (still within their soft timeout) could make up the difference, so a lookup
   * whose first queries all hit holders costs exactly `quorum` queries. Unset: every free slot is used.
   */
  readonly quorum?: number;
  /** Timers (the community's, so `stop()` clears them). */
  schedule(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer from `schedule`. */
  cancel(handle: TimerHandle): void;
  /** Aborts the lookup with {@link AbortError}. */
  readonly signal?: AbortSignal;
  /**
   * Measured round-trip time to a node, by hex id (a node-wide estimate or undefined when unknown).
   * Given, each free slot goes to the fastest of the window's unqueried candidates that are as useful as
   * the nearest of them: as many leading bits in common with the target, less `rttSlackBits` (Kademlia's
   * proximity routing). Unset: nearest first.
   */
  readonly rttMs?: ((idHex: string) => number | undefined) | undefined;
  /** See `rttMs`: how many bits of the nearest unqueried candidate's prefix a faster one may lack. @default 0 */
  readonly rttSlackBits?: number | undefined;
  /** Most candidates remembered (per path of a {@link disjointLookup}). @default 256 */
  readonly maxCandidates?: number;
  /** Told of every query, answer, failure and path end (lookup events); nothing is called when unset. */
  readonly observer?: LookupObserver<R> | undefined;
  /**
   * Chooses the window a path converges on and the result's `closest` (IP-group caps, dense clusters:
   * `routing/diverse-set.ts`); unset: the k nearest.
   */
  readonly select?: SetSelector | undefined;
}

/** What a lookup tells an observer, as it happens. */
export interface LookupObserver<R> {
  /** A query was sent to `peer` on `path`, `hop` hops from us. */
  query(peer: LookupPeer, path: number, hop: number): void;
  /** `peer` answered. */
  answer(peer: LookupPeer, path: number, hop: number, reply: R): void;
  /** The query to `peer` failed (timed out, an impostor answered, or it could not be sent). */
  failure(peer: LookupPeer, path: number, error: unknown): void;
  /** `path` converged or ran out of candidates. */
  pathEnded(path: number): void;
}

/** Outcome of a lookup. */
export interface LookupResult<R> {
  /**
   * The closest nodes that answered, nearest first: at most k, chosen by `select` when given (then also
   * the suspect nodes of a dense cluster before them).
   */
  readonly closest: ReadonlyArray<Answered<R>>;
  /** Answers that carried something (`found` set), in arrival order. */
  readonly found: ReadonlyArray<Answered<R>>;
  /** Queries sent. */
  readonly queried: number;
  /** Queries that failed or timed out. */
  readonly failed: number;
  /** Hops to the first answer with a value (value lookups), else to the farthest of the closest. */
  readonly hops: number;
}

/** Runs one iterative lookup. Rejects only with {@link AbortError}; node failures are part of the result. */
export function iterativeLookup<V, R extends QueryReply<V>>(o: LookupOptions<V, R>): Promise<LookupResult<R>> {
  return disjointLookup(o, 1);
}

/**
 * Runs a lookup over `paths` disjoint paths (S/Kademlia): the seeds are dealt round-robin (nearest first)
 * to the paths, each path runs the iterative lookup with its own k and alpha, and a node one path
 * queried is never queried by another. The lookup ends when every path converged, or early when `isDone`
 * holds for the answers of all paths together. Results are merged: `closest` is the k closest nodes that
 * answered any path, `found` every answer that carried something. One path is {@link iterativeLookup}.
 * @param paths the number of paths d, an integer >= 1.
 * @returns the merged result. Rejects with {@link AbortError} when aborted, and with an
 *   {@link InvalidArgumentError} when `paths` is not an integer >= 1; node failures are part of the result.
 * @example
 * ```ts
 * const result = await disjointLookup({ target, selfId, k: 16, alpha: 3, seeds, query, softTimeoutMs, schedule, cancel }, 4);
 * ```
 */
export function disjointLookup<V, R extends QueryReply<V>>(o: LookupOptions<V, R>, paths: number): Promise<LookupResult<R>> {
  if (!Number.isInteger(paths) || paths < 1) {
    return Promise.reject(new InvalidArgumentError(`paths must be an integer >= 1, got ${paths}`));
  }
  return new Promise<LookupResult<R>>((resolve, reject) => {
    if (o.signal?.aborted === true) return reject(new AbortError('lookup aborted'));
    const all: Array<LookupPath<V, R>> = [];
    const onAbort = (): void => shared.finish(new AbortError('lookup aborted'));
    const shared: Shared<R> = {
      claimed: new Set<string>(),
      found: [],
      busy: 0,
      finished: false,
      finish(error?: Error): void {
        if (shared.finished) return;
        shared.finished = true;
        for (const p of all) p.stop();
        o.signal?.removeEventListener('abort', onAbort);
        if (error !== undefined) return reject(error);
        resolve(merge(o, all, shared.found));
      },
      pathDone(): void {
        // A path that ended gave back its slots: another path held back by the quorum may go on now.
        if (all.every((p) => p.done)) shared.finish();
        else shared.stepAll();
      },
      stepAll(): void {
        for (const p of all) p.step();
      },
      suspects: new Set<string>(),
      judge(): void {
        if (o.select === undefined || all.length < 2) return; // one path judges its own candidates (its window)
        // Every node any path knows of, but none that failed on any path (a made-up id is not a member).
        const known = new Map<string, { readonly peer: LookupPeer; readonly hex: string }>();
        const failed = new Set<string>();
        for (const p of all) {
          for (const c of p.known()) {
            if (c.state === 'failed') failed.add(c.hex);
            else known.set(c.hex, c);
          }
        }
        for (const hex of failed) known.delete(hex);
        const nearest = [...known.values()].sort((a, b) => compareDistance(o.target, a.peer.id, b.peer.id));
        const pick = o.select.pick(o.target, nearest, o.k);
        for (const c of pick.cluster) shared.suspects.add(c.hex);
      },
    };
    const selfHex = toHex(o.selfId);
    for (let i = 0; i < paths; i++) all.push(new LookupPath(o, shared, selfHex, i));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    o.seeds.forEach((s, i) => all[i % paths]!.add(s, 1));
    for (const p of all) p.step();
  });
}

/** Merges the paths' answers into one result. */
function merge<V, R extends QueryReply<V>>(o: LookupOptions<V, R>, all: ReadonlyArray<LookupPath<V, R>>, found: Answered<R>[]): LookupResult<R> {
  const answered = all.flatMap((p) => p.answered(o.k));
  let closest = answered;
  if (all.length > 1) {
    answered.sort((a, b) => compareDistance(o.target, a.peer.id, b.peer.id));
    closest = o.select === undefined ? answered.slice(0, o.k) : o.select.pick(o.target, answered, o.k).chosen;
  }
  const hops = found[0]?.hops ?? closest.reduce((m, c) => Math.max(m, c.hops), 0);
  const sum = (pick: (p: LookupPath<V, R>) => number): number => all.reduce((t, p) => t + pick(p), 0);
  return { closest, found, queried: sum((p) => p.queried), failed: sum((p) => p.failed), hops };
}
