/**
 * Periodic DHT upkeep on the injected clock: sweep expired values, replicate held values to the current
 * k closest (hourly, Kademlia), republish our own values, refresh idle buckets with targets inside each
 * bucket's own range, and rejoin when the routing table ran empty.
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import type { DHTCommunity } from './dht-community.js';
import type { ValueRecord } from './storage/value-record.js';
import type { ValueOps } from './value-ops.js';

/** Most keys replicated per maintenance tick, so a node holding many values spreads the work. */
const MAX_KEYS_PER_TICK = 64;

/** Runs the DHT's periodic tasks. */
export class Maintenance {
  private timer: TimerHandle | undefined;
  private first: TimerHandle | undefined;
  private running = false;

  /** @param dht the owner. @param ops its value operations (for republishing). */
  constructor(
    private readonly dht: DHTCommunity,
    private readonly ops: ValueOps,
  ) {}

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
      dht.store.sweep();
      if (dht.routingTable.size === 0) {
        if (dht.discovery.bootstrap.length > 0) await dht.bootstrap();
        return;
      }
      await this.republish();
      await this.replicate();
      await this.refresh();
    } catch {
      // a failed round is retried on the next tick; counted through the lookups' own statistics
    } finally {
      this.running = false;
    }
  }

  private async republish(): Promise<void> {
    const dht = this.dht;
    const now = dht.context.clock.now();
    for (const [id, p] of this.ops.published) {
      if (p.expiresAt <= now) {
        this.ops.published.delete(id);
        continue;
      }
      if (now - p.lastPublished < dht.settings.republishIntervalMs) continue;
      p.lastPublished = now;
      dht.statistics.republications++;
      await this.ops.replicate(p.record.key, [p]).catch(() => 0);
    }
  }

  private async replicate(): Promise<void> {
    const dht = this.dht;
    const now = dht.context.clock.now();
    const due = dht.store.entriesDueForReplication(now, dht.settings.replicateIntervalMs);
    const byKey = new Map<string, { key: Uint8Array; records: Array<{ record: ValueRecord; expiresAt: number }> }>();
    for (const e of due) {
      const hex = toHex(e.record.key);
      const group = byKey.get(hex) ?? { key: e.record.key, records: [] };
      group.records.push({ record: e.record, expiresAt: e.expiresAt });
      byKey.set(hex, group);
    }
    let done = 0;
    for (const group of byKey.values()) {
      if (done++ >= MAX_KEYS_PER_TICK || !dht.isRunning) break;
      for (const r of group.records) dht.store.markReplicated(r, now);
      dht.statistics.replications++;
      await this.ops.replicate(group.key, group.records).catch(() => 0);
    }
  }

  private async refresh(): Promise<void> {
    const dht = this.dht;
    for (const target of dht.routingTable.staleBuckets()) {
      if (!dht.isRunning) return;
      dht.routingTable.markRefreshed(target.target);
      dht.statistics.refreshes++;
      await dht.lookup(target.target, false).catch(() => undefined);
    }
  }
}
