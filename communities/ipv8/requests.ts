/**
 * Outstanding requests of a py-ipv8 compatible community, keyed by message kind and the 32-bit
 * identifier py-ipv8's DHT payloads carry (`"I"`). py-ipv8 itself draws its identifiers from 16 bits
 * (`RandomNumberCache`); this side draws 32, avoids ids in use, and settles a request only from the
 * address it went to.
 * @module
 */
import type { Address } from '../../framework/endpoint/address.js';
import { sameAddress } from '../../framework/endpoint/address.js';
import { AbortError, TimeoutError } from '../../framework/errors.js';
import type { Clock } from '../../framework/time/clock.js';
import { stallAwareTimeout } from '../../framework/time/stall-aware-timeout.js';
import type { StallAwareTimeout } from '../../framework/time/stall-aware-timeout.js';
import type { Random } from '../../framework/random/random.js';

interface Pending {
  readonly to: Address;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: StallAwareTimeout;
}

/** Requests in flight, by kind and identifier. */
export class Ipv8Requests {
  readonly #pending = new Map<string, Pending>();

  /** @param clock for timeouts. @param random for identifiers. */
  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** Requests in flight. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers a request of `kind` to `to` and returns its identifier and the promise of its answer.
   * The promise rejects with {@link TimeoutError} after `timeoutMs` (plus a grace when this process stalled:
   * `stallAwareTimeout`), or {@link AbortError} on {@link Ipv8Requests.clear}.
   */
  open<T>(kind: string, to: Address, timeoutMs: number): { identifier: number; answer: Promise<T> } {
    let identifier = 0;
    do identifier = this.random.int(0x1_0000_0000) >>> 0;
    while (this.#pending.has(`${kind}:${identifier}`));
    const key = `${kind}:${identifier}`;
    const answer = new Promise<T>((resolve, reject) => {
      // A timeout that comes late because this process stalled waits its grace first (stallAwareTimeout).
      const timer = stallAwareTimeout(this.clock, timeoutMs, () => {
        this.#pending.delete(key);
        reject(new TimeoutError(`${kind} to ${to.host}:${to.port} timed out after ${timeoutMs} ms`));
      });
      this.#pending.set(key, { to, resolve: resolve as (v: unknown) => void, reject, timer });
    });
    return { identifier, answer };
  }

  /** Settles the request `kind:identifier` with `value` if it went to `from`; false when there is none. */
  settle(kind: string, identifier: number, from: Address, value: unknown): boolean {
    const key = `${kind}:${identifier}`;
    const p = this.#pending.get(key);
    if (p === undefined || !sameAddress(p.to, from)) return false;
    this.#pending.delete(key);
    p.timer.cancel();
    p.resolve(value);
    return true;
  }

  /** Rejects every request with {@link AbortError} and clears its timer. */
  clear(): void {
    for (const p of this.#pending.values()) {
      p.timer.cancel();
      p.reject(new AbortError('community stopped'));
    }
    this.#pending.clear();
  }
}
