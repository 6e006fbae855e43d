/**
 * Per-source rate limiting: a token bucket per source key, and a temporary ban for a source that keeps
 * exceeding it (libtorrent-like). Checked by the overlay host before a packet is parsed or any signature
 * verified, so a flood costs the node a map lookup per packet. Memory is bounded: at most `maxSources`
 * buckets (the idlest evicted first), and buckets idle for `idleMs`, or full again (the bucket a source
 * never seen gets, so forgetting it changes no verdict), are forgotten (swept as packets arrive), so a
 * flood from many spoofed sources holds at most `maxSources` entries, and none once it ends.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { sharedKey } from '../util/shared-key.js';

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
  /** Most sources tracked; the one seen least recently is evicted first. @default 50_000 */
  maxSources?: number;
  /**
   * A source not seen for this long (and not banned) is forgotten. At `burst / ratePerSecond` seconds
   * (the default) its bucket would be full again and its run of drops broken by the next packet anyway,
   * so forgetting it changes no verdict; shorter is more lenient. A bucket that is full again sooner is
   * forgotten sooner (at the sweep, every `idleMs / 4`). @default burst / ratePerSecond seconds
   */
  idleMs?: number;
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
  /** Sources evicted because `maxSources` were tracked (the idlest first). */
  evicted: number;
  /** Idle sources forgotten by the sweep. */
  forgotten: number;
}

/** What {@link RateLimiter.check} decided for one packet. */
export type RateVerdict = 'allowed' | 'limited' | 'banned';

interface Bucket {
  tokens: number;
  updated: number;
  seen: number;
  drops: number;
  bannedUntil: number;
}

/** A token bucket per source with temporary bans. */
export class RateLimiter {
  /** Live counters. */
  readonly stats: RateLimitStats = { allowed: 0, limited: 0, banned: 0, bans: 0, evicted: 0, forgotten: 0 };
  /** Buckets in the order their sources were last seen (the idlest first). */
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly banAfterDrops: number;
  private readonly banMs: number;
  private readonly maxSources: number;
  private readonly idleMs: number;
  private nextSweep: number;

  /** @param clock time source. @param options limits. @throws {@link InvalidArgumentError} on an option that is not a positive number. */
  constructor(
    private readonly clock: Clock,
    options: RateLimitOptions = {},
  ) {
    this.rate = positive('ratePerSecond', options.ratePerSecond ?? 50);
    this.burst = positive('burst', options.burst ?? 200);
    this.banAfterDrops = positive('banAfterDrops', options.banAfterDrops ?? 400);
    this.banMs = positive('banMs', options.banMs ?? 300_000);
    this.maxSources = positive('maxSources', options.maxSources ?? 50_000);
    this.idleMs = positive('idleMs', options.idleMs ?? Math.ceil((this.burst / this.rate) * 1_000));
    this.nextSweep = clock.now() + this.idleMs;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** True if a packet from `source` may be processed; counts and bans otherwise. */
  allow(source: string): boolean {
    return this.check(source) === 'allowed';
  }

  /** Takes a token for a packet from `source` and says whether it may be processed; counts and bans. */
  check(source: string): RateVerdict {
    const now = this.clock.now();
    if (now >= this.nextSweep) this.sweep();
    let b = this.buckets.get(source);
    if (b === undefined) {
      b = { tokens: this.burst, updated: now, seen: now, drops: 0, bannedUntil: 0 };
      if (this.buckets.size >= this.maxSources) {
        const idlest = this.buckets.keys().next().value;
        if (idlest !== undefined) {
          this.buckets.delete(idlest);
          this.stats.evicted++;
        }
      }
    } else {
      this.buckets.delete(source); // re-insert: most recently seen last
      b.seen = now;
    }
    this.buckets.set(sharedKey(source), b); // the process's copy of the key, not the caller's fresh string
    if (b.bannedUntil > now) {
      this.stats.banned++;
      return 'banned';
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.updated) * this.rate) / 1_000);
    b.updated = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.drops = 0;
      this.stats.allowed++;
      return 'allowed';
    }
    this.stats.limited++;
    if (++b.drops >= this.banAfterDrops) {
      b.bannedUntil = now + this.banMs;
      b.drops = 0;
      this.stats.bans++;
    }
    return 'limited';
  }

  /** True while `source` is banned. */
  isBanned(source: string): boolean {
    return (this.buckets.get(source)?.bannedUntil ?? 0) > this.clock.now();
  }

  /**
   * Forgets every source whose ban (if any) has ended and that was not seen for `idleMs` or whose bucket
   * is full again: a full bucket without a ban is the one a source never seen gets (its next packet is
   * allowed and its run of drops broken either way), so forgetting it early changes no verdict. Runs by
   * itself as packets arrive (at most once per `idleMs / 4`); costs one step per source tracked.
   * @returns the number of sources forgotten.
   */
  sweep(): number {
    const now = this.clock.now();
    this.nextSweep = now + this.idleMs / 4;
    let forgotten = 0;
    for (const [source, b] of this.buckets) {
      if (b.bannedUntil > now) continue;
      if (now - b.seen < this.idleMs && b.tokens + ((now - b.updated) * this.rate) / 1_000 < this.burst) continue;
      this.buckets.delete(source);
      forgotten++;
    }
    this.stats.forgotten += forgotten;
    return forgotten;
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number, got ${v}`);
  return v;
}
