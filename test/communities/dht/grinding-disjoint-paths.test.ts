/**
 * A dense cluster of ground ids met by a disjoint lookup (issue #16): the lookup deals the cluster's
 * members out to its paths, two to each of four, and two ground ids alone are not improbable enough to
 * flag, while all eight together are. The paths' candidates are judged together, so every ground id is
 * suspect and their answers (an old version of the value, "authoritative") do not make up the quorum.
 * Also: a cluster member the IP-group caps leave out of the window (one per /48) is suspect all the same,
 * since it may have answered before its cluster was seen.
 */
import { describe, expect, it } from 'vitest';
import { disjointLookup, iterativeLookup } from '../../../communities/dht/lookup.js';
import type { LookupPeer, QueryReply } from '../../../communities/dht/lookup.js';
import { compareDistance } from '../../../communities/dht/routing/node-id.js';
import { denseCluster } from '../../../communities/dht/routing/diverse-set.js';
import { ManualClock, SeededRandom } from '../../../framework/index.js';
import { NETWORK_SIZE, expectHonestQuorum, groundLookup, idAt } from './ground-lookup.js';

const GROUND = 8;
const HONEST = 24;

describe('a ground-id cluster split over disjoint paths', () => {
  it('is judged over all paths: every ground id is suspect and their stale answers make no quorum', async () => {
    const random = new SeededRandom(16);
    const clock = new ManualClock();
    const target = random.bytes(20);
    // Eight ground ids at 3.5e-6 .. 2.8e-5 of the id space (N * x = 0.0035 .. 0.028), honest ones at random.
    const ground = Array.from({ length: GROUND }, (_, j) => idAt(target, (j + 1) * 3.5e-6));
    const honest = Array.from({ length: HONEST }, () => random.bytes(20));
    const ids = [...ground, ...honest].sort((a, b) => compareDistance(target, a, b));
    const isGround = (id: Uint8Array): boolean => ground.includes(id);
    const peer = (id: Uint8Array): LookupPeer => ({ id, address: { host: '127.0.0.1', port: 1000 + ids.indexOf(id) } });
    const nearestHonest = honest.slice().sort((a, b) => compareDistance(target, a, b)).slice(0, 8);
    // Ground ids serve the old version and refer no one, honest ones only honest ones (so each path knows only the ground ids it was dealt); the 8 honest nodes nearest hold the new one.
    const o = groundLookup(clock, random, target, 8, ids.map(peer), (p): QueryReply<string> =>
      isGround(p.id) ? { nodes: [], found: 'old' } : { nodes: honest.map(peer), found: nearestHonest.includes(p.id) ? 'new' : undefined },
    );
    // What one path alone sees (seeds are dealt round-robin): two ground ids, not improbable enough.
    const nearest = ids.map((id) => ({ peer: peer(id) }));
    for (let path = 0; path < 4; path++) {
      const own = nearest.filter((_, i) => i % 4 === path);
      expect(denseCluster(target, own, NETWORK_SIZE, 1e-4, 8)).toBe(0);
    }
    expect(denseCluster(target, nearest, NETWORK_SIZE, 1e-4, 8)).toBe(GROUND);

    const result = await clock.settle(disjointLookup(o, 4));
    expectHonestQuorum(result, isGround);
  });

  it('marks a member the caps left out of the window, queried before its cluster was seen', async () => {
    const random = new SeededRandom(48);
    const clock = new ManualClock();
    const target = random.bytes(20);
    const ground = Array.from({ length: GROUND }, (_, j) => idAt(target, (j + 1) * 3.5e-6));
    const honest = Array.from({ length: HONEST }, () => random.bytes(20));
    const isGround = (id: Uint8Array): boolean => ground.includes(id);
    // The ground ids share one public IPv6 /48: the cap keeps one of them in the window.
    const peer = (id: Uint8Array): LookupPeer => {
      const g = ground.indexOf(id);
      return { id, address: g >= 0 ? { host: `2001:db8:77::${g + 1}`, port: 7000 } : { host: '127.0.0.1', port: 1000 + honest.indexOf(id) } };
    };
    const nearestHonest = honest.slice().sort((a, b) => compareDistance(target, a, b)).slice(0, 8);
    // We know the farthest ground id only (alone it is not improbable); its answer reveals the others.
    const seeds = [ground[GROUND - 1]!, ...honest].sort((a, b) => compareDistance(target, a, b)).map(peer);
    const o = groundLookup(clock, random, target, 8, seeds, (p): QueryReply<string> =>
      isGround(p.id) ? { nodes: ground.map(peer), found: 'old' } : { nodes: honest.map(peer), found: nearestHonest.includes(p.id) ? 'new' : undefined },
    );
    const result = await clock.settle(iterativeLookup(o));
    expect(result.found.filter((a) => isGround(a.peer.id)).map((a) => ground.indexOf(a.peer.id))).toContain(GROUND - 1);
    expectHonestQuorum(result, isGround);
  });
});
