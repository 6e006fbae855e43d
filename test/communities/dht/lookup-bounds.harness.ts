/**
 * A hostile network for `disjointLookup` on a {@link ManualClock}: the answers follow a script (one
 * behaviour per query, in the order the queries are sent), every query is failed with a `TimeoutError`
 * after at most {@link HARD_TIMEOUT_MS}, and everything the bounds of issue #16 need is recorded (queries
 * per id and per path, ids the lookup could learn, timers of the lookup apart from the network's).
 * Used by `lookup-bounds.property.test.ts`.
 * @module
 */
import { ImpostorError } from '../../../communities/dht/errors.js';
import { disjointLookup } from '../../../communities/dht/lookup.js';
import type { LookupOptions, LookupPeer, LookupResult, QueryReply } from '../../../communities/dht/lookup.js';
import { ManualClock, TimeoutError, toHex } from '../../../framework/index.js';
import type { TimerHandle } from '../../../framework/index.js';

/** The hard timeout the fake network enforces: every query settles at most this long after it was sent. */
export const HARD_TIMEOUT_MS = 1_000;

/** A node named in a seed list or an answer. */
export type Ref =
  | { readonly kind: 'random'; readonly id: Uint8Array }
  /** The target with one bit flipped: XOR distance of a single bit. */
  | { readonly kind: 'near'; readonly bit: number }
  | { readonly kind: 'target' }
  /** The querier's own id. */
  | { readonly kind: 'self' }
  /** The queried node itself. */
  | { readonly kind: 'same' }
  /** The node whose answer first named the queried one (A refers B refers A). */
  | { readonly kind: 'back' }
  /** One of a small shared pool, so answers overlap across nodes and paths. */
  | { readonly kind: 'pool'; readonly index: number }
  /** Hundreds of made-up ids (random, or one or two bits from the target). */
  | { readonly kind: 'huge'; readonly count: number; readonly seed: number; readonly near: boolean };

/** How one queried node behaves. */
export interface Behaviour {
  /** `never`: no answer comes (the hard timeout fails it); `timeout`, `impostor`, `error`: rejects. */
  readonly outcome: 'answer' | 'never' | 'timeout' | 'impostor' | 'error';
  /** When it settles; past {@link HARD_TIMEOUT_MS} the hard timeout fails it first. */
  readonly delayMs: number | 'instant';
  readonly refs: readonly Ref[];
  /** Lists every referral twice. */
  readonly duplicate: boolean;
  /** The answer carries a value. */
  readonly found: boolean;
}

/** One generated lookup. */
export interface Scenario {
  readonly target: Uint8Array;
  readonly selfId: Uint8Array;
  readonly pool: readonly Uint8Array[];
  readonly seeds: readonly Ref[];
  readonly paths: number;
  readonly k: number;
  readonly alpha: number;
  readonly softMs: number;
  readonly quorum: number | undefined;
  /** `isDone` holds once this many answers carried a value. */
  readonly doneAt: number | undefined;
  readonly maxCandidates: number | undefined;
  /** The signal aborts this long after the start. */
  readonly abortAtMs: number | undefined;
  /** Query n behaves as `script[n % script.length]`. */
  readonly script: readonly Behaviour[];
}

export type Reply = QueryReply<string>;

/** What a run recorded. */
export interface Run {
  readonly outcome: { readonly result: LookupResult<Reply> } | { readonly error: unknown };
  /** Virtual ms from the start to the settlement. */
  readonly elapsedMs: number;
  /** Queries sent before the settlement, and in all (after letting every late answer arrive). */
  readonly queriesAtSettle: number;
  readonly queriesInAll: number;
  /** Queries per path (from the observer) at the settlement. */
  readonly perPath: readonly number[];
  /** Distinct ids other than ours given to the lookup (seeds and answers delivered) before it settled. */
  readonly learnable: number;
  /** Hex ids queried more than once, and whether our own id was queried. */
  readonly repeated: readonly string[];
  readonly selfQueried: boolean;
  /** Lookup timers still scheduled at the settlement, and clock timers left once the network went quiet. */
  readonly lookupTimersAtSettle: number;
  readonly clockTimersAtEnd: number;
  /** The reply each answering node gave (hex id to reply), and failures delivered before the settlement. */
  readonly replies: ReadonlyMap<string, Reply>;
  readonly failuresAtSettle: number;
}

/** Thrown when the lookup is unsettled with no query in flight (nothing can ever wake it) or past `capMs`. */
export class StallError extends Error {}

/** Timers on the clock, remembering when each is due, so a driver can jump to the next one. */
class Timers {
  readonly due = new Map<number, number>();
  constructor(private readonly clock: ManualClock) {}
  schedule(ms: number, fn: () => void): TimerHandle {
    const handle = this.clock.setTimeout(() => {
      this.due.delete(handle.id);
      fn();
    }, ms);
    this.due.set(handle.id, this.clock.now() + (Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0));
    return handle;
  }
  cancel(handle: TimerHandle): void {
    this.clock.clear(handle);
    this.due.delete(handle.id);
  }
  next(): number | undefined {
    let min: number | undefined;
    for (const d of this.due.values()) if (min === undefined || d < min) min = d;
    return min;
  }
}

/** A small deterministic PRNG (mulberry32) for the huge lists. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function flip(id: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(id);
  out[bit >> 3]! ^= 0x80 >> (bit & 7);
  return out;
}

const peerOf = (id: Uint8Array): LookupPeer => ({ id, address: { host: '198.18.0.1', port: 1 + (id[19] ?? 0) } });

/**
 * Runs `disjointLookup` on the scenario, jumping the clock from timer to timer until the lookup settles,
 * then lets every late answer arrive. Throws {@link StallError} when the lookup is unsettled while no
 * query is in flight, or is still running `capMs` after the start.
 */
export async function runScenario(s: Scenario, capMs: number): Promise<Run> {
  const clock = new ManualClock();
  const lookupTimers = new Timers(clock);
  const netTimers = new Timers(clock);
  const start = clock.now();
  const selfHex = toHex(s.selfId);
  const queriedTimes = new Map<string, number>();
  const referrer = new Map<string, Uint8Array>();
  const learnable = new Set<string>();
  const replies = new Map<string, Reply>();
  const perPath = Array.from({ length: s.paths }, () => 0);
  let perPathAtSettle: number[] = [];
  let queries = 0;
  let failures = 0;
  let inFlight = 0;
  let settled = false;

  const resolveRefs = (refs: readonly Ref[], queried: Uint8Array | undefined): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (const r of refs) {
      if (r.kind === 'random') out.push(r.id);
      else if (r.kind === 'near') out.push(flip(s.target, r.bit));
      else if (r.kind === 'target') out.push(Uint8Array.from(s.target));
      else if (r.kind === 'self') out.push(Uint8Array.from(s.selfId));
      else if (r.kind === 'pool') out.push(s.pool[r.index % s.pool.length]!);
      else if (r.kind === 'same') out.push(queried ?? s.target);
      else if (r.kind === 'back') out.push((queried && referrer.get(toHex(queried))) ?? s.selfId);
      else {
        const rand = prng(r.seed);
        for (let i = 0; i < r.count; i++) {
          if (!r.near) out.push(Uint8Array.from({ length: 20 }, () => Math.floor(rand() * 256)));
          else out.push(flip(flip(s.target, Math.floor(rand() * 160)), Math.floor(rand() * 160)));
        }
      }
    }
    return out;
  };
  const learn = (ids: readonly Uint8Array[], from: Uint8Array | undefined): void => {
    if (settled) return;
    for (const id of ids) {
      const hex = toHex(id);
      if (hex !== selfHex) learnable.add(hex);
      if (from !== undefined && !referrer.has(hex)) referrer.set(hex, from);
    }
  };

  const query = (peer: LookupPeer): Promise<Reply> => {
    const hex = toHex(peer.id);
    queriedTimes.set(hex, (queriedTimes.get(hex) ?? 0) + 1);
    queries++;
    const b = s.script[(queries - 1) % s.script.length]!;
    const ids = resolveRefs(b.refs, peer.id);
    const reply: Reply = { nodes: (b.duplicate ? [...ids, ...ids] : ids).map(peerOf), ...(b.found ? { found: `value of ${hex}` } : {}) };
    const answer = (): Reply => {
      inFlight--;
      learn(ids, peer.id);
      replies.set(hex, reply);
      return reply;
    };
    const failure = (error: Error): never => {
      inFlight--;
      if (!settled) failures++;
      throw error;
    };
    const settle = (hardTimeout: boolean): Reply => {
      if (hardTimeout || b.outcome === 'timeout') return failure(new TimeoutError(`query to ${hex} timed out`));
      if (b.outcome === 'impostor') return failure(new ImpostorError(`${hex} answered as another node`));
      if (b.outcome === 'error') return failure(new Error(`${hex} unreachable`));
      return answer();
    };
    inFlight++;
    const hardTimeout = b.outcome === 'never' || (b.delayMs !== 'instant' && b.delayMs > HARD_TIMEOUT_MS);
    if (!hardTimeout && b.delayMs === 'instant') return Promise.resolve().then(() => settle(false));
    const delay = hardTimeout ? HARD_TIMEOUT_MS : (b.delayMs as number);
    return new Promise<void>((done) => netTimers.schedule(delay, done)).then(() => settle(hardTimeout));
  };

  const controller = new AbortController();
  const harness = new Timers(clock);
  if (s.abortAtMs !== undefined) harness.schedule(s.abortAtMs, () => controller.abort());
  const seeds = resolveRefs(s.seeds, undefined);
  learn(seeds, undefined);
  const { quorum, doneAt } = s;
  const options: LookupOptions<string, Reply> = {
    target: s.target,
    selfId: s.selfId,
    k: s.k,
    alpha: s.alpha,
    seeds: seeds.map(peerOf),
    query,
    softTimeoutMs: (peer) => s.softMs + ((peer.id[0] ?? 0) % 7) * 13,
    ...(quorum !== undefined ? { quorum } : {}),
    ...(doneAt !== undefined ? { isDone: (found) => found.length >= doneAt } : {}),
    ...(s.maxCandidates !== undefined ? { maxCandidates: s.maxCandidates } : {}),
    schedule: (ms, fn) => lookupTimers.schedule(ms, fn),
    cancel: (h) => lookupTimers.cancel(h),
    signal: controller.signal,
    observer: {
      query: (_peer, path) => {
        perPath[path] = (perPath[path] ?? 0) + 1;
      },
      answer: () => undefined,
      failure: () => undefined,
      pathEnded: () => undefined,
    },
  };

  let outcome: Run['outcome'] | undefined;
  let queriesAtSettle = 0;
  let failuresAtSettle = 0;
  let lookupTimersAtSettle = 0;
  const onSettled = (o: Run['outcome']): void => {
    outcome = o;
    settled = true;
    queriesAtSettle = queries;
    failuresAtSettle = failures;
    perPathAtSettle = [...perPath];
    lookupTimersAtSettle = lookupTimers.due.size;
  };
  disjointLookup(options, s.paths).then(
    (result) => onSettled({ result }),
    (error: unknown) => onSettled({ error }),
  );
  await clock.advance(0);
  while (outcome === undefined) {
    if (inFlight === 0) throw new StallError(`stalled at +${clock.now() - start} ms: unsettled after ${queries} queries with none in flight`);
    const next = Math.min(netTimers.next() ?? Infinity, lookupTimers.next() ?? Infinity, harness.next() ?? Infinity);
    if (next - start > capMs) throw new StallError(`still running at +${clock.now() - start} ms after ${queries} queries (cap ${capMs} ms)`);
    await clock.advance(next - clock.now());
  }
  const elapsedMs = clock.now() - start;
  for (const [id] of harness.due) harness.cancel({ id });
  // Let every late answer arrive: the lookup must ignore them (no query, no timer).
  await clock.advance(2 * HARD_TIMEOUT_MS);
  return {
    outcome,
    elapsedMs,
    queriesAtSettle,
    queriesInAll: queries,
    perPath: perPathAtSettle,
    learnable: learnable.size,
    repeated: [...queriedTimes].filter(([, n]) => n > 1).map(([hex]) => hex),
    selfQueried: queriedTimes.has(selfHex),
    lookupTimersAtSettle,
    clockTimersAtEnd: clock.pendingTimers(),
    replies,
    failuresAtSettle,
  };
}
