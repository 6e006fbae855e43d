/**
 * Saves the routing table to the state database (shortly after it changes, periodically, and on stop) and
 * loads it back at startup, so a restarted node rejoins without `--bootstrap`.
 * @module
 */
import type { Address, Clock, Logger, TimerHandle } from '../../framework/index.js';
import type { DHTCommunity, SnapshotEntry } from '../../communities/dht/index.js';
import type { StateDb } from './state-db.js';

/** A change to the routing table is saved this long after it (changes in between are saved together), in ms. */
export const ROUTING_SAVE_DELAY_MS = 1_000;
/** The routing table is also saved this often, in ms (contacts' addresses change without add/remove events). */
export const ROUTING_SAVE_INTERVAL_MS = 60_000;

/** Keeps the routing table snapshot on disk. */
export class RoutingPersistence {
  private pending: TimerHandle | undefined;
  private periodic: TimerHandle | undefined;
  private readonly onChange = (): void => {
    this.pending ??= this.clock.setTimeout(() => {
      this.pending = undefined;
      this.save();
    }, ROUTING_SAVE_DELAY_MS);
  };

  /**
   * @param dht the node's DHT.
   * @param db the state database.
   * @param clock the node's clock.
   * @param logger where failures are reported.
   */
  constructor(
    private readonly dht: DHTCommunity,
    private readonly db: StateDb,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads the saved snapshot into the routing table (call before the node starts).
   * @returns the addresses of the contacts loaded, to ping when the node has started; empty when there was
   *   no snapshot or it could not be used (logged).
   */
  restore(): Address[] {
    const saved = this.db.loadRoutingTable();
    if (saved.length === 0) return [];
    try {
      this.dht.routingTable.load(saved as SnapshotEntry[]);
    } catch (error) {
      this.logger.warn('ignoring an unusable routing table snapshot', { error: (error as Error).message });
      return [];
    }
    return this.dht.routingTable.contacts().map((c) => c.address);
  }

  /** Starts saving on changes and periodically. Idempotent. */
  start(): void {
    if (this.periodic !== undefined) return;
    this.dht.on('contact:added', this.onChange);
    this.dht.on('contact:removed', this.onChange);
    this.periodic = this.clock.setInterval(() => this.save(), ROUTING_SAVE_INTERVAL_MS);
  }

  /** Stops saving (without a last save: call {@link RoutingPersistence.save}). Idempotent. */
  stop(): void {
    this.dht.off('contact:added', this.onChange);
    this.dht.off('contact:removed', this.onChange);
    this.clock.clear(this.pending);
    this.clock.clear(this.periodic);
    this.pending = undefined;
    this.periodic = undefined;
  }

  /**
   * Saves the routing table now. Never throws (a failure is logged).
   * @returns the number of contacts saved, or -1 when saving failed.
   */
  save(): number {
    try {
      const snapshot = this.dht.routingTable.snapshot();
      this.db.saveRoutingTable(snapshot);
      return snapshot.length;
    } catch (error) {
      this.logger.warn('cannot save the routing table', { error: (error as Error).message });
      return -1;
    }
  }
}
