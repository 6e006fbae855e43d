/**
 * Keeps our requests to one node within py-ipv8's limit: a py-ipv8 node silently drops every request
 * from a node that sent it 10 in the last 5 s (`NODE_LIMIT_QUERIES`, `NODE_LIMIT_INTERVAL` in
 * `ipv8/dht/routing.py`), so a request over the limit is delayed until the window has room, with a margin.
 * @module
 */
import type { Address } from '../../framework/endpoint/address.js';
import { addressKey } from '../../framework/endpoint/address.js';
import type { Clock } from '../../framework/time/clock.js';

/** py-ipv8's `NODE_LIMIT_QUERIES`. */
export const IPV8_NODE_LIMIT_QUERIES = 10;
/** py-ipv8's `NODE_LIMIT_INTERVAL` (5 s), plus a margin for delivery. */
export const IPV8_NODE_LIMIT_WINDOW_MS = 5_500;
const MAX_TRACKED = 4_096;

/** Per-destination sliding windows of request send times. */
export class Ipv8RequestPacer {
  readonly #sent = new Map<string, number[]>();

  /** @param clock the time source. @param limit requests per window. @param windowMs the window. */
  constructor(
    private readonly clock: Clock,
    private readonly limit = IPV8_NODE_LIMIT_QUERIES,
    private readonly windowMs = IPV8_NODE_LIMIT_WINDOW_MS,
  ) {}

  /**
   * Reserves a send slot toward `to` and returns how long to wait before sending (0: send now). The slot
   * is counted at the time it will be used, so reservations made together queue one after the other.
   */
  reserve(to: Address): number {
    const key = addressKey(to);
    const now = this.clock.now();
    let times = this.#sent.get(key);
    if (times === undefined) {
      if (this.#sent.size >= MAX_TRACKED) this.#sent.delete(this.#sent.keys().next().value!);
      times = [];
      this.#sent.set(key, times);
    }
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    const at = times.length < this.limit ? Math.max(now, times[times.length - 1] ?? now) : times[times.length - this.limit]! + this.windowMs;
    times.push(at);
    return at - now;
  }
}
