/**
 * Periodic namespace upkeep on the injected clock: sweep expired records, republish our own records (the
 * same signed record with a fresh lifetime: an idempotent refresh) before they expire, and replicate held
 * records to the current k closest once per `replicateIntervalMs`.
 * @module
 */
import type { TimerHandle } from '../../framework/index.js';
import type { NamespaceClient } from './client.js';
import type { NamespaceCommunity } from './community.js';

/** Most records replicated per tick. */
const MAX_RECORDS_PER_TICK = 64;

/**
 * How long before expiry a record is refreshed: a quarter of its lifetime, but at least two upkeep
 * intervals so one failed round can be retried.
 */
export function namespaceRepublishMarginMs(ttlMs: number, maintenanceIntervalMs: number): number {
  return Math.max(Math.floor(ttlMs / 4), 2 * maintenanceIntervalMs);
}

/** Runs the namespace's periodic tasks. */
export class NamespaceMaintenance {
  private first: TimerHandle | undefined;
  private timer: TimerHandle | undefined;
  private busy = false;

  /** @param ns the owner. @param client its reading and writing side. */
  constructor(
    private readonly ns: NamespaceCommunity,
    private readonly client: NamespaceClient,
  ) {}

  /** Starts the tick at a random offset. */
  start(): void {
    const interval = this.ns.settings.maintenanceIntervalMs;
    this.first = this.ns.after(1 + this.ns.context.random.int(interval), () => {
      this.first = undefined;
      void this.tick();
      this.timer = this.ns.every(interval, () => void this.tick());
    });
  }

  /** Stops the tick. */
  stop(): void {
    this.ns.cancel(this.first);
    this.ns.cancel(this.timer);
    this.first = undefined;
    this.timer = undefined;
  }

  /** One round of upkeep; skipped while the previous one still runs. */
  async tick(): Promise<void> {
    if (this.busy || !this.ns.isRunning) return;
    this.busy = true;
    try {
      this.ns.statistics.expired += this.ns.store.sweep(this.ns.now());
      if (this.ns.dht.routingTable.size === 0) return;
      await this.republish();
      await this.replicate();
    } finally {
      this.busy = false;
    }
  }

  private async republish(): Promise<void> {
    const ns = this.ns;
    for (const [hex, p] of [...this.client.published]) {
      const now = ns.now();
      if (!ns.isRunning) return;
      if (p.expiresAt - now > namespaceRepublishMarginMs(p.ttlMs, ns.settings.maintenanceIntervalMs)) continue;
      const location = ns.locationOf(p.record);
      const nodes = await ns.closestNodes(location).catch(() => []);
      if (nodes.length === 0) continue;
      const outcome = await this.client.putOn(nodes, location, p.record, p.ttlMs, undefined).catch(() => undefined);
      if (outcome === undefined) continue;
      if (outcome.stored > 0) {
        p.expiresAt = now + p.ttlMs;
        ns.statistics.republications++;
      } else if ((outcome.verdicts['stale-seq'] ?? 0) > 0) {
        this.client.published.delete(hex); // superseded by a higher seq written elsewhere with our key
      }
    }
  }

  private async replicate(): Promise<void> {
    const ns = this.ns;
    const now = ns.now();
    for (const held of ns.store.dueForReplication(now, ns.settings.replicateIntervalMs).slice(0, MAX_RECORDS_PER_TICK)) {
      if (!ns.isRunning) return;
      held.replicatedAt = now;
      ns.statistics.replications++;
      const nodes = await ns.closestNodes(held.location).catch(() => []);
      const ttl = held.expiresAt - ns.now();
      if (ttl <= 0) continue;
      await this.client.putOn(nodes, held.location, held.record, ttl, undefined).catch(() => undefined);
    }
  }
}
