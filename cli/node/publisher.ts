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
  /** Lifetime in ms (up to the DHT's `maxLifetimeMs`); not with `expiresAt`. @default the DHT's `defaultTtlMs` */
  ttlMs?: number | undefined;
  /**
   * When it expires, in ms since the epoch; not with `ttlMs`. Beyond the DHT's `maxTtlMs` the node
   * keeps it here for `maxTtlMs` and renews it on the k closest until then while it runs.
   */
  expiresAt?: number | undefined;
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
    const now = dht.context.clock.now();
    if (options.ttlMs !== undefined && options.expiresAt !== undefined) throw new DHTError('give ttlMs or expiresAt, not both', 'invalid-ttl');
    const lifetimeMs = options.expiresAt !== undefined ? Math.floor(options.expiresAt - now) : (options.ttlMs ?? dht.settings.defaultTtlMs);
    if (!(Number.isSafeInteger(lifetimeMs) && lifetimeMs > 0) || lifetimeMs > dht.settings.maxLifetimeMs) {
      throw new DHTError(`the lifetime must be in (0, ${dht.settings.maxLifetimeMs}] ms, got ${lifetimeMs} ms`, 'invalid-ttl');
    }
    // Beyond maxTtlMs: kept here for maxTtlMs (a storer's grant), renewed on the k closest until the end.
    const long = lifetimeMs > dht.settings.maxTtlMs;
    const ttlMs = Math.min(lifetimeMs, dht.settings.maxTtlMs);
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    const record = options.sign === true ? signRecord(dht.context.key, key, data, this.nextVersion(now)) : unsignedRecord(key, data);
    const verdict = dht.store.put(record, ttlMs, { origin: 'local' });
    if (verdict !== 'stored' && verdict !== 'updated' && verdict !== 'refreshed') {
      throw new DHTError(`this node's own store refused the value: ${verdict}`, verdict === 'too-large' ? 'too-large' : 'rejected');
    }
    const expiresAt = now + lifetimeMs;
    try {
      const lifetime = long ? { expiresAt, republish: true } : { ttlMs, republish: false };
      const acks = await dht.storeRecord(record, { ...lifetime, signal: options.signal });
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
