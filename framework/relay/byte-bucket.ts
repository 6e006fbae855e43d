/**
 * A token bucket counted in bytes, refilled from an injected clock.
 * @module
 */
import type { Clock } from '../time/clock.js';

/** A byte budget: `bytesPerSecond` sustained, up to `burstBytes` at once. */
export class ByteBucket {
  private tokens: number;
  private updated: number;

  /**
   * @param clock reads the time.
   * @param bytesPerSecond refill rate.
   * @param burstBytes capacity; the bucket starts full.
   */
  constructor(
    private readonly clock: Clock,
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
  ) {
    this.tokens = burstBytes;
    this.updated = clock.now();
  }

  /** True if `bytes` fit in the bucket now (without taking them). */
  fits(bytes: number): boolean {
    this.refill();
    return this.tokens >= bytes;
  }

  /** Takes `bytes`; call after {@link ByteBucket.fits} said they fit. */
  take(bytes: number): void {
    this.tokens -= bytes;
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.updated) {
      this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.updated) * this.bytesPerSecond) / 1_000);
      this.updated = now;
    }
  }
}
