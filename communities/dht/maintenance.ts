/**
 * Periodic routing upkeep on the injected clock: refresh idle buckets with targets inside each bucket's own
 * range; and the join at start and the rejoin when the routing table runs empty, without waiting for a tick
 * (`rejoin.ts`). (Values have their own upkeep in the record engine.)
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import { joinNetwork } from './join.js';
import type { JoinHost } from './join.js';
import { JOIN_PING_ROUNDS } from './join-pings.js';
import { Rejoin } from './rejoin.js';
import type { RejoinStats } from './rejoin.js';

/** What the routing upkeep needs of its DHT: what a join needs, and the few members below. */
export interface MaintenanceHost extends JoinHost {
  /** Counters. */
  readonly statistics: { refreshes: number };
  /** The bootstrap addresses. */
  readonly discovery: { readonly bootstrap: readonly Address[] };
  /** The full join through the bootstrap addresses (shared with a join already running). */
  bootstrap(): Promise<number>;
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  every(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
}

/** Runs the DHT's periodic routing tasks. */
export class Maintenance {
  private timer: TimerHandle | undefined;
  private first: TimerHandle | undefined;
  private running = false;
  private readonly rejoin: Rejoin;

  /** @param dht the owner, through what the upkeep needs of it. */
  constructor(private readonly dht: MaintenanceHost) {
    this.rejoin = new Rejoin({
      routingTable: dht.routingTable,
      context: dht.context,
      discovery: dht.discovery,
      get isRunning() {
        return dht.isRunning;
      },
      join: (rounds) => (rounds >= JOIN_PING_ROUNDS ? dht.bootstrap() : joinNetwork(dht, dht.discovery.bootstrap, undefined, rounds)),
      after: (ms, fn) => dht.after(ms, fn),
      cancel: (handle) => dht.cancel(handle),
    });
  }

  /** Joins and rejoins (see `rejoin.ts`): counters. */
  get rejoinStats(): Readonly<RejoinStats> {
    return this.rejoin.stats;
  }

  /**
   * Starts the tick, first at a random offset so nodes started together do not tick together, and the
   * join (now, when bootstrap addresses are known) and rejoins.
   */
  start(): void {
    const interval = this.dht.settings.maintenanceIntervalMs;
    const offset = 1 + this.dht.context.random.int(interval);
    this.first = this.dht.after(offset, () => {
      this.first = undefined;
      void this.tick();
      this.timer = this.dht.every(interval, () => void this.tick());
    });
    this.rejoin.start(); // after the offset's draw: the join at start draws what it always drew, in order
  }

  /** Stops the tick (the community's stop also clears its timers). */
  stop(): void {
    this.rejoin.stop();
    this.dht.cancel(this.first);
    this.dht.cancel(this.timer);
    this.first = undefined;
    this.timer = undefined;
  }

  /** One round of upkeep. Skipped if the previous round is still running. */
  async tick(): Promise<void> {
    if (this.running || !this.dht.isRunning) return;
    this.running = true;
    try {
      const dht = this.dht;
      if (dht.routingTable.size === 0) {
        this.rejoin.check(); // normally already joining or scheduled
        return;
      }
      for (const target of dht.routingTable.staleBuckets()) {
        if (!dht.isRunning) return;
        dht.routingTable.markRefreshed(target.target);
        dht.statistics.refreshes++;
        await dht.lookup(target.target, false, { kind: 'refresh' }).catch(() => undefined);
      }
    } catch {
      // a failed round is retried on the next tick; counted through the lookups' own statistics
    } finally {
      this.running = false;
    }
  }
}
