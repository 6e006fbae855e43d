/**
 * Write-through persistence of the DHT's values: every value the node accepts (a store or cache from
 * another node, or one it publishes itself) is written to the {@link StateDb} before the node acknowledges
 * it, reloaded into the DHT's value store at startup with its remaining lifetime, and swept from disk once
 * expired.
 * @module
 */
import type { Clock, Logger, TimerHandle } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import type { DHTCommunity, StoredValue } from '../../communities/dht/index.js';
import { recordId } from '../../communities/dht/index.js';
import type { PersistedValue, StateDb } from './state-db.js';

/** How often expired values are swept from disk, in ms. */
export const SWEEP_INTERVAL_MS = 60_000;

/** What {@link ValuePersistence.restore} found on disk. */
export interface RestoreReport {
  /** Values put back into the DHT's store. */
  readonly restored: number;
  /** Values that had expired meanwhile (removed from disk). */
  readonly expired: number;
  /** Values the store refused (corrupt, or over a cap); left to the next sweep of their key. */
  readonly refused: number;
  /** Highest version among this node's own signed values (0 if none), so new versions stay above it. */
  readonly lastOwnVersion: number;
}

/** Keeps the DHT's value store and the state database in step. */
export class ValuePersistence {
  private timer: TimerHandle | undefined;
  private readonly onStored = (key: Uint8Array): void => {
    this.persistKey(key);
  };

  /**
   * @param dht the node's DHT.
   * @param db the state database.
   * @param clock the node's clock (expiry and the sweep timer).
   * @param logger where write failures are reported.
   */
  constructor(
    private readonly dht: DHTCommunity,
    private readonly db: StateDb,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads the values on disk into the DHT's store with their remaining lifetime. Call before the node
   * starts answering.
   */
  restore(): RestoreReport {
    const now = this.clock.now();
    const ownKey = toHex(this.dht.context.key.publicKey.toBinary());
    let restored = 0;
    let expired = 0;
    let refused = 0;
    let lastOwnVersion = 0;
    for (const v of this.db.entries()) {
      if (!(v.expiresAt > now)) {
        expired++;
        continue;
      }
      const record = {
        key: new Uint8Array(v.key),
        data: new Uint8Array(v.data),
        publicKey: v.publicKey == null ? undefined : new Uint8Array(v.publicKey),
        version: v.version,
        signature: v.signature == null ? undefined : new Uint8Array(v.signature),
      };
      const verdict = this.dht.store.put(record, v.expiresAt - now, v.origin);
      if (verdict === 'stored' || verdict === 'refreshed' || verdict === 'updated') restored++;
      else refused++;
      if (v.origin === 'local' && record.publicKey !== undefined && toHex(record.publicKey) === ownKey) {
        lastOwnVersion = Math.max(lastOwnVersion, v.version);
      }
    }
    if (expired > 0) this.db.sweep(now);
    return { restored, expired, refused, lastOwnVersion };
  }

  /** Starts writing through every accepted value and sweeping expired ones. Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    this.dht.on('value:stored', this.onStored);
    this.timer = this.clock.setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
  }

  /** Stops both. Idempotent. */
  stop(): void {
    this.dht.off('value:stored', this.onStored);
    this.clock.clear(this.timer);
    this.timer = undefined;
  }

  /**
   * Writes what the DHT's store holds under `key` now (live values only) to disk, replacing what was there.
   * Never throws: a failed write is logged, and the node carries on serving from memory.
   * @returns true if written.
   */
  persistKey(key: Uint8Array): boolean {
    try {
      const now = this.clock.now();
      this.db.replaceKey(toHex(key), this.dht.store.get(key, now).map(toPersisted));
      return true;
    } catch (error) {
      this.logger.warn('cannot persist a value', { key: toHex(key), error: (error as Error).message });
      return false;
    }
  }

  /**
   * Removes expired values from disk (the DHT's maintenance sweeps them from memory).
   * @returns how many were removed; 0 when the sweep failed (logged).
   */
  sweep(): number {
    try {
      return this.db.sweep(this.clock.now());
    } catch (error) {
      this.logger.warn('cannot sweep expired values', { error: (error as Error).message });
      return 0;
    }
  }
}

function toPersisted(s: StoredValue): PersistedValue {
  const { key, data, publicKey, version, signature } = s.record;
  return { key, data, publicKey, version, signature, expiresAt: s.expiresAt, origin: s.origin, id: recordId(s.record) };
}
