/**
 * Per-source accounting of the {@link ValueStore}: how many records and data bytes each source (see
 * {@link sourceGroup}) has made this node hold, and its caps. Internal to the store.
 * @module
 */
import type { Entry } from './store-entry.js';
import type { ValueStore } from './value-store.js';
import type { sourceGroup } from './source-group.js';

/** What one source has stored. */
export interface SourceUsage {
  /** Records charged to the source. */
  readonly entries: number;
  /** Sum of their data sizes, in bytes. */
  readonly bytes: number;
}

interface Usage {
  entries: Set<Entry>;
  bytes: number;
}

/** Entries and bytes charged to each source, with per-source caps. Memory: one small record per source holding entries. */
export class SourceQuotas {
  private readonly usage = new Map<string, Usage>();

  /**
   * @param maxEntries most records one source may have held at once.
   * @param maxBytes most data bytes one source may have held at once.
   */
  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  /** Number of sources with at least one record charged. */
  get sources(): number {
    return this.usage.size;
  }

  /**
   * @param source a source key.
   * @returns what it holds now (zeros for an unknown source).
   */
  of(source: string): SourceUsage {
    const u = this.usage.get(source);
    return { entries: u?.entries.size ?? 0, bytes: u?.bytes ?? 0 };
  }

  /**
   * @param source a source key.
   * @param addEntries records about to be added (0 or 1).
   * @param addBytes data bytes about to be added (may be negative).
   * @returns true if the source stays within both caps.
   */
  fits(source: string, addEntries: number, addBytes: number): boolean {
    const u = this.of(source);
    return u.entries + addEntries <= this.maxEntries && u.bytes + addBytes <= this.maxBytes;
  }

  /**
   * @param source a source key.
   * @returns its charged entries (a copy, safe to remove from while iterating).
   */
  entriesOf(source: string): Entry[] {
    return [...(this.usage.get(source)?.entries ?? [])];
  }

  /** Charges `entry` (and its data bytes) to `entry.source`; no-op for an uncharged entry. */
  charge(entry: Entry): void {
    if (entry.source === undefined) return;
    let u = this.usage.get(entry.source);
    if (u === undefined) {
      u = { entries: new Set(), bytes: 0 };
      this.usage.set(entry.source, u);
    }
    if (u.entries.has(entry)) return;
    u.entries.add(entry);
    u.bytes += entry.record.data.length;
  }

  /** Releases `entry` from its source (call before its record or source changes). */
  release(entry: Entry): void {
    if (entry.source === undefined) return;
    const u = this.usage.get(entry.source);
    if (u === undefined || !u.entries.delete(entry)) return;
    u.bytes -= entry.record.data.length;
    if (u.entries.size === 0) this.usage.delete(entry.source);
  }
}
