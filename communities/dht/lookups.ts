/**
 * The DHT's lookups as it runs them: seeded with the routing table's closest contacts, with the DHT's k,
 * alpha, disjoint paths and soft timeouts, traced when someone listens, counted, aborted when the DHT stops.
 * One place for the DHT's own lookups and for those other communities run with a query of their own.
 * @module
 */
import { InvalidArgumentError, toHex } from '../../framework/index.js';
import type { TimerHandle } from '../../framework/index.js';
import { DHTError } from './errors.js';
import { compareDistance } from './routing/node-id.js';
import type { LookupPeer, LookupResult, QueryReply } from './lookup.js';
import { disjointLookup } from './lookup.js';
import type { LookupEvent, LookupFinishedEvent, LookupKind, LookupListener } from './lookup-events.js';
import { LookupTracer } from './lookup-tracer.js';
import type { TracedReply } from './lookup-tracer.js';
import { lookupSelector } from './lookup-selector.js';
import type { LookupSelectorSettings } from './lookup-selector.js';
import type { SetSelector } from './routing/diverse-set.js';

/** What the lookups need of their DHT. */
export interface LookupsHost {
  /** Our node id. */
  readonly nodeId: Uint8Array;
  /** k, alpha and the default number of disjoint paths. */
  readonly settings: { readonly bucketSize: number; readonly alpha: number; readonly disjointPaths: number; readonly rttSlackBits: number } & LookupSelectorSettings;
  /** The routing table's closest contacts. */
  readonly routingTable: { readonly size: number; closest(target: Uint8Array, n: number): ReadonlyArray<{ readonly id: Uint8Array; readonly address: LookupPeer['address'] }> };
  /** Soft timeouts from measured round-trip times. */
  readonly rtt: { softTimeoutMs(idHex: string): number; rtt(idHex: string): number | undefined };
  /** Counters. */
  readonly statistics: { disjointLookups: number; recordLookup(hops: number, queries: number): void };
  /** The node's clock. */
  readonly context: { readonly clock: { now(): number } };
  /** True while the DHT runs. */
  readonly isRunning: boolean;
  /** Timers the DHT's stop clears. */
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
  /** Listeners of the DHT's lookup events. */
  listenerCount(event: 'lookup' | 'lookup:finished'): number;
  /** Emits a lookup event to the DHT's listeners. */
  emitLookup(event: LookupEvent): void;
  /** Emits a lookup's summary to the DHT's `lookup:finished` listeners. */
  emitFinished(event: LookupFinishedEvent): void;
  /** Maps framework errors (aborts) to DHT errors. */
  wrap(error: unknown): Error;
}

/** One lookup to run. */
export interface LookupRun<R> {
  /** Asks one node. */
  query(peer: LookupPeer): Promise<R>;
  /** What it is for, in its events. */
  readonly kind: LookupKind;
  /** Receives its events. */
  readonly onEvent?: LookupListener | undefined;
  /** Disjoint paths. @default the DHT's `disjointPaths` */
  readonly paths?: number | undefined;
  /** Cancels it. */
  readonly signal?: AbortSignal | undefined;
  /** Ends it early given the answers that carried something (and the suspect ids, see `LookupOptions.isDone`). */
  readonly isDone?: ((found: ReadonlyArray<import('./lookup.js').Answered<R>>, suspects: ReadonlySet<string>) => boolean) | undefined;
  /** See `LookupOptions.quorum`. */
  readonly quorum?: number | undefined;
  /** The caller's timers for the soft timeouts. @default the DHT's */
  readonly schedule?: ((ms: number, fn: () => void) => TimerHandle) | undefined;
  /** Cancels a timer of `schedule`. */
  readonly cancel?: ((handle: TimerHandle) => void) | undefined;
  /** Nodes to start from besides the routing table's closest contacts (see {@link withSeeds}). */
  readonly seeds?: readonly LookupPeer[] | undefined;
}

/** The DHT's lookups. */
export class Lookups {
  /**
   * One controller per lookup in flight, aborted by `abortAll` (the DHT's stop) so those lookups end with
   * `stopped` instead of scheduling on a stopped node. (Not one shared signal: dozens of concurrent lookups
   * listening on one `AbortSignal` make Node warn about a listener leak.)
   */
  private readonly inFlight = new Set<AbortController>();
  /** Lookups traced so far (their events' `lookupId`). */
  private traced = 0;
  /** Chooses each lookup's window and result (IP-group caps, dense clusters; see `lookup-selector.ts`). */
  private readonly select: SetSelector;

  /** @param host the DHT, through what its lookups need. */
  constructor(private readonly host: LookupsHost) {
    this.select = lookupSelector(host);
  }

  /**
   * Runs one lookup toward `target`.
   * @throws {@link DHTError} `no-nodes` when the routing table is empty; `aborted`; `stopped`.
   *   `InvalidArgumentError` for a bad `paths`.
   */
  async run<R extends TracedReply & QueryReply<unknown>>(target: Uint8Array, o: LookupRun<R>): Promise<LookupResult<R>> {
    const host = this.host;
    const paths = o.paths ?? host.settings.disjointPaths;
    if (!host.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    if (!Number.isInteger(paths) || paths < 1) throw new InvalidArgumentError(`paths must be an integer >= 1, got ${paths}`);
    const tracer = this.tracer<R>(o.kind, target, o.onEvent);
    const k = host.settings.bucketSize;
    const seeds = withSeeds(target, host.routingTable.closest(target, k * paths).map((c) => ({ id: c.id, address: c.address })), o.seeds);
    if (seeds.length === 0) {
      const error = new DHTError('the routing table is empty: no node to ask (bootstrap first)', 'no-nodes');
      tracer?.finish(undefined, error);
      throw error;
    }
    tracer?.start(paths, seeds.length);
    const linked = new AbortController();
    const abort = (): void => linked.abort();
    if (o.signal?.aborted === true) abort();
    o.signal?.addEventListener('abort', abort, { once: true });
    this.inFlight.add(linked);
    try {
      const result = await disjointLookup<unknown, R>(
        {
          target,
          selfId: host.nodeId,
          k,
          alpha: host.settings.alpha,
          seeds,
          signal: linked.signal,
          isDone: o.isDone,
          quorum: o.quorum,
          query: (peer) => o.query(peer),
          softTimeoutMs: (peer) => host.rtt.softTimeoutMs(toHex(peer.id)),
          rttMs: host.settings.rttSlackBits >= 0 ? (hex) => host.rtt.rtt(hex) : undefined,
          rttSlackBits: host.settings.rttSlackBits,
          schedule: o.schedule ?? ((ms, fn) => host.after(ms, fn)),
          cancel: o.cancel ?? ((h) => host.cancel(h)),
          observer: tracer?.full === true ? tracer : undefined,
          select: this.select,
        },
        paths,
      );
      if (paths > 1) host.statistics.disjointLookups++;
      host.statistics.recordLookup(result.hops, result.queried);
      tracer?.finish(result);
      return result;
    } catch (error) {
      const wrapped = host.wrap(error);
      tracer?.finish(undefined, wrapped);
      throw wrapped;
    } finally {
      o.signal?.removeEventListener('abort', abort);
      this.inFlight.delete(linked);
    }
  }

  /** Aborts every lookup in flight (the DHT stops). */
  abortAll(): void {
    for (const lookup of this.inFlight) lookup.abort();
    this.inFlight.clear();
  }

  /**
   * A tracer for one lookup when someone listens: every event for `onEvent` or `lookup` listeners, the
   * summary alone for `lookup:finished` listeners; `undefined` (nothing built) when nobody listens.
   */
  private tracer<R extends TracedReply>(kind: LookupKind, target: Uint8Array, onEvent: LookupListener | undefined): LookupTracer<R> | undefined {
    const host = this.host;
    const full = onEvent !== undefined || host.listenerCount('lookup') > 0;
    if (!full && host.listenerCount('lookup:finished') === 0) return undefined;
    const sink = (event: LookupEvent): void => {
      if (full) {
        onEvent?.(event);
        host.emitLookup(event);
      }
      if (event.type === 'finished') host.emitFinished(event);
    };
    return new LookupTracer<R>(sink, () => host.context.clock.now(), ++this.traced, target, kind, full);
  }
}

/**
 * The routing table's seeds and a caller's own (nodes a bulk operation's earlier lookups reached near the
 * target), without repeats, nearest the target first: the lookup starts where the caller's nodes are
 * closer, and still has the table's contacts when they fail.
 */
export function withSeeds(target: Uint8Array, table: readonly LookupPeer[], extra: readonly LookupPeer[] | undefined): LookupPeer[] {
  if (extra === undefined || extra.length === 0) return [...table];
  const byId = new Map<string, LookupPeer>();
  for (const p of [...extra, ...table]) if (!byId.has(toHex(p.id))) byId.set(toHex(p.id), p);
  return [...byId.values()].sort((a, b) => compareDistance(target, a.id, b.id));
}
