/**
 * A dense cluster of 2k ground ids at a key (issue #16): the cluster is looked for among the k nearest
 * nodes, but the region it marks as suspect goes on as long as it stays improbably dense, so the ground
 * ids ranked k+1 to 2k are suspect too. Before, they were window members like honest nodes: the lookup
 * queried them, and their stale "authoritative" answers made up the quorum.
 */
import { describe, expect, it } from 'vitest';
import { disjointLookup } from '../../../communities/dht/lookup.js';
import type { LookupPeer, QueryReply } from '../../../communities/dht/lookup.js';
import { compareDistance } from '../../../communities/dht/routing/node-id.js';
import { ManualClock, SeededRandom } from '../../../framework/index.js';
import { expectHonestQuorum, groundLookup, idAt } from './ground-lookup.js';

const K = 8;
const GROUND = 2 * K;
const HONEST = 40;

describe('a dense region of 2k ground ids at a key', () => {
  for (const paths of [1, 4]) {
    it(`with ${paths} path(s): every ground id is suspect, and the quorum is made of the honest storers' newest version`, async () => {
      const random = new SeededRandom(32 + paths);
      const clock = new ManualClock();
      const target = random.bytes(20);
      // 2k ground ids at 3.5e-6 .. 5.6e-5 of the id space (N x = 0.0035 .. 0.056), on loopback (no IP-group
      // cap applies: only the density check stands between them and the window).
      const ground = Array.from({ length: GROUND }, (_, j) => idAt(target, (j + 1) * 3.5e-6));
      const honest = Array.from({ length: HONEST }, () => random.bytes(20));
      const isGround = (id: Uint8Array): boolean => ground.includes(id);
      const peer = (id: Uint8Array): LookupPeer => ({ id, address: { host: '127.0.0.1', port: 1000 + (isGround(id) ? ground.indexOf(id) : 100 + honest.indexOf(id)) } });
      const storers = honest.slice().sort((a, b) => compareDistance(target, a, b)).slice(0, K);
      let queries = 0;
      const seeds = honest.slice().sort((a, b) => compareDistance(target, a, b)).slice(K).map(peer);
      // Ground ids serve the old version and refer each other; honest nodes refer everyone they know; the
      // k honest nodes nearest the key hold the new version.
      const o = groundLookup(clock, random, target, K, seeds, (p): QueryReply<string> => {
        queries++;
        return isGround(p.id) ? { nodes: ground.map(peer), found: 'old' } : { nodes: [...ground, ...honest].map(peer), found: storers.includes(p.id) ? 'new' : undefined };
      });
      const result = await clock.settle(disjointLookup(o, paths));
      expect(queries).toBe(result.queried);
      expectHonestQuorum(result, isGround);
      // The result holds at most k of the ground ids (the suspect places), never one as a member.
      expect(result.closest.filter((a) => isGround(a.peer.id)).length).toBeLessThanOrEqual(K);
      expect(clock.pendingTimers()).toBe(0);
    });
  }
});
