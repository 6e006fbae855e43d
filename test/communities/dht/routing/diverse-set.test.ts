/**
 * The choice of a lookup's k closest when ids can be ground (issue #16): IP-group caps on the set, the
 * dense-cluster check against a network-size estimate, the Poisson tail it rests on, the estimate itself,
 * and a lookup that converges past a ground cluster whose answers do not count toward its quorum.
 */
import { describe, expect, it } from 'vitest';
import { disjointLookup } from '../../../../communities/dht/lookup.js';
import type { LookupPeer, QueryReply } from '../../../../communities/dht/lookup.js';
import { denseCluster, distanceFraction, diverseSelector, poissonTail } from '../../../../communities/dht/routing/diverse-set.js';
import { estimateNetworkSize } from '../../../../communities/dht/routing/network-size.js';
import { ManualClock, SeededRandom, toHex } from '../../../../framework/index.js';

const random = new SeededRandom(16);

/** An id at `fraction` of the id space from `target` (XOR in the first 7 bytes). */
function idAt(target: Uint8Array, fraction: number): Uint8Array {
  const id = Uint8Array.from(target);
  let x = fraction;
  for (let i = 0; i < 7; i++) {
    x *= 256;
    const byte = Math.floor(x);
    x -= byte;
    id[i] = target[i]! ^ byte;
  }
  return id;
}

const node = (id: Uint8Array, host: string, port = 7000): { peer: LookupPeer } => ({ peer: { id, address: { host, port } } });

describe('diverseSelector: IP-group caps', () => {
  const target = random.bytes(20);

  it('keeps at most one node per /24 and per /48 among the k chosen, and fills k from the others', () => {
    const sybils = Array.from({ length: 6 }, (_, i) => node(idAt(target, (i + 1) * 1e-9), `203.0.113.${i + 1}`, 7000 + i));
    const v6 = Array.from({ length: 3 }, (_, i) => node(idAt(target, (i + 7) * 1e-9), `2001:db8:77:${i + 1}::1`));
    const honest = Array.from({ length: 10 }, (_, i) => node(idAt(target, (i + 1) * 1e-3), `198.18.${i}.1`));
    const { chosen, suspect } = diverseSelector({ maxPerGroup: 1 }).pick(target, [...sybils, ...v6, ...honest], 8);
    expect(suspect).toBe(0);
    expect(chosen.map((c) => c.peer.address.host)).toEqual(['203.0.113.1', '2001:db8:77:1::1', ...honest.slice(0, 6).map((h) => h.peer.address.host)]);
  });

  it('leaves loopback and private hosts uncapped, and Infinity turns the cap off', () => {
    const local = Array.from({ length: 10 }, (_, i) => node(idAt(target, (i + 1) * 1e-6), '127.0.0.1', 7000 + i));
    expect(diverseSelector({ maxPerGroup: 1 }).pick(target, local, 8).chosen).toEqual(local.slice(0, 8));
    const sybils = Array.from({ length: 10 }, (_, i) => node(idAt(target, (i + 1) * 1e-6), `203.0.113.${i + 1}`));
    expect(diverseSelector({ maxPerGroup: Infinity }).pick(target, sybils, 8).chosen).toEqual(sybils.slice(0, 8));
    expect(diverseSelector({ maxPerGroup: 2 }).pick(target, sybils, 8).chosen).toEqual(sybils.slice(0, 2));
  });

  it('a custom exemption is its own: selectors with the default one (sharing one memo) still cap what it exempts, and it caps what they exempt', () => {
    const sybils = Array.from({ length: 10 }, (_, i) => node(idAt(target, (i + 1) * 1e-6), `203.0.113.${i + 1}`));
    const local = Array.from({ length: 10 }, (_, i) => node(idAt(target, (i + 1) * 1e-6), '10.0.0.1', 7000 + i));
    const custom = diverseSelector({ maxPerGroup: 1, exempt: (host) => host.startsWith('203.0.113.') });
    for (let round = 0; round < 2; round++) {
      expect(custom.pick(target, sybils, 8).chosen).toEqual(sybils.slice(0, 8));
      expect(diverseSelector({ maxPerGroup: 1 }).pick(target, sybils, 8).chosen).toEqual(sybils.slice(0, 1));
      expect(custom.pick(target, local, 8).chosen).toEqual(local.slice(0, 1));
      expect(diverseSelector({ maxPerGroup: 1 }).pick(target, local, 8).chosen).toEqual(local.slice(0, 8));
    }
  });

  it('refuses a cap that is not an integer >= 1 or Infinity', () => {
    expect(() => diverseSelector({ maxPerGroup: 0 })).toThrow(/maxPerGroup/);
    expect(() => diverseSelector({ densityThreshold: 1 })).toThrow(/densityThreshold/);
  });
});

describe('diverseSelector: dense clusters', () => {
  const N = 1_000;

  it('keeps a ground cluster as suspect members and k nodes at the normal spread beyond it', () => {
    const target = random.bytes(20);
    const ground = Array.from({ length: 4 }, (_, i) => node(idAt(target, (i + 1) * 1e-6), `203.0.${113 + i}.1`));
    const honest = Array.from({ length: 12 }, (_, i) => node(idAt(target, (i + 0.5) / N), `198.18.${i}.1`));
    const { chosen, suspect } = diverseSelector({ networkSize: () => N }).pick(target, [...ground, ...honest], 8);
    expect(suspect).toBe(4);
    expect(chosen).toEqual([...ground, ...honest.slice(0, 8)]);
    // Without an estimate there is no check: the cluster takes 4 of the k places.
    expect(diverseSelector({}).pick(target, [...ground, ...honest], 8).chosen).toEqual([...ground, ...honest.slice(0, 4)]);
  });

  it('does not take the node at exactly the target (a lookup of its id) for a cluster', () => {
    const target = random.bytes(20);
    const honest = Array.from({ length: 10 }, (_, i) => node(idAt(target, (i + 0.5) / N), `198.18.${i}.1`));
    const self = node(Uint8Array.from(target), '198.18.99.1');
    const { chosen, suspect } = diverseSelector({ networkSize: () => N }).pick(target, [self, ...honest], 8);
    expect(suspect).toBe(0);
    expect(chosen).toEqual([self, ...honest.slice(0, 7)]);
  });

  it('keeps at most k suspect places, yet every ground id of the dense region is suspect and k honest nodes come after them all', () => {
    const target = random.bytes(20);
    const ground = Array.from({ length: 20 }, (_, i) => node(idAt(target, (i + 1) * 1e-7), '127.0.0.1', 7000 + i));
    const honest = Array.from({ length: 12 }, (_, i) => node(idAt(target, (i + 0.5) / N), `198.18.${i}.1`));
    // The 9th ground id alone is not improbable (N x = 9e-4): only the region it sits in is.
    expect(denseCluster(target, ground.slice(8, 9), N, 1e-4, 8)).toBe(0);
    const { chosen, suspect, cluster } = diverseSelector({ networkSize: () => N }).pick(target, [...ground, ...honest], 8);
    expect(suspect).toBe(8);
    expect(cluster).toEqual(ground);
    expect(chosen).toEqual([...ground.slice(0, 8), ...honest.slice(0, 8)]);
    // Two suspect places per k: 16 of the ground ids in the set, all 20 suspect, the same 8 honest beyond.
    const wide = diverseSelector({ networkSize: () => N, maxSuspectPerK: 2 }).pick(target, [...ground, ...honest], 8);
    expect(wide.suspect).toBe(16);
    expect(wide.cluster).toEqual(ground);
    expect(wide.chosen).toEqual([...ground.slice(0, 16), ...honest.slice(0, 8)]);
  });

  it('ends the dense region where the ground ids end, however many honest nodes follow', () => {
    const target = random.bytes(20);
    // 2k ground ids spread like the grinder's best (j / 65,536 of the id space), then a network of random ids.
    const ground = Array.from({ length: 16 }, (_, i) => node(idAt(target, (i + 1) / 65_536 / 100), `203.0.${113 + (i % 4)}.${1 + i}`));
    const honest = Array.from({ length: N }, (_, j) => node(random.bytes(20), `198.${18 + (j >> 8)}.${j & 255}.1`)).sort((a, b) => distanceFraction(target, a.peer.id) - distanceFraction(target, b.peer.id));
    const pick = diverseSelector({ networkSize: () => N, maxPerGroup: Infinity }).pick(target, [...ground, ...honest], 8);
    expect(pick.cluster).toEqual(ground);
    expect(pick.chosen).toEqual([...ground.slice(0, 8), ...honest.slice(0, 8)]);
  });

  it('finds no cluster at most keys of a network of random ids', () => {
    const ids = Array.from({ length: N }, () => random.bytes(20));
    let flagged = 0;
    const keys = 300;
    for (let i = 0; i < keys; i++) {
      const target = random.bytes(20);
      const sorted = ids.map((id, j) => node(id, `198.${18 + (j >> 8)}.${j & 255}.1`)).sort((a, b) => distanceFraction(target, a.peer.id) - distanceFraction(target, b.peer.id));
      if (diverseSelector({ networkSize: () => N }).pick(target, sorted, 8).suspect > 0) flagged++;
    }
    expect(flagged / keys).toBeLessThan(0.04); // about 1 % expected (the threshold)
  });

  it('denseCluster is the longest improbable prefix', () => {
    const target = random.bytes(20);
    const list = [1e-7, 2e-7, 0.5e-3, 1.5e-3].map((f) => node(idAt(target, f), '198.18.0.1'));
    expect(denseCluster(target, list, N, 1e-2, 8)).toBe(2);
    expect(denseCluster(target, list, N, 1e-2, 1)).toBe(1);
  });
});

describe('poissonTail and the network-size estimate', () => {
  it('matches closed forms', () => {
    for (const lambda of [1e-4, 0.01, 0.5, 2]) expect(poissonTail(lambda, 1)).toBeCloseTo(1 - Math.exp(-lambda), 10);
    expect(poissonTail(1, 2)).toBeCloseTo(1 - 2 / Math.E, 10);
    expect(poissonTail(0.1, 4)).toBeCloseTo(Math.exp(-0.1) * (0.1 ** 4 / 24) * (1 + 0.1 / 5 + 0.01 / 30 + 0.001 / 210), 12);
    expect(poissonTail(5, 3)).toBeCloseTo(1 - Math.exp(-5) * (1 + 5 + 12.5), 12);
    expect(poissonTail(0, 1)).toBe(0);
  });

  it('estimates the size of a network of random ids from the k closest to our id', () => {
    let within = 0;
    for (const n of [100, 1_000, 10_000]) {
      for (let run = 0; run < 10; run++) {
        const self = random.bytes(20);
        const others = Array.from({ length: n - 1 }, () => random.bytes(20)).sort((a, b) => distanceFraction(self, a) - distanceFraction(self, b));
        const estimate = estimateNetworkSize(self, others.slice(0, 8))!;
        if (estimate > n / 2.5 && estimate < n * 2.5) within++;
      }
    }
    expect(within).toBeGreaterThanOrEqual(27);
    expect(estimateNetworkSize(random.bytes(20), [random.bytes(20), random.bytes(20)])).toBeUndefined();
  });
});

describe('a lookup past a ground cluster', () => {
  it('converges on k honest nodes beyond the cluster, and the cluster does not make up the quorum', async () => {
    const target = random.bytes(20);
    const N = 1_000;
    const ground = Array.from({ length: 4 }, (_, i) => ({ id: idAt(target, (i + 1) * 1e-7), address: { host: `203.0.${113 + i}.1`, port: 7000 } }));
    const honest = Array.from({ length: 30 }, (_, i) => ({ id: idAt(target, (i + 0.5) / N), address: { host: `198.18.${i}.1`, port: 7000 } }));
    const holders = new Set(honest.slice(0, 8).map((h) => toHex(h.id)));
    const evil = new Set(ground.map((g) => toHex(g.id)));
    // Ground nodes answer with each other and a stale value; honest nodes know everyone; the 8 nearest honest hold the value.
    const query = async (peer: LookupPeer): Promise<QueryReply<string>> => {
      if (evil.has(toHex(peer.id))) return { nodes: ground, found: 'stale' };
      return holders.has(toHex(peer.id)) ? { nodes: [...ground, ...honest], found: 'fresh' } : { nodes: [...ground, ...honest] };
    };
    const clock = new ManualClock();
    const run = (select: ReturnType<typeof diverseSelector> | undefined) =>
      clock.settle(
        disjointLookup<string, QueryReply<string>>(
          {
            target,
            selfId: random.bytes(20),
            k: 8,
            alpha: 3,
            seeds: honest.slice(20),
            quorum: 3,
            isDone: (found) => found.filter((a) => a.suspect !== true).length >= 3,
            query,
            softTimeoutMs: () => 500,
            schedule: (ms, fn) => clock.setTimeout(fn, ms),
            cancel: (h) => clock.clear(h),
            select,
          },
          1,
        ),
        60_000,
      );
    const defended = await run(diverseSelector({ networkSize: () => N }));
    expect(defended.found.filter((a) => a.suspect !== true).map((a) => a.reply.found)).toEqual(['fresh', 'fresh', 'fresh']);
    expect(defended.found.filter((a) => a.suspect === true).every((a) => a.reply.found === 'stale')).toBe(true);
    // Without the check, the ground nodes' stale answers make up the quorum.
    const plain = await run(undefined);
    expect(plain.found.slice(0, 3).map((a) => a.reply.found)).toContain('stale');
  });
});
