/**
 * Test helper for the ground-id lookup tests: ids at a chosen distance from a key, the lookup options
 * they share (k, alpha 3, quorum 3 non-suspect answers, a 10 ms reply on the ManualClock, the diverse
 * selector with the density check for a network of 1,000), and the check they all make of the result.
 */
import { expect } from 'vitest';
import type { LookupOptions, LookupPeer, LookupResult, QueryReply } from '../../../communities/dht/lookup.js';
import { diverseSelector } from '../../../communities/dht/routing/diverse-set.js';
import type { ManualClock, SeededRandom } from '../../../framework/index.js';

/** The network size the density check is told. */
export const NETWORK_SIZE = 1_000;
/** One-way reply delay of every query, ms. */
const LATENCY_MS = 10;

/** `target` XOR a distance of `fraction` of the id space. */
export function idAt(target: Uint8Array, fraction: number): Uint8Array {
  let delta = BigInt(Math.round(fraction * 2 ** 56)) << 104n;
  const id = Uint8Array.from(target);
  for (let i = 19; i >= 0; i--, delta >>= 8n) id[i]! ^= Number(delta & 0xffn);
  return id;
}

/** Lookup options toward `target` whose queries answer `reply(peer)` after 10 ms. */
export function groundLookup(
  clock: ManualClock,
  random: SeededRandom,
  target: Uint8Array,
  k: number,
  seeds: LookupPeer[],
  reply: (p: LookupPeer) => QueryReply<string>,
): LookupOptions<string, QueryReply<string>> {
  return {
    target,
    selfId: random.bytes(20),
    k,
    alpha: 3,
    seeds,
    quorum: 3,
    query: (p) => new Promise((resolve) => clock.setTimeout(() => resolve(reply(p)), LATENCY_MS)),
    softTimeoutMs: () => 50,
    isDone: (found) => found.filter((a) => a.suspect !== true).length >= 3,
    schedule: (ms, fn) => clock.setTimeout(fn, ms),
    cancel: (h) => clock.clear(h),
    select: diverseSelector({ networkSize: () => NETWORK_SIZE }),
  };
}

/**
 * Asserts what every such test wants: some ground ids answered, every one of them suspect, and at least
 * 3 answers counted, all with the new version.
 */
export function expectHonestQuorum(result: LookupResult<QueryReply<string>>, isGround: (id: Uint8Array) => boolean): void {
  const fromGround = result.found.filter((a) => isGround(a.peer.id));
  expect(fromGround.length).toBeGreaterThan(0);
  expect(fromGround.every((a) => a.suspect === true)).toBe(true);
  const counted = result.found.filter((a) => a.suspect !== true);
  expect(counted.length).toBeGreaterThanOrEqual(3);
  expect(counted.every((a) => a.reply.found === 'new')).toBe(true);
}
