/**
 * Outstanding requests awaiting a response, keyed by random 64-bit ids (py-ipv8 uses 16 bits, which
 * collide and are guessable). Each request has its own timeout on the injected clock and honours an
 * `AbortSignal`; `clear()` rejects everything, so a stopped community leaves no timer behind.
 * A timeout that comes late because this process was stalled waits a grace first
 * ({@link stallAwareTimeout}): a peer is not blamed for our own stall.
 * @module
 */
import { AbortError, LifecycleError, TimeoutError } from '../errors.js';
import type { Random } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { stallAwareTimeout } from '../time/stall-aware-timeout.js';
import type { StallAwareTimeout } from '../time/stall-aware-timeout.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** The timeout; undefined until {@link RequestCache.startTimeout} for a request registered with `deferTimeout`. */
  timer: StallAwareTimeout | undefined;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Opaque tag a handler checks to match a response (e.g. the address the request went to). */
  tag: string | undefined;
}

/** A registered request: its id goes in the outgoing message, the promise settles on response or timeout. */
export interface PendingRequest<T> {
  /** Random 64-bit request id. */
  readonly id: bigint;
  /** Resolves with the response, rejects with {@link TimeoutError}, {@link AbortError} or on `clear()`. */
  readonly promise: Promise<T>;
}

/** Options for {@link RequestCache.register}. */
export interface RegisterOptions {
  /** Milliseconds before the request rejects with {@link TimeoutError}. */
  timeoutMs: number;
  /** Cancels the request early with {@link AbortError}. */
  signal?: AbortSignal;
  /** A tag that {@link RequestCache.resolve} must match (e.g. the peer address the request went to). */
  tag?: string;
  /**
   * Start the timeout only at {@link RequestCache.startTimeout} (when the request actually leaves, after
   * waiting for its turn), not now. @default false
   */
  deferTimeout?: boolean;
}

/** The table of outstanding requests of one community. */
export class RequestCache {
  private readonly pending = new Map<bigint, Pending>();
  /**
   * The outstanding requests of each signal, with the one abort listener the cache holds on it: many
   * requests under one signal (a bulk call, a lookup) add one listener, not one each, so Node never warns
   * of a listener leak, and the listener goes when the signal's last request settles. Made at the first
   * request with a signal.
   */
  private bySignal: Map<AbortSignal, { readonly ids: Set<bigint>; readonly onAbort: () => void }> | undefined;
  private closed = false;
  private stalled = 0;

  /** @param clock timers for timeouts. @param random source of request ids. */
  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** Number of requests awaiting a response. */
  get size(): number {
    return this.pending.size;
  }

  /** Timeouts that fired late (the process was stalled) and were given their grace ({@link stallAwareTimeout}). */
  get stalledTimeouts(): number {
    return this.stalled;
  }

  /** Reopens a cache closed by {@link RequestCache.clear} (a community restarted). */
  open(): void {
    this.closed = false;
  }

  /**
   * Registers a request and returns its id and promise.
   * @throws {@link LifecycleError} after {@link RequestCache.clear}; {@link AbortError} if the signal is already aborted.
   */
  register<T>(options: RegisterOptions): PendingRequest<T> {
    if (this.closed) throw new LifecycleError('request cache is closed (community stopped)');
    if (options.signal?.aborted === true) throw new AbortError('request aborted before it was sent');
    const id = this.newId();
    let resolve!: (v: unknown) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res as (v: unknown) => void;
      reject = rej;
    });
    const entry: Pending = { resolve, reject, timer: undefined, timeoutMs: options.timeoutMs, signal: options.signal, tag: options.tag };
    if (options.deferTimeout !== true) entry.timer = this.arm(id, options.timeoutMs);
    const signal = options.signal;
    if (signal !== undefined) {
      const groups = (this.bySignal ??= new Map());
      let group = groups.get(signal);
      if (group === undefined) {
        const ids = new Set<bigint>();
        const onAbort = (): void => {
          for (const one of [...ids]) this.fail(one, new AbortError(`request ${one} aborted`));
        };
        group = { ids, onAbort };
        groups.set(signal, group);
        signal.addEventListener('abort', onAbort, { once: true });
      }
      group.ids.add(id);
    }
    this.pending.set(id, entry);
    return { id, promise };
  }

  /** Starts the timeout of request `id` if it is outstanding and its timeout has not started yet (see `deferTimeout`). */
  startTimeout(id: bigint): void {
    const entry = this.pending.get(id);
    if (entry !== undefined && entry.timer === undefined) entry.timer = this.arm(id, entry.timeoutMs);
  }

  private arm(id: bigint, timeoutMs: number): StallAwareTimeout {
    return stallAwareTimeout(
      this.clock,
      timeoutMs,
      () => this.fail(id, new TimeoutError(`request ${id} timed out after ${timeoutMs} ms`)),
      () => void this.stalled++,
    );
  }

  /** True if `id` is outstanding (and, when given, its tag matches). */
  has(id: bigint, tag?: string): boolean {
    const entry = this.pending.get(id);
    return entry !== undefined && (tag === undefined || entry.tag === undefined || entry.tag === tag);
  }

  /**
   * Settles request `id` with `value`.
   * @returns false if no such request is outstanding or its tag differs (a late, spoofed or duplicate response).
   */
  resolve(id: bigint, value: unknown, tag?: string): boolean {
    if (!this.has(id, tag)) return false;
    const entry = this.take(id)!;
    entry.resolve(value);
    return true;
  }

  /** Rejects request `id` with `error`; false if it is not outstanding. */
  fail(id: bigint, error: Error): boolean {
    const entry = this.take(id);
    if (entry === undefined) return false;
    entry.reject(error);
    return true;
  }

  /** Rejects every outstanding request with {@link AbortError} and clears every timer; further registers throw. */
  clear(): void {
    this.closed = true;
    for (const id of [...this.pending.keys()]) this.fail(id, new AbortError('community stopped'));
  }

  private take(id: bigint): Pending | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) return undefined;
    this.pending.delete(id);
    entry.timer?.cancel();
    const signal = entry.signal;
    const group = signal === undefined ? undefined : this.bySignal?.get(signal);
    if (group !== undefined && group.ids.delete(id) && group.ids.size === 0) {
      signal!.removeEventListener('abort', group.onAbort);
      this.bySignal!.delete(signal!);
    }
    return entry;
  }

  private newId(): bigint {
    for (;;) {
      const b = this.random.bytes(8);
      let id = 0n;
      for (const byte of b) id = (id << 8n) | BigInt(byte);
      if (!this.pending.has(id)) return id;
    }
  }
}
