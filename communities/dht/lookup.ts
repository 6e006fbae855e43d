/**
 * The iterative Kademlia lookup, independent of message formats so the DHT, discovery, bag and
 * namespace communities share it. `alpha` queries run at once; a query slower than its soft timeout
 * frees its slot so one slow node never blocks a round (its answer is still used if it arrives before
 * the hard timeout); the lookup ends when the k closest nodes seen have all answered or failed, or early
 * when the caller's `isDone` says enough was found.
 * @module
 */
import { AbortError } from '../../framework/index.js';
import type { Address, TimerHandle } from '../../framework/index.js';
import { compareDistance } from './routing/node-id.js';
import { toHex } from '../../framework/index.js';

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
  /** Sends one query; rejects on timeout or error. */
  query(peer: LookupPeer): Promise<R>;
  /** After this many ms a query's slot is freed for another one. */
  softTimeoutMs(peer: LookupPeer): number;
  /** Ends the lookup early (for value lookups) given everything found so far. */
  isDone?(found: ReadonlyArray<Answered<R>>): boolean;
  /** Timers (the community's, so `stop()` clears them). */
  schedule(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer from `schedule`. */
  cancel(handle: TimerHandle): void;
  /** Aborts the lookup with {@link AbortError}. */
  readonly signal?: AbortSignal;
  /** Most candidates remembered. @default 256 */
  readonly maxCandidates?: number;
}

/** Outcome of a lookup. */
export interface LookupResult<R> {
  /** The closest nodes that answered, nearest first, at most k. */
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

type State = 'new' | 'inflight' | 'done' | 'failed';

interface Candidate<R> {
  peer: LookupPeer;
  hex: string;
  hops: number;
  state: State;
  reply: R | undefined;
}

/** Runs one iterative lookup. Rejects only with {@link AbortError}; node failures are part of the result. */
export function iterativeLookup<V, R extends QueryReply<V>>(o: LookupOptions<V, R>): Promise<LookupResult<R>> {
  return new Promise<LookupResult<R>>((resolve, reject) => {
    const selfHex = toHex(o.selfId);
    const maxCandidates = o.maxCandidates ?? 256;
    const candidates = new Map<string, Candidate<R>>();
    const found: Answered<R>[] = [];
    let sorted: Candidate<R>[] = [];
    let dirty = true;
    let slotsBusy = 0;
    let outstanding = 0;
    let queried = 0;
    let failed = 0;
    let finished = false;
    const timers = new Set<TimerHandle>();

    const add = (peer: LookupPeer, hops: number): void => {
      const hex = toHex(peer.id);
      if (hex === selfHex || candidates.has(hex) || candidates.size >= maxCandidates) return;
      candidates.set(hex, { peer, hex, hops, state: 'new', reply: undefined });
      dirty = true;
    };
    const ordered = (): Candidate<R>[] => {
      if (dirty) {
        sorted = [...candidates.values()].sort((a, b) => compareDistance(o.target, a.peer.id, b.peer.id));
        dirty = false;
      }
      return sorted;
    };
    const onAbort = (): void => finish(new AbortError('lookup aborted'));
    const finish = (error?: Error): void => {
      if (finished) return;
      finished = true;
      for (const t of timers) o.cancel(t);
      timers.clear();
      o.signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) return reject(error);
      const closest = ordered()
        .filter((c) => c.state === 'done')
        .slice(0, o.k)
        .map((c) => ({ peer: c.peer, hops: c.hops, reply: c.reply as R }));
      const hops = found[0]?.hops ?? closest.reduce((m, c) => Math.max(m, c.hops), 0);
      resolve({ closest, found, queried, failed, hops });
    };
    const launch = (c: Candidate<R>): void => {
      c.state = 'inflight';
      queried++;
      slotsBusy++;
      outstanding++;
      let holdsSlot = true;
      const release = (): void => {
        if (holdsSlot) {
          holdsSlot = false;
          slotsBusy--;
        }
      };
      const soft = o.schedule(o.softTimeoutMs(c.peer), () => {
        timers.delete(soft);
        release();
        step();
      });
      timers.add(soft);
      o.query(c.peer).then(
        (reply) => {
          if (finished) return;
          o.cancel(soft);
          timers.delete(soft);
          release();
          outstanding--;
          c.state = 'done';
          c.reply = reply;
          for (const n of reply.nodes) add(n, c.hops + 1);
          if (reply.found !== undefined) found.push({ peer: c.peer, hops: c.hops, reply });
          step();
        },
        () => {
          if (finished) return;
          o.cancel(soft);
          timers.delete(soft);
          release();
          outstanding--;
          c.state = 'failed';
          failed++;
          dirty = true;
          step();
        },
      );
    };
    const step = (): void => {
      if (finished) return;
      if (o.isDone?.(found) === true) return finish();
      const live = ordered().filter((c) => c.state !== 'failed');
      const window = live.slice(0, o.k);
      for (const c of window) {
        if (slotsBusy >= o.alpha) break;
        if (c.state === 'new') launch(c);
      }
      if (window.every((c) => c.state === 'done')) return finish();
      if (outstanding === 0 && !window.some((c) => c.state === 'new')) finish();
    };

    if (o.signal?.aborted === true) return reject(new AbortError('lookup aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    for (const s of o.seeds) add(s, 1);
    step();
  });
}
