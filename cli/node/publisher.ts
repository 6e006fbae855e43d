/**
 * Publishing this node's own values so that they outlive the process: the record is made here, kept in
 * the DHT's own value store as a `local` value (so the node serves it and the DHT's maintenance re-offers
 * it to the current k closest nodes every replication interval), written to disk, and only then stored on
 * the k closest nodes.
 *
 * The record is made here (so it can be held and written first) and published with
 * `DHTCommunity.publishRecord`, the same path `storeValue` takes, without the publisher-side republishing
 * (the DHT's replication of `local` values re-offers it).
 * @module
 */
import type { DHTCommunity, ValueRecord } from '../../communities/dht/index.js';
import { DHTError, signRecord, unsignedRecord } from '../../communities/dht/index.js';
import type { ValuePersistence } from './value-persistence.js';

/** Options of {@link Publisher.publish}. */
export interface PublishOptions {
  /** Sign the value with the node's key (newest version per publisher wins). @default false */
  sign?: boolean;
  /** Lifetime in seconds. @default the DHT's `defaultTtlMs` (24 h) */
  ttl?: number;
  /** Cancels the network part (the value stays held by this node). */
  signal?: AbortSignal;
}

/** What {@link Publisher.publish} did. */
export interface PublishResult {
  /** The record published. */
  readonly record: ValueRecord;
  /** Nodes (other than this one) that acknowledged it. */
  readonly acks: number;
  /** When it expires, ms since the epoch. */
  readonly expiresAt: number;
}

/** Publishes this node's own values. */
export class Publisher {
  private lastVersion: number;

  /**
   * @param dht the node's DHT.
   * @param persistence writes the value to disk (absent for a node without `--state`).
   * @param lastVersion the highest version this node has signed before (from disk). @default 0
   */
  constructor(
    private readonly dht: DHTCommunity,
    private readonly persistence: ValuePersistence | undefined,
    lastVersion = 0,
  ) {
    this.lastVersion = lastVersion;
  }

  /**
   * Holds `data` under the 20-byte `key` on this node (and on disk), then stores it on the k closest nodes.
   * @returns the record, its expiry and how many nodes acknowledged it.
   * @throws {@link DHTError} `too-large` or `rejected` (bad ttl, refused by our own store) before anything
   *   is held; `no-nodes` when no other node acknowledged it (it stays held here and is offered again on
   *   the next replication round); `aborted`, `timeout`, `stopped`.
   */
  async publish(key: Uint8Array, data: Uint8Array, options: PublishOptions = {}): Promise<PublishResult> {
    const dht = this.dht;
    const max = dht.settings.maxDataBytes;
    if (data.length > max) throw new DHTError(`value of ${data.length} bytes exceeds the maximum of ${max} bytes`, 'too-large');
    const ttlMs = options.ttl === undefined ? dht.settings.defaultTtlMs : options.ttl * 1_000;
    if (!(ttlMs > 0) || ttlMs > dht.settings.maxTtlMs) {
      throw new DHTError(`ttl must be in (0, ${dht.settings.maxTtlMs / 1_000}] seconds, got ${options.ttl}`, 'rejected');
    }
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    const now = dht.context.clock.now();
    const record = options.sign === true ? signRecord(dht.context.key, key, data, this.nextVersion(now)) : unsignedRecord(key, data);
    const verdict = dht.store.put(record, ttlMs, 'local');
    if (verdict !== 'stored' && verdict !== 'updated' && verdict !== 'refreshed') {
      throw new DHTError(`this node's own store refused the value: ${verdict}`, verdict === 'too-large' ? 'too-large' : 'rejected');
    }
    this.persistence?.persistKey(key);
    const expiresAt = now + ttlMs;
    try {
      const acks = await dht.publishRecord(record, { ttl: ttlMs / 1_000, signal: options.signal, republish: false });
      return { record, acks, expiresAt };
    } catch (error) {
      if (error instanceof DHTError && error.reason === 'no-nodes') {
        throw new DHTError('no other node acknowledged the value; this node holds it and offers it again on its next replication round', 'no-nodes');
      }
      throw error;
    }
  }

  private nextVersion(now: number): number {
    this.lastVersion = Math.max(now, this.lastVersion + 1);
    return this.lastVersion;
  }
}
