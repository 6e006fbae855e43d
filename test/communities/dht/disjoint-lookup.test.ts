/**
 * `disjointLookup` (S/Kademlia) on a synthetic network without messages: 2,000 nodes with Kademlia
 * routing tables (k per shared-prefix length), 20% of them adversaries that answer every query with the
 * k adversaries closest to the target and never hold a value. A lookup succeeds when it reaches an
 * honest node among the k closest to the target (the value's holders).
 */
import { describe, expect, it } from 'vitest';
import { ImpostorError } from '../../../communities/dht/errors.js';
import { disjointLookup, iterativeLookup } from '../../../communities/dht/lookup.js';
import type { LookupOptions, LookupPeer, QueryReply } from '../../../communities/dht/lookup.js';
import { commonPrefixLength, compareDistance } from '../../../communities/dht/routing/node-id.js';
import { ManualClock, SeededRandom, toHex } from '../../../framework/index.js';

const N = 2_000;
/** The default bucket size: with it one path fails a few % of lookups, four paths none. */
const K = 8;
const LATENCY_MS = 10;

interface SyntheticNet {
  ids: Uint8Array[];
  adversary: boolean[];
  /** Every node's index, and the adversaries' indexes. */
  all: number[];
  adversaries: number[];
  tables: number[][];
  index: Map<string, number>;
}

/** Random ids; each node keeps up to k random nodes per shared-prefix length (a Kademlia table). */
function buildNet(seed: number, adversaryFraction: number): SyntheticNet {
  const random = new SeededRandom(seed);
  const ids = Array.from({ length: N }, () => random.bytes(20));
  const adversary = ids.map(() => random.float() < adversaryFraction);
  const tables = ids.map((self, i) => {
    const buckets = new Map<number, number[]>();
    for (let j = 0; j < N; j++) {
      if (j === i) continue;
      const cpl = commonPrefixLength(self, ids[j]!);
      const b = buckets.get(cpl) ?? [];
      b.push(j);
      buckets.set(cpl, b);
    }
    return [...buckets.values()].flatMap((b) => shuffle(b, random).slice(0, K));
  });
  const all = ids.map((_, i) => i);
  return { ids, adversary, all, adversaries: all.filter((i) => adversary[i]), tables, index: new Map(ids.map((id, i) => [toHex(id), i])) };
}

function shuffle<T>(items: T[], random: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function closest(net: SyntheticNet, target: Uint8Array, among: readonly number[], n: number): number[] {
  return [...among].sort((a, b) => compareDistance(target, net.ids[a]!, net.ids[b]!)).slice(0, n);
}

/**
 * Lookup options for `asker` toward `target` on the synthetic network; `queried` counts queries per node
 * (made-up ids under -1). With `fabricate`, adversaries answer with k made-up ids next to the target
 * instead, and a query to a made-up id fails with an {@link ImpostorError} (as the DHT's does).
 */
function options(
  net: SyntheticNet,
  clock: ManualClock,
  asker: number,
  target: Uint8Array,
  queried: Map<number, number>,
  fabricate?: SeededRandom,
): LookupOptions<true, QueryReply<true>> {
  const peer = (i: number): LookupPeer => ({ id: net.ids[i]!, address: { host: '198.18.0.1', port: i + 1 } });
  const holders = new Set(closest(net, target, net.all, K).filter((i) => !net.adversary[i]));
  const fake = (): LookupPeer => {
    const id = Uint8Array.from(target);
    id.set(fabricate!.bytes(4), 16);
    return { id, address: { host: '198.18.0.1', port: 0 } };
  };
  const evilAnswer = (): LookupPeer[] => (fabricate === undefined ? closest(net, target, net.adversaries, K).map(peer) : Array.from({ length: K }, fake));
  return {
    target,
    selfId: net.ids[asker]!,
    k: K,
    alpha: 3,
    seeds: closest(net, target, net.tables[asker]!, 4 * K).map(peer),
    query: (p) => {
      const i = net.index.get(toHex(p.id)) ?? -1;
      queried.set(i, (queried.get(i) ?? 0) + 1);
      if (i < 0) return new Promise((_, reject) => clock.setTimeout(() => reject(new ImpostorError('made-up id')), LATENCY_MS));
      const reply: QueryReply<true> = net.adversary[i]
        ? { nodes: evilAnswer() }
        : { nodes: closest(net, target, net.tables[i]!, K).map(peer), found: holders.has(i) ? true : undefined };
      return new Promise((resolve) => clock.setTimeout(() => resolve(reply), LATENCY_MS));
    },
    softTimeoutMs: () => 100,
    isDone: (found) => found.length > 0,
    schedule: (ms, fn) => clock.setTimeout(fn, ms),
    cancel: (h) => clock.clear(h),
  };
}

/** Success rate of `lookups` lookups from random honest nodes toward random targets, with `paths` paths. */
async function successRate(net: SyntheticNet, paths: number, lookups: number, seed: number): Promise<{ rate: number; duplicates: number }> {
  const random = new SeededRandom(seed);
  const clock = new ManualClock();
  let succeeded = 0;
  let duplicates = 0;
  for (let n = 0; n < lookups; n++) {
    let asker = random.int(N);
    while (net.adversary[asker]) asker = random.int(N);
    const queried = new Map<number, number>();
    const result = await clock.settle(disjointLookup(options(net, clock, asker, random.bytes(20), queried), paths));
    if (result.found.length > 0) succeeded++;
    for (const count of queried.values()) if (count > 1) duplicates++;
    expect(result.queried).toBe([...queried.values()].reduce((a, b) => a + b, 0));
  }
  await clock.advance(LATENCY_MS); // answers still in flight after early stops land; the lookups left no timer
  expect(clock.pendingTimers()).toBe(0);
  return { rate: succeeded / lookups, duplicates };
}

describe('disjointLookup on a synthetic network with 20% adversaries', () => {
  const net = buildNet(7, 0.2);

  it('4 disjoint paths succeed more often than 1 (S/Kademlia), and no node is queried twice', async () => {
    const plain = await successRate(net, 1, 300, 1);
    const disjoint = await successRate(net, 4, 300, 1);
    console.log(`synthetic N=${N}, 20% adversaries, k=${K}: d=1 ${(plain.rate * 100).toFixed(1)}%, d=4 ${(disjoint.rate * 100).toFixed(1)}%`);
    expect(disjoint.rate).toBeGreaterThanOrEqual(0.99);
    expect(disjoint.rate).toBeGreaterThan(plain.rate);
    expect(disjoint.duplicates).toBe(0); // the paths share no node
    expect(plain.duplicates).toBe(0);
  });

  it('a made-up id condemns whoever referred it: its answer and its other referrals are dropped', async () => {
    const random = new SeededRandom(5);
    const clock = new ManualClock();
    const lookups = 150;
    let succeeded = 0;
    for (let n = 0; n < lookups; n++) {
      let asker = random.int(N);
      while (net.adversary[asker]) asker = random.int(N);
      const queried = new Map<number, number>();
      // No early stop: the lookup runs until its k closest live candidates all answered.
      const result = await clock.settle(disjointLookup({ ...options(net, clock, asker, random.bytes(20), queried, random), isDone: undefined }, 4));
      if (result.found.length > 0) succeeded++;
      // Every adversary that answered referred k made-up ids, all closer than anything: at most alpha of
      // them were queried before the first failure condemned it, and none of them is in the result.
      const adversariesQueried = [...queried.keys()].filter((i) => i >= 0 && net.adversary[i]).length;
      expect(queried.get(-1) ?? 0).toBeLessThanOrEqual(3 * adversariesQueried);
      expect(result.closest.filter((a) => net.adversary[net.index.get(toHex(a.peer.id))!])).toEqual([]);
    }
    await clock.advance(LATENCY_MS);
    console.log(`synthetic N=${N}, 20% adversaries making up ids, k=${K}, d=4: ${((succeeded / lookups) * 100).toFixed(1)}%`);
    expect(succeeded / lookups).toBeGreaterThanOrEqual(0.99);
  });

  it('one path is exactly the iterative lookup, and the merged result holds the k closest answers', async () => {
    const clock = new ManualClock();
    const target = new SeededRandom(3).bytes(20);
    const a = await clock.settle(iterativeLookup({ ...options(net, clock, 0, target, new Map()), isDone: undefined }));
    const b = await clock.settle(disjointLookup({ ...options(net, clock, 0, target, new Map()), isDone: undefined }, 1));
    expect(b.closest.map((x) => toHex(x.peer.id))).toEqual(a.closest.map((x) => toHex(x.peer.id)));
    expect(b.queried).toBe(a.queried);
    const d = await clock.settle(disjointLookup({ ...options(net, clock, 0, target, new Map()), isDone: undefined }, 4));
    expect(d.closest.length).toBe(K);
    const ids = d.closest.map((x) => x.peer.id);
    for (let i = 1; i < ids.length; i++) expect(compareDistance(target, ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    await expect(disjointLookup(options(net, clock, 0, target, new Map()), 0)).rejects.toThrow(/paths/);
  });
});
