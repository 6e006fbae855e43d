/**
 * A deliberately naive reference model of the routing table: one flat array of entries, buckets computed by
 * filtering on every query, no incremental bookkeeping. The model test runs both side by side.
 * @module
 */
import { toHex } from '../../../../framework/util/bytes.js';
import { commonPrefixLength } from '../../../../communities/dht/routing/node-id.js';

/** One id the model knows, live or waiting in a replacement cache. */
export interface ModelEntry {
  /** Hex id. */
  hex: string;
  /** Raw id. */
  id: Uint8Array;
  /** True for a live contact, false for a replacement candidate. */
  live: boolean;
  /** Time last seen (distinct per command in the model test). */
  seen: number;
  /** Consecutive failures. */
  failures: number;
}

/** What the model predicts for one `add`. */
export type ModelAdd =
  | { status: 'added' | 'updated' }
  | { status: 'full'; pingCandidate: string }
  | { status: 'rejected'; reason: 'self' };

/** The reference model. */
export class ReferenceModel {
  /** Number of splits so far = depth of our own bucket. */
  depth = 0;
  /** Every known id. */
  entries: ModelEntry[] = [];
  /** Ids promoted during the current command (for event checks). */
  promoted: string[] = [];

  /** @param self our id. @param k bucket size. @param cache replacement cache size. */
  constructor(
    readonly self: Uint8Array,
    readonly k: number,
    readonly cache: number,
    readonly maxFailures: number,
    readonly idBits: number,
    readonly wide = 0,
  ) {}

  /** Most live entries of bucket `b`: k, or k * 2^(wide - b) for a far bucket b < wide (our own holds k). */
  capacity(b: number): number {
    return b === this.depth || b >= this.wide ? this.k : this.k * 2 ** (this.wide - b);
  }

  /** Index of the bucket `id` belongs to. */
  bucketOf(id: Uint8Array): number {
    return Math.min(commonPrefixLength(this.self, id), this.depth);
  }

  /** Live entries of bucket `b`, least recently seen first. */
  liveIn(b: number): ModelEntry[] {
    return this.entries.filter((e) => e.live && this.bucketOf(e.id) === b).sort((x, y) => x.seen - y.seen);
  }

  /** Replacement candidates of bucket `b`, least recently seen first. */
  cacheIn(b: number): ModelEntry[] {
    return this.entries.filter((e) => !e.live && this.bucketOf(e.id) === b).sort((x, y) => x.seen - y.seen);
  }

  /** Every bucket's live and cached entries, least recently seen first, in one pass. */
  layout(): Array<{ live: ModelEntry[]; cached: ModelEntry[] }> {
    const out = Array.from({ length: this.depth + 1 }, () => ({
      live: [] as ModelEntry[],
      cached: [] as ModelEntry[],
    }));
    for (const e of [...this.entries].sort((x, y) => x.seen - y.seen)) {
      const slot = out[this.bucketOf(e.id)]!;
      (e.live ? slot.live : slot.cached).push(e);
    }
    return out;
  }

  /** The entry for `hex`, if known. */
  find(hex: string): ModelEntry | undefined {
    return this.entries.find((e) => e.hex === hex);
  }

  /** Live entry count. */
  get size(): number {
    return this.entries.filter((e) => e.live).length;
  }

  private drop(e: ModelEntry): void {
    this.entries = this.entries.filter((x) => x !== e);
  }

  private promote(b: number): void {
    for (;;) {
      const cached = this.cacheIn(b);
      const newest = cached[cached.length - 1];
      if (newest === undefined || this.liveIn(b).length >= this.capacity(b)) return;
      newest.live = true;
      this.promoted.push(newest.hex);
    }
  }

  /** Kademlia insert, spelled out. */
  add(id: Uint8Array, now: number): ModelAdd {
    const hex = toHex(id);
    if (hex === toHex(this.self)) return { status: 'rejected', reason: 'self' };
    const known = this.find(hex);
    if (known?.live === true) {
      known.seen = now;
      known.failures = 0;
      return { status: 'updated' };
    }
    if (known !== undefined) this.drop(known);
    let b = this.bucketOf(id);
    while (this.liveIn(b).length >= this.capacity(b) && b === this.depth && this.depth < this.idBits) {
      this.depth++;
      this.promote(this.depth - 1);
      this.promote(this.depth);
      b = this.bucketOf(id);
    }
    if (this.liveIn(b).length < this.capacity(b)) {
      this.entries.push({ hex, id, live: true, seen: now, failures: 0 });
      return { status: 'added' };
    }
    if (this.cache > 0) {
      this.entries.push({ hex, id, live: false, seen: now, failures: 0 });
      const cached = this.cacheIn(b);
      if (cached.length > this.cache) this.drop(cached[0]!);
    }
    return { status: 'full', pingCandidate: this.liveIn(b)[0]!.hex };
  }

  /** Seen alive. */
  touch(hex: string, now: number): boolean {
    const e = this.find(hex);
    if (e === undefined) return false;
    e.seen = now;
    e.failures = 0;
    return true;
  }

  /** A failed request; removal at the threshold. */
  fail(hex: string): boolean {
    const e = this.find(hex);
    if (e === undefined) return false;
    e.failures++;
    if (e.failures >= this.maxFailures) this.remove(hex);
    return true;
  }

  /** Explicit removal; a live slot is refilled from the cache. */
  remove(hex: string): boolean {
    const e = this.find(hex);
    if (e === undefined) return false;
    this.drop(e);
    if (e.live) this.promote(this.bucketOf(e.id));
    return true;
  }
}
