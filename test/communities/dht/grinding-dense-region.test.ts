/**
 * A dense cluster of 2k ground ids at a key (issue #16): the cluster is looked for among the k nearest
 * nodes, but the region it marks as suspect goes on as long as it stays improbably dense, so the ground
 * ids ranked k+1 to 2k are suspect too. Before, they were window members like honest nodes: the lookup
 * queried them, and their stale "authoritative" answers made up the quorum.
 */
import { describe, expect, it } from 'vitest';
import { disjointLookup } from '../../../communities/dht/lookup.js';
import type { LookupOptions, LookupPeer, QueryReply } from '../../../communities/dht/lookup.js';
import { compareDistance } from '../../../communities/dht/routing/node-id.js';
import { diverseSelector } from '../../../communities/dht/routing/diverse-set.js';
import { ManualClock, SeededRandom } from '../../../framework/index.js';

const NETWORK_SIZE = 1_000;
const K = 8;
const GROUND = 2 * K;
const HONEST = 40;
const LATENCY_MS = 10;

/** `target` XOR a distance of `fraction` of the id space. */
function at(target: Uint8Array, fraction: number): Uint8Array {
  let delta = BigInt(Math.round(fraction * 2 ** 56)) << 104n;
  const id = Uint8Array.from(target);
  for (let i = 19; i >= 0; i--, delta >>= 8n) id[i]! ^= Number(delta & 0xffn);
  return id;
}

describe('a dense region of 2k ground ids at a key', () => {
  for (const paths of [1, 4]) {
    it(`with ${paths} path(s): every ground id is suspect, and the quorum is made of the honest storers' newest version`, async () => {
      const random = new SeededRandom(32 + paths);
      const clock = new ManualClock();
      const target = random.bytes(20);
      // 2k ground ids at 3.5e-6 .. 5.6e-5 of the id space (N x = 0.0035 .. 0.056), on loopback (no IP-group
      // cap applies: only the density check stands between them and the window).
      const ground = Array.from({ length: GROUND }, (_, j) => at(target, (j + 1) * 3.5e-6));
      const honest = Array.from({ length: HONEST }, () => random.bytes(20));
      const isGround = (id: Uint8Array): boolean => ground.includes(id);
      const peer = (id: Uint8Array): LookupPeer => ({ id, address: { host: '127.0.0.1', port: 1000 + (isGround(id) ? ground.indexOf(id) : 100 + honest.indexOf(id)) } });
      const storers = honest.slice().sort((a, b) => compareDistance(target, a, b)).slice(0, K);
      let queries = 0;
      const o: LookupOptions<string, QueryReply<string>> = {
        target,
        selfId: random.bytes(20),
        k: K,
        alpha: 3,
        seeds: honest.slice().sort((a, b) => compareDistance(target, a, b)).slice(K).map(peer),
        quorum: 3,
        // Ground ids serve the old version and refer each other; honest nodes refer everyone they know; the
        // k honest nodes nearest the key hold the new version.
        query: (p) => {
          queries++;
          const reply: QueryReply<string> = isGround(p.id) ? { nodes: ground.map(peer), found: 'old' } : { nodes: [...ground, ...honest].map(peer), found: storers.includes(p.id) ? 'new' : undefined };
          return new Promise((resolve) => clock.setTimeout(() => resolve(reply), LATENCY_MS));
        },
        softTimeoutMs: () => 50,
        isDone: (found) => found.filter((a) => a.suspect !== true).length >= 3,
        schedule: (ms, fn) => clock.setTimeout(fn, ms),
        cancel: (h) => clock.clear(h),
        select: diverseSelector({ networkSize: () => NETWORK_SIZE }),
      };
      const result = await clock.settle(disjointLookup(o, paths));
      expect(queries).toBe(result.queried);
      const fromGround = result.found.filter((a) => isGround(a.peer.id));
      expect(fromGround.length).toBeGreaterThan(0);
      expect(fromGround.every((a) => a.suspect === true)).toBe(true);
      const counted = result.found.filter((a) => a.suspect !== true);
      expect(counted.length).toBeGreaterThanOrEqual(3);
      expect(counted.every((a) => a.reply.found === 'new')).toBe(true);
      // The result holds at most k of the ground ids (the suspect places), never one as a member.
      expect(result.closest.filter((a) => isGround(a.peer.id)).length).toBeLessThanOrEqual(K);
      expect(clock.pendingTimers()).toBe(0);
    });
  }
});
