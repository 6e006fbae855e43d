/**
 * `LookupOptions.quorum`: a value lookup launches no query the running ones could make unnecessary, so a
 * lookup whose first queries all reach holders costs exactly `quorum` queries; a miss, a slow node or a
 * second path still get the lookup to its end.
 */
import { describe, expect, it } from 'vitest';
import { disjointLookup, iterativeLookup } from '../../../communities/dht/lookup.js';
import type { LookupOptions, LookupPeer, QueryReply } from '../../../communities/dht/lookup.js';
import { compareDistance } from '../../../communities/dht/routing/node-id.js';
import { ManualClock, SeededRandom } from '../../../framework/index.js';

const LATENCY_MS = 10;

/** 12 nodes that all know each other; `holds(i)` says whether node i answers with the value. */
function setup(holds: (i: number) => boolean, options: { quorum?: number; slow?: number } = {}) {
  const random = new SeededRandom(7);
  const clock = new ManualClock();
  const target = random.bytes(20);
  const ids = Array.from({ length: 12 }, () => random.bytes(20)).sort((a, b) => compareDistance(target, a, b));
  const peer = (i: number): LookupPeer => ({ id: ids[i]!, address: { host: '127.0.0.1', port: 1000 + i } });
  const queried: number[] = [];
  const o: LookupOptions<true, QueryReply<true>> = {
    target,
    selfId: random.bytes(20),
    k: 8,
    alpha: 3,
    seeds: ids.map((_, i) => peer(i)),
    quorum: options.quorum,
    query: (p) => {
      const i = ids.indexOf(p.id);
      queried.push(i);
      const reply: QueryReply<true> = { nodes: ids.map((_, j) => peer(j)), found: holds(i) ? true : undefined };
      const delay = i === options.slow ? 150 : LATENCY_MS;
      return new Promise((resolve) => clock.setTimeout(() => resolve(reply), delay));
    },
    softTimeoutMs: () => 50,
    isDone: (found) => found.length >= 3,
    schedule: (ms, fn) => clock.setTimeout(fn, ms),
    cancel: (h) => clock.clear(h),
  };
  return { clock, o, queried };
}

describe('lookup quorum', () => {
  it('costs exactly quorum queries when the first ones all hold the value', async () => {
    const { clock, o, queried } = setup(() => true, { quorum: 3 });
    const result = await clock.settle(iterativeLookup(o));
    expect(result.found).toHaveLength(3);
    expect(result.queried).toBe(3);
    expect(queried).toEqual([0, 1, 2]);
  });

  it('without a quorum the freed slots launch more queries than needed', async () => {
    const { clock, o } = setup(() => true);
    const result = await clock.settle(iterativeLookup(o));
    expect(result.found.length).toBeGreaterThanOrEqual(3);
    expect(result.queried).toBeGreaterThan(3);
  });

  it('a miss launches exactly one more query', async () => {
    const { clock, o, queried } = setup((i) => i !== 1, { quorum: 3 });
    const result = await clock.settle(iterativeLookup(o));
    expect(result.found.map((a) => a.peer.address.port)).toEqual([1000, 1002, 1003]);
    expect(queried).toEqual([0, 1, 2, 3]);
  });

  it('a query past its soft timeout frees its slot for another one', async () => {
    const { clock, o, queried } = setup(() => true, { quorum: 3, slow: 0 });
    const result = await clock.settle(iterativeLookup(o));
    expect(result.found).toHaveLength(3);
    expect(queried).toEqual([0, 1, 2, 3]);
    await clock.advance(200);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('holds across disjoint paths and still ends when the holders are on one path', async () => {
    const { clock, o } = setup((i) => i % 2 === 0, { quorum: 3 });
    const result = await clock.settle(disjointLookup(o, 2));
    expect(result.found).toHaveLength(3);
    expect(result.found.every((a) => (a.peer.address.port - 1000) % 2 === 0)).toBe(true);
    expect(result.queried).toBeLessThanOrEqual(6);
  });
});
