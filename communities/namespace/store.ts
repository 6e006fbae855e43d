/**
 * What one node holds of the namespace: one verified record per location, the highest seq, each expiring.
 * @module
 */
import type { PublicKeyCache } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import type { NamespaceVerdict } from './messages.js';
import type { NamespaceRecord } from './record.js';
import { checkNamespaceRecord, isWellFormedNamespaceRecord, namespaceLocation, sameNamespaceRecord } from './record.js';

/** Limits of a {@link NamespaceStore}. */
export interface NamespaceStoreLimits {
  /** Largest value, in bytes. */
  readonly maxValueBytes: number;
  /** Most records held. */
  readonly maxRecords: number;
  /** Longer lifetimes are cut to this, in ms. */
  readonly maxTtlMs: number;
}

/** A record as held. */
export interface HeldNamespaceRecord {
  /** The signed record. */
  record: NamespaceRecord;
  /** Where it lives (20 bytes). */
  readonly location: Uint8Array;
  /** When it expires (ms since the epoch, this node's clock). */
  expiresAt: number;
  /** Last time this node replicated it, or received it from another node. */
  replicatedAt: number;
}

/** The namespace records one node stores for others. */
export class NamespaceStore {
  private readonly records = new Map<string, HeldNamespaceRecord>();

  /** @param limits caps. @param keys parsed public keys. */
  constructor(
    private readonly limits: NamespaceStoreLimits,
    private readonly keys: PublicKeyCache,
  ) {}

  /** Records held (live and not yet swept). */
  get size(): number {
    return this.records.size;
  }

  /**
   * Verifies and stores a record for `ttlMs`, honouring compare-and-swap.
   * @param cas when set, the seq the writer expects this node to hold (checked only if it holds one).
   * @returns the verdict (a value; nothing is thrown).
   */
  put(record: NamespaceRecord, ttlMs: number, cas: number | undefined, now: number): NamespaceVerdict {
    if (!isWellFormedNamespaceRecord(record)) return 'invalid';
    if (record.value.length > this.limits.maxValueBytes) return 'too-large';
    if (!(Number.isSafeInteger(ttlMs) && ttlMs > 0)) return 'expired';
    const expiresAt = now + Math.min(ttlMs, this.limits.maxTtlMs);
    const location = namespaceLocation(record.publicKey, record.key);
    const hex = toHex(location);
    const held = this.get(location, now);
    const identical = held !== undefined && sameNamespaceRecord(held.record, record);
    if (!identical) {
      const check = checkNamespaceRecord(record, this.keys);
      if (check !== 'valid') return check;
    }
    if (cas !== undefined && held !== undefined && held.record.seq !== cas) return 'cas-mismatch';
    if (held !== undefined) {
      if (identical) {
        held.expiresAt = Math.max(held.expiresAt, expiresAt);
        return 'refreshed';
      }
      if (record.seq <= held.record.seq) return 'stale-seq';
      held.record = record;
      held.expiresAt = expiresAt;
      return 'updated';
    }
    if (this.records.size >= this.limits.maxRecords) this.sweep(now);
    if (this.records.size >= this.limits.maxRecords) return 'full';
    this.records.set(hex, { record, location, expiresAt, replicatedAt: now });
    return 'stored';
  }

  /** The live record at `location`, if any. */
  get(location: Uint8Array, now: number): HeldNamespaceRecord | undefined {
    const held = this.records.get(toHex(location));
    return held !== undefined && held.expiresAt > now ? held : undefined;
  }

  /** Live records not replicated for `intervalMs`. */
  dueForReplication(now: number, intervalMs: number): HeldNamespaceRecord[] {
    return [...this.records.values()].filter((h) => h.expiresAt > now && now - h.replicatedAt >= intervalMs);
  }

  /** Drops every expired record. @returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [hex, held] of this.records) {
      if (held.expiresAt > now) continue;
      this.records.delete(hex);
      removed++;
    }
    return removed;
  }

  /** Forgets everything. */
  clear(): void {
    this.records.clear();
  }

  /**
   * Puts a record without any check. For tests and diagnostics only (e.g. to simulate a lying storer).
   * @internal
   */
  insertUnverified(record: NamespaceRecord, ttlMs: number, now: number): void {
    const location = namespaceLocation(record.publicKey, record.key);
    this.records.set(toHex(location), { record, location, expiresAt: now + ttlMs, replicatedAt: now });
  }
}
