/**
 * Process-wide sharing of map keys by content: the bounded tables of a node (rate limits, round-trip
 * times, tokens, budgets) each keep a key string per peer (its address key or its hex id), most of them a
 * fresh string per packet. A table that stores {@link sharedKey}`(key)` instead keeps the one copy every
 * other table of the process holds for that content: in a simulation of thousands of nodes that know the
 * same peers, a few dozen bytes per entry of every table. Strings cannot be held weakly, so the table of
 * copies is bounded: two generations of {@link SHARED_KEY_GENERATION} strings, the older dropped when the
 * newer is full (a string dropped is still shared by the tables that hold it; the next one met is the
 * new copy).
 *
 * Off by default: a process running one node gains nothing from it and would pay a table lookup per
 * packet (2-3 % of the serve bench's server time). The simulator turns it on ({@link shareKeys}).
 * @module
 */

/** Strings in one generation of the process-wide table (at most twice as many held, about 100 bytes each). */
export const SHARED_KEY_GENERATION = 16_384;

let current = new Map<string, string>();
let previous = new Map<string, string>();
let sharing = false;

/** Turns process-wide key sharing on for the rest of the process (the simulator does this); idempotent. */
export function shareKeys(): void {
  sharing = true;
}

/** True once {@link shareKeys} turned sharing on. */
export function sharingKeys(): boolean {
  return sharing;
}

/**
 * The process-wide copy of `key`: a string equal to it, the same one for every caller while the table
 * holds it; `key` itself while sharing is off ({@link shareKeys}). Use it for a key a long-lived map
 * stores, not for a lookup.
 * @example
 * ```ts
 * rtt.set(sharedKey(toHex(id)), ms); // the hex string other tables of the process hold for this id
 * ```
 */
export function sharedKey(key: string): string {
  if (!sharing) return key;
  const held = current.get(key);
  if (held !== undefined) return held;
  const copy = previous.get(key) ?? key;
  if (current.size >= SHARED_KEY_GENERATION) {
    previous = current;
    current = new Map();
  }
  current.set(copy, copy);
  return copy;
}
