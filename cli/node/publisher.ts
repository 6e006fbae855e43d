/**
 * How the CLI node publishes its own values: it keeps each one in its own store as a `local` value first
 * (written to disk by the record engine before anything is sent, and offered again by every replication
 * round, across restarts), then stores it on the k closest nodes.
 * @module
 */
import type { DHTCommunity, ValueRecord } from '../../communities/dht/index.js';
import { DHTError, signRecord, unsignedRecord } from '../../communities/dht/index.js';

/** Options of {@link Publisher.publish}. */
export interface PublishOptions {
  /** Sign the value with the node's key. @default false */
  sign?: boolean;
  /** Lifetime in ms. @default the DHT's `defaultTtlMs` */
  ttlMs?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
}

/** What {@link Publisher.publish} did. */
export interface PublishResult {
  /** The record published. */
  readonly record: ValueRecord;
  /**
   * Other nodes that acknowledged it; `0` when this node knows no other node yet, so the value is held
   * only here (and offered to the k closest by a replication round once other nodes are known).
   */
  readonly acks: number;
  /** When it expires, in ms since the epoch. */
  readonly expiresAt: number;
}

/** Publishes this node's own values. */
export class Publisher {
  private lastVersion: number;

  /**
   * @param dht the node's DHT.
   * @param lastVersion the highest version this node signed before (restored from disk), so new versions stay above it.
   */
  constructor(
    private readonly dht: DHTCommunity,
    lastVersion = 0,
  ) {
    this.lastVersion = lastVersion;
  }

  /**
   * Keeps `data` under `key` here, then stores it on the k closest nodes; on a node that knows no other
   * node yet, only here (`acks` 0).
   * @throws {@link DHTError} `too-large`, `invalid-ttl`, `stopped` before anything is sent; `no-nodes` when
   *   other nodes are known but none acknowledged it (this node still holds it and offers it again on its
   *   next replication round); `rejected` when every node that answered refused it.
   */
  async publish(key: Uint8Array, data: Uint8Array, options: PublishOptions = {}): Promise<PublishResult> {
    const dht = this.dht;
    const max = dht.settings.maxDataBytes;
    if (data.length > max) throw new DHTError(`value of ${data.length} bytes exceeds the maximum of ${max} bytes`, 'too-large');
    const ttlMs = options.ttlMs ?? dht.settings.defaultTtlMs;
    if (!(Number.isSafeInteger(ttlMs) && ttlMs > 0) || ttlMs > dht.settings.maxTtlMs) {
      throw new DHTError(`ttlMs must be in (0, ${dht.settings.maxTtlMs}] ms, got ${options.ttlMs}`, 'invalid-ttl');
    }
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    const now = dht.context.clock.now();
    const record = options.sign === true ? signRecord(dht.context.key, key, data, this.nextVersion(now)) : unsignedRecord(key, data);
    const verdict = dht.store.put(record, ttlMs, { origin: 'local' });
    if (verdict !== 'stored' && verdict !== 'updated' && verdict !== 'refreshed') {
      throw new DHTError(`this node's own store refused the value: ${verdict}`, verdict === 'too-large' ? 'too-large' : 'rejected');
    }
    const expiresAt = now + ttlMs;
    try {
      const acks = await dht.storeRecord(record, { ttlMs, signal: options.signal, republish: false });
      return { record, acks, expiresAt };
    } catch (error) {
      if (error instanceof DHTError && error.reason === 'no-nodes') {
        throw new DHTError('no other node acknowledged the value; this node holds it and offers it again on its next replication round', 'no-nodes');
      }
      throw error;
    }
  }

  private nextVersion(now: number): number {
    this.lastVersion = Math.max(Math.floor(now), this.lastVersion + 1);
    return this.lastVersion;
  }
}
