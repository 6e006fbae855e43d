/**
 * Outgoing pacing: a token bucket per destination (`host:port`) that matches, a little below, the
 * per-source limit every receiver applies by default (50 packets/s, burst 200, {@link RateLimiter}), so a
 * node's own burst of work (a bulk upload: a thousand concurrent stores) is spread out instead of cut by
 * its peers. Every packet sent to a destination takes a token; a request that finds the bucket empty
 * waits in that destination's queue (its timeout starts when it is sent), while replies and other messages
 * go at once and only make the queued requests wait longer. The bucket refills in real time up to its
 * burst, so a node whose event loop stalled still sends at most a burst at once. Memory is bounded: at
 * most `maxDestinations` buckets, the least recently used idle one forgotten first (an idle bucket is full
 * anyway), and a bucket that is full again with nobody waiting is forgotten as packets go out (swept every
 * `burst / ratePerSecond / 4` seconds: a full bucket is what an unknown destination gets, so forgetting it
 * changes no send).
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { addressKey } from '../endpoint/address.js';
import { InvalidArgumentError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { sharedKey } from '../util/shared-key.js';

/** Options of a {@link SendPacer}. */
export interface SendPacingOptions {
  /** Packets per second sent to one destination; below the receivers' default of 50. @default 45 */
  ratePerSecond?: number;
  /** Packets sent to one destination at once; below the receivers' default of 200. @default 180 */
  burst?: number;
  /** Most destinations tracked (the least recently used forgotten first). @default 4_096 */
  maxDestinations?: number;
}

/** Counters of a {@link SendPacer}. */
export interface SendPacingStats {
  /** Requests that had to wait for their destination's bucket. */
  delayed: number;
  /** The longest wait of one request, in ms. */
  maxDelayMs: number;
  /** Requests waiting now, all destinations. */
  queued: number;
  /** Destinations forgotten to stay within `maxDestinations`. */
  evicted: number;
}

/** What a community needs of the pacer: a turn for each request. */
export interface RequestPacing {
  /**
   * Runs `send` when `to`'s bucket has a token: at once when it has one and nobody waits before it,
   * otherwise in order after the requests already waiting for `to`. `send` is expected to send one
   * packet to `to` (or nothing, when the request was cancelled meanwhile).
   */
  schedule(to: Address, send: () => void): void;
}

interface Bucket {
  /** Tokens (below zero when replies went out without waiting). */
  tokens: number;
  updated: number;
  /** Requests waiting for a token, in order, each with the time it started waiting; made at the first wait. */
  queue: Array<{ send: () => void; since: number }> | undefined;
  timer: TimerHandle | undefined;
}

/** Per-destination token buckets and queues for this node's own requests. */
export class SendPacer implements RequestPacing {
  /** Live counters. */
  readonly stats: SendPacingStats = { delayed: 0, maxDelayMs: 0, queued: 0, evicted: 0 };
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxDestinations: number;
  /** How long an untouched bucket takes to refill from empty, in ms; full idle buckets are swept every quarter of it. */
  private readonly refillMs: number;
  private nextSweep: number;

  /** @param clock time and timers. @param options see {@link SendPacingOptions}. @throws {@link InvalidArgumentError} on a bad option. */
  constructor(
    private readonly clock: Clock,
    options: SendPacingOptions = {},
  ) {
    this.rate = positive('ratePerSecond', options.ratePerSecond ?? 45);
    this.burst = positive('burst', options.burst ?? 180);
    this.maxDestinations = Math.floor(positive('maxDestinations', options.maxDestinations ?? 4_096));
    this.refillMs = Math.ceil((this.burst / this.rate) * 1_000);
    this.nextSweep = clock.now() + this.refillMs;
  }

  /** Destinations tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** @inheritDoc */
  schedule(to: Address, send: () => void): void {
    const key = sharedKey(addressKey(to)); // the process's copy, not one string per entry
    const b = this.bucket(key);
    if ((b.queue === undefined || b.queue.length === 0) && b.tokens >= 1) return send();
    (b.queue ??= []).push({ send, since: this.clock.now() });
    this.stats.queued++;
    this.stats.delayed++;
    this.wake(key, b);
  }

  /** Counts one packet sent to `to` (whatever it is): it takes a token, and the bucket may go below zero. */
  sent(to: Address): void {
    this.bucket(sharedKey(addressKey(to))).tokens -= 1;
  }

  /** Drops every waiting request (their sends never run) and every timer; for the node's `stop()`. */
  clear(): void {
    for (const b of this.buckets.values()) this.clock.clear(b.timer);
    this.buckets.clear();
    this.stats.queued = 0;
  }

  /** Sends what the bucket of `key` allows now, then sleeps until its next token. */
  private drain(key: string): void {
    const b = this.buckets.get(key);
    if (b === undefined) return;
    b.timer = undefined;
    this.refill(b);
    const queue = b.queue;
    while (queue !== undefined && queue.length > 0 && b.tokens >= 1) {
      const next = queue.shift()!;
      this.stats.queued--;
      const waited = this.clock.now() - next.since;
      if (waited > this.stats.maxDelayMs) this.stats.maxDelayMs = waited;
      const before = b.tokens;
      next.send();
      if (b.tokens === before) continue; // cancelled meanwhile: nothing went, the token stays
    }
    this.wake(key, b);
  }

  /** Sets the timer of a bucket with waiting requests for when its next token is due. */
  private wake(key: string, b: Bucket): void {
    if (b.queue === undefined || b.queue.length === 0 || b.timer !== undefined) return;
    const ms = Math.max(1, Math.ceil(((1 - b.tokens) * 1_000) / this.rate));
    b.timer = this.clock.setTimeout(() => this.drain(key), ms);
  }

  /** The bucket of `key`, refilled to now and made the most recently used. */
  private bucket(key: string): Bucket {
    const now = this.clock.now();
    if (now >= this.nextSweep) this.sweep(now);
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.burst, updated: now, queue: undefined, timer: undefined };
      this.evictIdlest();
    } else {
      this.buckets.delete(key);
      this.refill(b);
    }
    this.buckets.set(key, b);
    return b;
  }

  private refill(b: Bucket): void {
    const now = this.clock.now();
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.updated) * this.rate) / 1_000);
    b.updated = now;
  }

  /**
   * Forgets the buckets that nobody waits for and that are full again: such a bucket is the one a
   * destination never seen gets, so no send changes. Runs at most every `refillMs / 4` as packets go out;
   * one step per bucket.
   * @returns the number of buckets forgotten.
   */
  private sweep(now: number): number {
    this.nextSweep = now + this.refillMs / 4;
    let forgotten = 0;
    for (const [key, b] of this.buckets) {
      if (b.timer !== undefined || (b.queue !== undefined && b.queue.length > 0)) continue;
      if (b.tokens + ((now - b.updated) * this.rate) / 1_000 < this.burst) continue;
      this.buckets.delete(key);
      forgotten++;
    }
    return forgotten;
  }

  /** Forgets the least recently used destination when full, unless requests wait for it (its bucket is not idle). */
  private evictIdlest(): void {
    if (this.buckets.size < this.maxDestinations) return;
    const [idlest, b] = this.buckets.entries().next().value ?? [];
    if (idlest === undefined || b === undefined || (b.queue !== undefined && b.queue.length > 0)) return;
    this.buckets.delete(idlest);
    this.stats.evicted++;
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number, got ${v}`);
  return v;
}
