/**
 * Periodic bag upkeep on the injected clock: sweep expired records, republish our own entries (re-signed
 * with a new version and expiry) before they expire, and replicate held records to the current k
 * closest nodes once per `replicateIntervalMs`, as Kademlia storers do.
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import type { BagCommunity } from './community.js';
import type { Publisher } from './publish.js';
import { publishedId } from './publish.js';
import type { BagRecord } from './record.js';

/** Most keys replicated per tick, so a node holding many keys spreads the work. */
const MAX_KEYS_PER_TICK = 32;

/**
 * How long before expiry an entry is republished: a quarter of its lifetime, but at least two upkeep
 * intervals so one failed round can be retried.
 */
export function republishMarginMs(ttlMs: number, maintenanceIntervalMs: number): number {
  return Math.max(Math.floor(ttlMs / 4), 2 * maintenanceIntervalMs);
}

/** Runs the bag's periodic tasks. */
export class BagMaintenance {
  private first: TimerHandle | undefined;
  private timer: TimerHandle | undefined;
  private busy = false;

  /** @param bag the owner. @param publisher its publishing side. */
  constructor(
    private readonly bag: BagCommunity,
    private readonly publisher: Publisher,
  ) {}

  /** Starts the tick, first at a random offset so nodes started together do not tick together. */
  start(): void {
    const interval = this.bag.settings.maintenanceIntervalMs;
    this.first = this.bag.after(1 + this.bag.context.random.int(interval), () => {
      this.first = undefined;
      void this.tick();
      this.timer = this.bag.every(interval, () => void this.tick());
    });
  }

  /** Stops the tick. */
  stop(): void {
    this.bag.cancel(this.first);
    this.bag.cancel(this.timer);
    this.first = undefined;
    this.timer = undefined;
  }

  /** One round of upkeep; skipped while the previous one still runs. Failures are retried next round. */
  async tick(): Promise<void> {
    if (this.busy || !this.bag.isRunning) return;
    this.busy = true;
    try {
      this.bag.statistics.expired += this.bag.store.sweep(this.bag.now());
      if (this.bag.dht.routingTable.size === 0) return;
      await this.republish();
      await this.replicate();
    } finally {
      this.busy = false;
    }
  }

  private async republish(): Promise<void> {
    const bag = this.bag;
    const now = bag.now();
    const byKey = new Map<string, { key: Uint8Array; records: BagRecord[] }>();
    for (const p of this.publisher.published.values()) {
      if (p.record.expiresAt - now > republishMarginMs(p.ttlMs, bag.settings.maintenanceIntervalMs)) continue;
      const fresh = this.publisher.sign(p.record.key, p.record.value, p.ttlMs, false);
      const group = byKey.get(toHex(fresh.key)) ?? { key: fresh.key, records: [] };
      group.records.push(fresh);
      byKey.set(toHex(fresh.key), group);
    }
    for (const { key, records } of byKey.values()) {
      if (!bag.isRunning) return;
      const outcome = await this.publisher.storeRecords(key, records).catch(() => undefined);
      if (outcome === undefined || outcome.stored === 0) continue; // keep the old record; retry next round
      for (const r of records) {
        const id = publishedId(r);
        const p = this.publisher.published.get(id);
        if (p !== undefined) this.publisher.published.set(id, { record: r, ttlMs: p.ttlMs });
      }
      bag.statistics.republications += records.length;
    }
  }

  private async replicate(): Promise<void> {
    const bag = this.bag;
    const now = bag.now();
    const due = bag.store.dueForReplication(now, bag.settings.replicateIntervalMs).slice(0, MAX_KEYS_PER_TICK);
    for (const { key, records } of due) {
      if (!bag.isRunning) return;
      for (const h of records) h.replicatedAt = now;
      bag.statistics.replications++;
      await this.publisher.storeRecords(key, records.map((h) => h.record), undefined, false).catch(() => undefined);
    }
  }
}
