/**
 * Rejoining when the routing table is empty: at start and whenever the table runs empty (also during a
 * join that reached a node and lost it), a full join at once (its pings in rounds on `JOIN_PING_BACKOFF`); while the table stays empty after that, one ping round
 * at a time on {@link REJOIN_BACKOFF} (about 10, 15, 22.5, 34, 51 s, then one every 60 s), so a node alone
 * on a network sends about one ping per bootstrap address a minute, and a node that lost its contacts
 * does not wait for the next maintenance tick.
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import type { BackoffOptions } from '../../framework/time/backoff.js';
import { Backoff } from '../../framework/time/backoff.js';
import { JOIN_PING_ROUNDS } from './join-pings.js';

/** Delays between single-round rejoins after a join found nobody: 10 s, then times 1.5 up to 60 s, ± 20 %. */
export const REJOIN_BACKOFF: BackoffOptions = { firstDelayMs: 10_000, factor: 1.5, maxDelayMs: 60_000, jitter: 0.2 };

/** What rejoining needs of its DHT. */
export interface RejoinHost {
  /** The routing table: its size, and its `peer:removed` event (the table may have run empty). */
  readonly routingTable: {
    readonly size: number;
    on(event: 'peer:removed', fn: () => void): unknown;
    off(event: 'peer:removed', fn: () => void): unknown;
  };
  /** The node's randomness (the jitter). */
  readonly context: { readonly random: { float(): number } };
  /** The bootstrap addresses. */
  readonly discovery: { readonly bootstrap: readonly Address[] };
  /** True while running. */
  readonly isRunning: boolean;
  /** Joins through the bootstrap addresses with at most `rounds` ping rounds; resolves with the table size. */
  join(rounds: number): Promise<number>;
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
}

/** Counters of {@link Rejoin}. */
export interface RejoinStats {
  /** Joins started (at start, and each time the table ran empty). */
  joins: number;
  /** Single-round rejoins while the table stayed empty. */
  retries: number;
}

/** Keeps a DHT joined: see the module comment. */
export class Rejoin {
  /** Live counters. */
  readonly stats: RejoinStats = { joins: 0, retries: 0 };
  private readonly backoff: Backoff;
  private timer: TimerHandle | undefined;
  private joining = false;
  /** The table ran empty while a join was running (it reached a node, then lost it). */
  private emptiedWhileJoining = false;
  private active = false;
  private readonly onRemoved = (): void => {
    if (this.host.routingTable.size > 0) return;
    if (this.joining) this.emptiedWhileJoining = true;
    else this.check();
  };

  /** @param host the DHT, through what rejoining needs of it. */
  constructor(private readonly host: RejoinHost) {
    this.backoff = new Backoff(host.context.random, REJOIN_BACKOFF);
  }

  /** Starts watching the table, and joins now when it is empty and bootstrap addresses are known. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.host.routingTable.on('peer:removed', this.onRemoved);
    this.check();
  }

  /** Stops watching and cancels a scheduled rejoin. */
  stop(): void {
    this.active = false;
    this.host.routingTable.off('peer:removed', this.onRemoved);
    this.host.cancel(this.timer);
    this.timer = undefined;
    this.emptiedWhileJoining = false;
    this.backoff.reset();
  }

  /** Joins at once when the table is empty and no join is running or scheduled (the maintenance tick calls this too). */
  check(): void {
    if (this.timer !== undefined || this.joining || this.host.routingTable.size > 0) return;
    this.backoff.reset();
    void this.run(JOIN_PING_ROUNDS);
  }

  private async run(rounds: number): Promise<void> {
    const host = this.host;
    if (!this.active || !host.isRunning || host.discovery.bootstrap.length === 0) return;
    this.joining = true;
    this.emptiedWhileJoining = false;
    if (rounds === JOIN_PING_ROUNDS) this.stats.joins++;
    else this.stats.retries++;
    try {
      await host.join(rounds);
    } catch {
      // counted through the join's own pings and lookups; the table decides what happens next
    } finally {
      this.joining = false;
    }
    if (!this.active || !host.isRunning) return;
    if (host.routingTable.size > 0) {
      this.backoff.reset();
      return;
    }
    // It reached a node and lost it while joining (say its only contact was evicted after lost answers):
    // the table ran empty, so join again at once, as when it runs empty later.
    if (this.emptiedWhileJoining) {
      this.emptiedWhileJoining = false;
      return void this.run(JOIN_PING_ROUNDS);
    }
    this.timer = host.after(this.backoff.next(), () => {
      this.timer = undefined;
      void this.run(1);
    });
  }
}
