/**
 * Retry delays that grow geometrically up to a cap, each jittered from the injected randomness: nodes
 * started together do not retry together, and a node that never gets an answer settles at one attempt per
 * cap instead of flooding.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** The shape of a {@link Backoff}. */
export interface BackoffOptions {
  /** Nominal delay before the first retry, in ms. */
  readonly firstDelayMs: number;
  /** Each following nominal delay is the previous one times this (>= 1). */
  readonly factor: number;
  /** Largest nominal delay, in ms. */
  readonly maxDelayMs: number;
  /** Each delay is drawn uniformly within ± this fraction of its nominal value (0 <= jitter < 1). */
  readonly jitter: number;
}

/** The nominal (unjittered) delay before retry `retry` (0-based) of `options`, in ms. */
export function nominalDelayMs(options: BackoffOptions, retry: number): number {
  return Math.min(options.maxDelayMs, options.firstDelayMs * options.factor ** retry);
}

/**
 * The most attempts a schedule can start within `windowMs` of its first attempt (which is at 0), every
 * delay at its shortest (jitter drawn at its low end, less the half millisecond of rounding), counting at
 * most `maxAttempts`.
 */
export function maxAttemptsWithin(options: BackoffOptions, windowMs: number, maxAttempts = Number.MAX_SAFE_INTEGER): number {
  let at = 0;
  let attempts = 1;
  while (attempts < maxAttempts) {
    at += nominalDelayMs(options, attempts - 1) * (1 - options.jitter) - 0.5;
    if (at > windowMs) break;
    attempts++;
  }
  return attempts;
}

/**
 * Delays between retries: `firstDelayMs`, then times `factor` each time up to `maxDelayMs`, each jittered.
 * @example
 * ```ts
 * const backoff = new Backoff(random, { firstDelayMs: 500, factor: 2, maxDelayMs: 60_000, jitter: 0.2 });
 * backoff.next(); // 400..600
 * backoff.next(); // 800..1200
 * backoff.reset(); // after a success
 * ```
 */
export class Backoff {
  private retry = 0;

  /**
   * @param random draws the jitter (the node's injected `Random`).
   * @param options see {@link BackoffOptions}.
   * @throws {@link InvalidArgumentError} for a negative or non-finite delay, a factor below 1 or a jitter outside [0, 1).
   */
  constructor(
    private readonly random: { float(): number },
    readonly options: BackoffOptions,
  ) {
    const { firstDelayMs, factor, maxDelayMs, jitter } = options;
    if (!Number.isFinite(firstDelayMs) || firstDelayMs < 0) throw new InvalidArgumentError(`firstDelayMs must be a finite number >= 0, got ${firstDelayMs}`);
    if (!Number.isFinite(maxDelayMs) || maxDelayMs < firstDelayMs) throw new InvalidArgumentError(`maxDelayMs must be finite and >= firstDelayMs, got ${maxDelayMs}`);
    if (!Number.isFinite(factor) || factor < 1) throw new InvalidArgumentError(`factor must be a finite number >= 1, got ${factor}`);
    if (!(jitter >= 0 && jitter < 1)) throw new InvalidArgumentError(`jitter must be in [0, 1), got ${jitter}`);
  }

  /** Retries drawn since the last {@link Backoff.reset}. */
  get retries(): number {
    return this.retry;
  }

  /** The delay before the next retry, in ms (whole milliseconds). */
  next(): number {
    const nominal = nominalDelayMs(this.options, this.retry);
    this.retry++;
    const spread = this.options.jitter * (this.random.float() * 2 - 1);
    return Math.round(nominal * (1 + spread));
  }

  /** Starts over at `firstDelayMs` (after a success). */
  reset(): void {
    this.retry = 0;
  }
}
