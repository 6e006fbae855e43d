/**
 * One path of a lookup (see `lookup.ts`): the iterative Kademlia lookup over its own candidates, sharing
 * with the other paths of a disjoint lookup the set of nodes already queried and the answers found.
 * Internal to the lookup machinery.
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import { ImpostorError } from './errors.js';
import type { Answered, LookupOptions, LookupPeer, QueryReply } from './lookup.js';
import { commonPrefixLength, compareDistance } from './routing/node-id.js';

/** `taken`: another path of the same lookup queried the node first, so this path never uses it. */
export type State = 'new' | 'inflight' | 'done' | 'failed' | 'taken';

/** A node a path knows of, and where the path stands with it. */
export interface Candidate<R> {
  /** The node. */
  peer: LookupPeer;
  /** Its id in hex. */
  hex: string;
  /** Hops from us (seeds are hop 1). */
  hops: number;
  /** Where the path stands with it. */
  state: State;
  /** Its answer, once `done`. */
  reply: R | undefined;
  /** The node whose answer brought this one into the lookup (none for seeds). */
  referrer: Candidate<R> | undefined;
  /** Set (for good) once the node was seen in an improbably dense cluster at the target (`LookupOptions.select`). */
  suspect?: boolean;
  /** Leading bits its id shares with the target, once computed (for `LookupOptions.rttMs`). */
  cpl?: number;
}

/** What the paths of one lookup share. */
export interface Shared<R> {
  /** Hex ids of the nodes a path queried: no other path queries them (S/Kademlia's disjoint paths). */
  readonly claimed: Set<string>;
  /** Answers that carried something, from every path, in arrival order. */
  readonly found: Answered<R>[];
  /** Queries running within their soft timeout, over every path (see `LookupOptions.quorum`). */
  busy: number;
  /** Set once the lookup resolved or rejected. */
  finished: boolean;
  /** Ends the whole lookup (rejects with `error` if given). */
  finish(error?: Error): void;
  /** A path converged; the lookup ends when all have. */
  pathDone(): void;
  /** Steps every path (a settled query may free another path held back by the quorum). */
  stepAll(): void;
  /**
   * Hex ids of the nodes seen in an improbably dense cluster at the target by any path, or by the paths'
   * candidates judged together (`judge`): a disjoint lookup deals a cluster's members out to its paths, so
   * one path alone may see too few of them to find them improbable.
   */
  readonly suspects: Set<string>;
  /** Judges the candidates of every path together and adds a dense cluster's members to `suspects`. */
  judge(): void;
}

/** Most candidates a path remembers unless told otherwise. */
const DEFAULT_MAX_CANDIDATES = 256;

/** One path of a lookup: the iterative Kademlia lookup over its own candidates, with its own k and alpha. */
export class LookupPath<V, R extends QueryReply<V>> {
  /** Queries this path sent. */
  queried = 0;
  /** Queries of this path that failed or timed out. */
  failed = 0;
  /** Set once the path converged (or the lookup ended). */
  done = false;
  private readonly candidates = new Map<string, Candidate<R>>();
  private readonly timers = new Set<TimerHandle>();
  private sorted: Candidate<R>[] = [];
  private dirty = true;
  private slotsBusy = 0;
  /** Releases of the slots this path's queries hold within their soft timeout. */
  private readonly held = new Set<() => void>();
  private outstanding = 0;

  /**
   * @param o the lookup's options (k, alpha, query, timers...). @param shared what the paths share.
   * @param selfHex our own id in hex (never a candidate).
   */
  constructor(
    private readonly o: LookupOptions<V, R>,
    private readonly shared: Shared<R>,
    private readonly selfHex: string,
    private readonly index = 0,
  ) {}

  /** Adds a candidate, unless it is us, known, claimed by another path, or over the limit. */
  add(peer: LookupPeer, hops: number, referrer?: Candidate<R>): void {
    const hex = toHex(peer.id);
    if (hex === this.selfHex || this.candidates.has(hex) || this.shared.claimed.has(hex)) return;
    if (this.candidates.size >= (this.o.maxCandidates ?? DEFAULT_MAX_CANDIDATES)) return;
    this.candidates.set(hex, { peer, hex, hops, state: 'new', reply: undefined, referrer });
    this.dirty = true;
  }

  /** The candidates this path knows (any order, failed ones too), for judging the paths together. */
  known(): IterableIterator<Candidate<R>> {
    return this.candidates.values();
  }

  /** The `n` closest nodes that answered this path, nearest first (chosen by `select` when given). */
  answered(n: number): Answered<R>[] {
    const out: Answered<R>[] = [];
    const select = this.o.select;
    if (select !== undefined) {
      const done = this.ordered().filter((c) => c.state === 'done');
      for (const c of select.pick(this.o.target, done, n).chosen) out.push({ peer: c.peer, hops: c.hops, reply: c.reply as R });
      return out;
    }
    for (const c of this.ordered()) {
      if (out.length >= n) break;
      if (c.state === 'done') out.push({ peer: c.peer, hops: c.hops, reply: c.reply as R });
    }
    return out;
  }

  /**
   * Releases the path's timers, and the slots its queries still hold within their soft timeout (their
   * answers, ignored now, would never give them back: the quorum of the other paths would wait for them
   * forever); answers still in flight are ignored.
   */
  stop(): void {
    for (const t of this.timers) this.o.cancel(t);
    this.timers.clear();
    for (const release of this.held) release();
    this.held.clear();
  }

  /** Launches queries into free slots, or converges when the k closest live candidates all answered. */
  step(): void {
    const { o, shared } = this;
    if (this.done || shared.finished) return;
    if (o.isDone?.(shared.found, shared.suspects) === true) return shared.finish();
    const window = this.window().chosen;
    const { quorum } = o;
    let counted = 0;
    for (const f of shared.found) if (f.suspect !== true) counted++;
    const covered = (): boolean => quorum !== undefined && counted < quorum && counted + shared.busy >= quorum;
    while (this.slotsBusy < o.alpha && !covered()) {
      const next = this.next(window);
      if (next === undefined) break;
      this.launch(next);
    }
    const converged = window.every((c) => c.state === 'done') || (this.outstanding === 0 && !window.some((c) => c.state === 'new'));
    if (!converged) return;
    this.done = true;
    this.stop();
    o.observer?.pathEnded(this.index);
    shared.pathDone();
  }

  /**
   * The candidate to query next: the nearest unqueried one in the window, or with `rttMs` the fastest of
   * those as useful as it (at least its common prefix with the target, less `rttSlackBits`), nearest first
   * among equals.
   */
  private next(window: readonly Candidate<R>[]): Candidate<R> | undefined {
    const rttMs = this.o.rttMs;
    let best: Candidate<R> | undefined;
    let bestRtt = Infinity;
    let floor = 0;
    for (const c of window) {
      if (c.state !== 'new') continue;
      if (rttMs === undefined) return c;
      const cpl = (c.cpl ??= commonPrefixLength(this.o.target, c.peer.id));
      if (best === undefined) {
        best = c;
        bestRtt = rttMs(c.hex) ?? Infinity;
        floor = cpl - (this.o.rttSlackBits ?? 0);
        continue;
      }
      if (cpl < floor) continue;
      const rtt = rttMs(c.hex) ?? Infinity;
      if (rtt < bestRtt) {
        best = c;
        bestRtt = rtt;
      }
    }
    return best;
  }

  /**
   * An honest node only refers nodes that proved their ids to it, so a referral that turned out to be an
   * impostor condemns its referrer: its answer no longer counts (it leaves the window and the result) and
   * the other nodes it referred are dropped before they cost a query.
   */
  private distrust(referrer: Candidate<R>): void {
    if (referrer.state === 'done') referrer.state = 'failed';
    for (const c of this.candidates.values()) if (c.referrer === referrer && c.state === 'new') c.state = 'failed';
    this.dirty = true;
  }

  /**
   * The window: the k closest live candidates (not failed, not taken by another path), chosen by
   * `select` when given (with the suspect ones of a dense cluster before them).
   */
  private window(): { chosen: Candidate<R>[]; suspect: number } {
    const { o, shared } = this;
    const live = (function* (ordered: Candidate<R>[]): Generator<Candidate<R>> {
      for (const c of ordered) {
        if (c.state === 'new' && shared.claimed.has(c.hex)) c.state = 'taken';
        if (c.state !== 'failed' && c.state !== 'taken') yield c;
      }
    })(this.ordered());
    if (o.select !== undefined) {
      const pick = o.select.pick(o.target, live, o.k);
      // Every member of the cluster, also one the caps left out of the window (it may have answered already).
      for (const c of pick.cluster) {
        c.suspect = true;
        shared.suspects.add(c.hex);
      }
      return pick;
    }
    const chosen: Candidate<R>[] = [];
    for (const c of live) {
      if (chosen.length >= o.k) break;
      chosen.push(c);
    }
    return { chosen, suspect: 0 };
  }

  private ordered(): Candidate<R>[] {
    if (this.dirty) {
      this.sorted = [...this.candidates.values()].sort((a, b) => compareDistance(this.o.target, a.peer.id, b.peer.id));
      this.dirty = false;
    }
    return this.sorted;
  }

  private launch(c: Candidate<R>): void {
    const { o, shared } = this;
    c.state = 'inflight';
    shared.claimed.add(c.hex);
    this.queried++;
    this.slotsBusy++;
    shared.busy++;
    this.outstanding++;
    let holdsSlot = true;
    const release = (): void => {
      if (holdsSlot) {
        holdsSlot = false;
        this.slotsBusy--;
        shared.busy--;
        this.held.delete(release);
      }
    };
    this.held.add(release);
    const observer = o.observer;
    observer?.query(c.peer, this.index, c.hops);
    const soft = o.schedule(o.softTimeoutMs(c.peer), () => {
      this.timers.delete(soft);
      release();
      shared.stepAll();
    });
    this.timers.add(soft);
    const settled = (): boolean => {
      if (this.done || shared.finished) return false;
      o.cancel(soft);
      this.timers.delete(soft);
      release();
      this.outstanding--;
      return true;
    };
    // A query that throws instead of rejecting fails like one that rejects (its slot is never left held).
    let pending: Promise<R>;
    try {
      pending = o.query(c.peer);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (reply) => {
        observer?.answer(c.peer, this.index, c.hops, reply);
        if (!settled()) return;
        c.state = 'done';
        c.reply = reply;
        for (const n of reply.nodes) this.add(n, c.hops + 1, c);
        if (reply.found !== undefined) {
          if (o.select !== undefined) this.window(); // marks the suspect candidates as the answers come in
          // Whether it is suspect is read when the quorum is judged: later answers may reveal the cluster.
          shared.found.push({ peer: c.peer, hops: c.hops, reply, get suspect() { return c.suspect === true || shared.suspects.has(c.hex); } });
        }
        if (o.select !== undefined) shared.judge();
        shared.stepAll();
      },
      (error: unknown) => {
        observer?.failure(c.peer, this.index, error);
        if (!settled()) return;
        c.state = 'failed';
        this.failed++;
        if (error instanceof ImpostorError && c.referrer !== undefined) this.distrust(c.referrer);
        this.dirty = true;
        shared.stepAll();
      },
    );
  }
}
