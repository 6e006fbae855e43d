/**
 * The immutable community's local cache of fetched values. Caching is safe here, unlike for mutable DHT
 * values: a value is checked against its key, which is the hash of its bytes, so a cached copy can never be
 * an outdated version. An entry is kept at most `maxAgeMs`, and never past the expiry the storers reported
 * for the value's chunks, so a value that expired on the network is not answered from the cache either.
 * @module
 */

/** Limits of an {@link ImmutableValueCache}. */
export interface ImmutableCacheLimits {
  /** Most values held. */
  readonly maxEntries: number;
  /** Most bytes held (values only). */
  readonly maxBytes: number;
  /** A value is answered from the cache at most this long after it was fetched, in ms. */
  readonly maxAgeMs: number;
}

/** Default limits: 256 values, 2 MiB, 10 minutes. */
export const DEFAULT_IMMUTABLE_CACHE: ImmutableCacheLimits = { maxEntries: 256, maxBytes: 2 * 1_048_576, maxAgeMs: 600_000 };

/** A bounded least-recently-used map from key (hex) to a checked value. */
export class ImmutableValueCache {
  /** Gets answered from the cache. */
  hits = 0;
  /** Gets that had to ask the network. */
  misses = 0;
  private readonly entries = new Map<string, { readonly value: Uint8Array; readonly until: number }>();
  private bytes = 0;

  /** @param limits see {@link ImmutableCacheLimits}. */
  constructor(private readonly limits: ImmutableCacheLimits = DEFAULT_IMMUTABLE_CACHE) {}

  /** Values held. */
  get size(): number {
    return this.entries.size;
  }

  /** @returns a copy of the value under `keyHex` while it is fresh at `now` (counted as a hit or a miss). */
  get(keyHex: string, now: number): Uint8Array | undefined {
    const entry = this.entries.get(keyHex);
    if (entry === undefined || entry.until <= now) {
      if (entry !== undefined) this.delete(keyHex, entry.value.length);
      this.misses++;
      return undefined;
    }
    this.entries.delete(keyHex); // most recently used last
    this.entries.set(keyHex, entry);
    this.hits++;
    return entry.value.slice();
  }

  /**
   * Keeps a checked `value` fetched at `now` until `now + maxAgeMs` or `expiresAt` (the value's expiry on the
   * network), whichever comes first, evicting the least recently used beyond the limits.
   */
  put(keyHex: string, value: Uint8Array, now: number, expiresAt = Number.POSITIVE_INFINITY): void {
    if (value.length > this.limits.maxBytes) return;
    const until = Math.min(now + this.limits.maxAgeMs, expiresAt);
    if (until <= now) return;
    const held = this.entries.get(keyHex);
    if (held !== undefined) this.delete(keyHex, held.value.length);
    this.entries.set(keyHex, { value: value.slice(), until });
    this.bytes += value.length;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.delete(oldest, entry.value.length);
    }
  }

  /** Drops the value under `keyHex`, if held. */
  forget(keyHex: string): void {
    const held = this.entries.get(keyHex);
    if (held !== undefined) this.delete(keyHex, held.value.length);
  }

  private delete(keyHex: string, length: number): void {
    this.entries.delete(keyHex);
    this.bytes -= length;
  }
}
