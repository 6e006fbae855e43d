/**
 * Periodic routing upkeep on the injected clock: refresh idle buckets with targets inside each bucket's own
 * range, and rejoin when the routing table ran empty. (Values have their own upkeep in the record engine.)
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import type { RoutingTable } from './routing/routing-table.js';

/** What the routing upkeep needs of its DHT. */
export interface MaintenanceHost {
  /** Settings (the upkeep interval). */
  readonly settings: { readonly maintenanceIntervalMs: number };
  /** The routing table. */
  readonly routingTable: RoutingTable;
  /** Counters. */
  readonly statistics: { refreshes: number };
  /** The node's randomness. */
  readonly context: { readonly random: { int(n: number): number } };
  /** The bootstrap addresses. */
  readonly discovery: { readonly bootstrap: readonly Address[] };
  /** True while running. */
  readonly isRunning: boolean;
  /** Joins the network. */
  bootstrap(): Promise<number>;
  /** One node lookup. */
  lookup(target: Uint8Array, values: false, options: { kind: 'refresh' }): Promise<unknown>;
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

  /** @param dht the owner, through what the upkeep needs of it. */
  constructor(private readonly dht: MaintenanceHost) {}

  /** Starts the tick, first at a random offset so nodes started together do not tick together. */
  start(): void {
    const interval = this.dht.settings.maintenanceIntervalMs;
    const offset = 1 + this.dht.context.random.int(interval);
    this.first = this.dht.after(offset, () => {
      this.first = undefined;
      void this.tick();
      this.timer = this.dht.every(interval, () => void this.tick());
    });
  }

  /** Stops the tick (the community's stop also clears its timers). */
  stop(): void {
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
        if (dht.discovery.bootstrap.length > 0) await dht.bootstrap();
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
