/**
 * Keeps one relay allocation while a node needs one, trying candidate relays with backoff.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { addressKey } from '../endpoint/address.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { RelayAllocation } from './relay-client-settings.js';
import { positiveSetting } from './relay-settings.js';

/** The part of a {@link RelayClient} a keeper uses. */
export interface RelayAllocator {
  /** The allocation held now, if any. */
  readonly allocation: RelayAllocation | undefined;
  /** Asks `relay` for an allocation; rejects when it cannot have one. */
  allocate(relay: Address, options?: { signal?: AbortSignal }): Promise<RelayAllocation>;
  /** Gives the allocation back. */
  release(): void;
  /** Calls `listener` on every change of the allocation; returns a function that removes it. */
  onAllocationChange(listener: (allocation: RelayAllocation | undefined) => void): () => void;
}

/** What the node tells a {@link RelayKeeper}. */
export interface RelayKeeperCallbacks {
  /** True while the node cannot be reached directly (e.g. its NAT maps ports per destination). */
  needsRelay(): boolean;
  /** Public nodes to ask, best first (e.g. routing-table contacts); those that run no relay never answer. */
  candidates(): readonly Address[];
  /** The relayed address to advertise, or `undefined` when the node holds none (any more). */
  onAllocation(address: Address | undefined): void;
}

/** Options of a {@link RelayKeeper}. */
export interface RelayKeeperOptions {
  /** How often the keeper checks whether an allocation is needed, in ms. @default 5_000 */
  checkIntervalMs?: number;
  /** Candidates tried in one round before backing off. @default 3 */
  candidatesPerRound?: number;
  /** Wait after the first round that found no relay, in ms; it doubles after each further one. @default 5_000 */
  backoffMs?: number;
  /** Longest wait between rounds, in ms. @default 300_000 */
  maxBackoffMs?: number;
}

/** Counters of a {@link RelayKeeper}. */
export interface RelayKeeperStats {
  /** Rounds of tries started. */
  rounds: number;
  /** Candidates asked. */
  tries: number;
  /** Candidates that refused or did not answer. */
  failures: number;
  /** Allocations obtained. */
  allocations: number;
}

/**
 * Holds one allocation while `needsRelay()` says so: each check without one asks up to
 * `candidatesPerRound` candidates in turn (continuing where the last round stopped), backs off
 * exponentially after a round that found none, releases the allocation when it is no longer needed, and
 * starts again at once when the client loses it. Every change reaches `onAllocation`.
 *
 * @example
 * ```ts
 * const keeper = new RelayKeeper(client, clock, {
 *   needsRelay: () => nat.isSymmetric,
 *   candidates: () => dht.contacts().map((c) => c.address),
 *   onAllocation: (address) => discovery.setRelayAddress(address),
 * });
 * keeper.start();
 * ```
 */
export class RelayKeeper {
  /** Live counters. */
  readonly stats: Readonly<RelayKeeperStats>;

  private readonly counters: RelayKeeperStats = { rounds: 0, tries: 0, failures: 0, allocations: 0 };
  private readonly intervalMs: number;
  private readonly perRound: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private timer: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;
  private abort: AbortController | undefined;
  private backoffMs = 0;
  private nextRoundAt = 0;
  private cursor = 0;
  private announced: string | undefined;

  /**
   * @param client the node's relay client.
   * @param clock times checks and backoff.
   * @param callbacks what the node decides and learns.
   * @param options timings; see {@link RelayKeeperOptions}.
   * @throws `InvalidArgumentError` when an option is not a positive integer.
   */
  constructor(
    private readonly client: RelayAllocator,
    private readonly clock: Clock,
    private readonly callbacks: RelayKeeperCallbacks,
    options: RelayKeeperOptions = {},
  ) {
    this.intervalMs = positiveSetting('relay keeper', 'checkIntervalMs', options.checkIntervalMs ?? 5_000);
    this.perRound = positiveSetting('relay keeper', 'candidatesPerRound', options.candidatesPerRound ?? 3);
    this.baseBackoffMs = positiveSetting('relay keeper', 'backoffMs', options.backoffMs ?? 5_000);
    this.maxBackoffMs = positiveSetting('relay keeper', 'maxBackoffMs', options.maxBackoffMs ?? 300_000);
    this.stats = this.counters;
  }

  /** True while a round of tries is under way. */
  get trying(): boolean {
    return this.abort !== undefined;
  }

  /** Starts checking (the first check runs now). Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    this.unsubscribe = this.client.onAllocationChange((allocation) => this.changed(allocation));
    this.timer = this.clock.setInterval(() => this.check(), this.intervalMs);
    this.check();
  }

  /** Stops checking, cancels a round under way and releases the allocation. Idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    this.clock.clear(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    this.abort = undefined;
    this.client.release();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.changed(undefined);
  }

  /** Does what the node needs now: release an allocation it no longer needs, or look for one. */
  check(): void {
    if (this.timer === undefined || this.abort !== undefined) return;
    const needed = this.callbacks.needsRelay();
    if (!needed) {
      if (this.client.allocation !== undefined) this.client.release();
      this.backoffMs = 0;
      this.nextRoundAt = 0;
      return;
    }
    if (this.client.allocation !== undefined || this.clock.now() < this.nextRoundAt) return;
    void this.round();
  }

  private async round(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.counters.rounds++;
    const all = this.callbacks.candidates();
    const tries = Math.min(this.perRound, all.length);
    let got = false;
    for (let i = 0; i < tries && !abort.signal.aborted; i++) {
      const relay = all[(this.cursor + i) % all.length]!;
      this.counters.tries++;
      try {
        await this.client.allocate(relay, { signal: abort.signal });
        got = true;
        this.cursor = (this.cursor + i) % all.length; // the next round starts at the relay that worked
        break;
      } catch {
        this.counters.failures++;
      }
    }
    if (this.abort !== abort) return; // stopped meanwhile
    this.abort = undefined;
    if (got) {
      this.counters.allocations++;
      this.backoffMs = 0;
      this.nextRoundAt = 0;
      if (!this.callbacks.needsRelay()) this.client.release();
      return;
    }
    this.cursor = all.length === 0 ? 0 : (this.cursor + tries) % all.length;
    this.backoffMs = this.backoffMs === 0 ? this.baseBackoffMs : Math.min(this.maxBackoffMs, this.backoffMs * 2);
    this.nextRoundAt = this.clock.now() + this.backoffMs;
  }

  private changed(allocation: RelayAllocation | undefined): void {
    const key = allocation === undefined ? undefined : addressKey(allocation.address);
    if (key === this.announced) return;
    this.announced = key;
    this.callbacks.onAllocation(allocation?.address);
    if (allocation === undefined) this.check(); // lost: look for another at once
  }
}
