/**
 * Per-source rate limiting: a token bucket per source address, and a temporary ban for a source that
 * keeps exceeding it (libtorrent-like). Checked by the overlay host before a packet is parsed or any
 * signature verified, so a flood costs the node a map lookup per packet. Memory is bounded: at most
 * `maxSources` buckets, least recently used evicted.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../time/clock.js';

/** Options of a {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Sustained packets per second allowed from one source. @default 50 */
  ratePerSecond?: number;
  /** Packets a source may send in a burst. @default 200 */
  burst?: number;
  /** A source dropping this many packets in a row (without refilling) is banned. @default 400 */
  banAfterDrops?: number;
  /** Length of a ban, in ms. @default 300_000 */
  banMs?: number;
  /** Most sources tracked (LRU). @default 50_000 */
  maxSources?: number;
}

/** Counters of a {@link RateLimiter}. */
export interface RateLimitStats {
  /** Packets allowed. */
  allowed: number;
  /** Packets dropped because the source's bucket was empty. */
  limited: number;
  /** Packets dropped because the source was banned. */
  banned: number;
  /** Bans issued. */
  bans: number;
}

interface Bucket {
  tokens: number;
  updated: number;
  drops: number;
  bannedUntil: number;
}

/** A token bucket per source with temporary bans. */
export class RateLimiter {
  /** Live counters. */
  readonly stats: RateLimitStats = { allowed: 0, limited: 0, banned: 0, bans: 0 };
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly banAfterDrops: number;
  private readonly banMs: number;
  private readonly maxSources: number;

  /** @param clock time source. @param options limits. */
  constructor(
    private readonly clock: Clock,
    options: RateLimitOptions = {},
  ) {
    this.rate = positive('ratePerSecond', options.ratePerSecond ?? 50);
    this.burst = positive('burst', options.burst ?? 200);
    this.banAfterDrops = positive('banAfterDrops', options.banAfterDrops ?? 400);
    this.banMs = positive('banMs', options.banMs ?? 300_000);
    this.maxSources = positive('maxSources', options.maxSources ?? 50_000);
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** True if a packet from `source` may be processed; counts and bans otherwise. */
  allow(source: string): boolean {
    const now = this.clock.now();
    let b = this.buckets.get(source);
    if (b === undefined) {
      b = { tokens: this.burst, updated: now, drops: 0, bannedUntil: 0 };
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else {
      this.buckets.delete(source); // re-insert: most recently used last
    }
    this.buckets.set(source, b);
    if (b.bannedUntil > now) {
      this.stats.banned++;
      return false;
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.updated) * this.rate) / 1_000);
    b.updated = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.drops = 0;
      this.stats.allowed++;
      return true;
    }
    this.stats.limited++;
    if (++b.drops >= this.banAfterDrops) {
      b.bannedUntil = now + this.banMs;
      b.drops = 0;
      this.stats.bans++;
    }
    return false;
  }

  /** True while `source` is banned. */
  isBanned(source: string): boolean {
    return (this.buckets.get(source)?.bannedUntil ?? 0) > this.clock.now();
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number, got ${v}`);
  return v;
}
