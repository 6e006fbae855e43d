/**
 * How the storers' stage of a connect copes with nodes that do not answer (issue #17, `npm run test:net`):
 * - nodes that left (the stopped requesters of earlier connects, still listed in routing tables) are
 *   asked by the lookup toward the mid and never answer: the find-peer requests to the storers that did
 *   answer go out at once, not after the lookup waited out the hard timeouts of the dead ones (on the
 *   real network every punched connect took about 1.6 s for that);
 * - a round of lookup and storers that lost everything (no storer answered) is followed by another while
 *   the search has bounds left, where it used to end at once with `not-found`;
 * - a peer with no record anywhere (every storer answered without one) still ends early.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DHTError } from '../../../communities/dht/index.js';
import type { ConnectResult } from '../../../communities/discovery/index.js';
import { MAX_STORER_ROUNDS } from '../../../communities/discovery/peer-search.js';
import { PrivateKey, SeededRandom } from '../../../framework/index.js';
import type { MemoryNat } from '../../../framework/index.js';
import { stopAndDrain } from './discovery-net.js';
import type { DiscoveryNode } from './discovery-net.js';
import { natNet } from './nat-net.js';
import type { NatNet } from './nat-net.js';

const PUBLIC_NODES = 8;
/** Nodes that join and leave before the connects (their entries stay in the others' routing tables). */
const DEAD_NODES = 8;

async function attempt(net: NatNet, from: DiscoveryNode, mid: Uint8Array, during?: () => Promise<void>): Promise<{ result?: ConnectResult; error?: DHTError; elapsedMs: number }> {
  const begin = net.clock.now();
  const outcome = from.discovery.connect(mid).then(
    (result) => ({ result }),
    (error: unknown) => ({ error: error as DHTError }),
  );
  await during?.();
  const settled = await net.clock.settle(outcome);
  return { ...settled, elapsedMs: net.clock.now() - begin };
}

describe('connect: storers asked while the lookup runs, and again after a lost round', () => {
  let net: NatNet;
  let cone: MemoryNat;
  let peer: DiscoveryNode; // behind a cone NAT

  beforeAll(async () => {
    net = await natNet(PUBLIC_NODES, 4242);
    cone = net.network.createNat({ mapping: 'endpoint-independent' });
    peer = await net.addBehind(cone);
    await net.clock.advance(15_000); // the peer announced its record
    // Nodes that join (every public node learns them) and leave without a word.
    const dead: DiscoveryNode[] = [];
    for (let i = 0; i < DEAD_NODES; i++) dead.push(await net.addNode());
    await net.clock.advance(2_000);
    for (const d of dead) await d.host.stop();
    const listed = net.nodes.slice(0, PUBLIC_NODES).filter((n) => dead.some((d) => n.dht.routingTable.has(d.host.key.publicKey.mid)));
    expect(listed.length).toBeGreaterThan(0);
  }, 60_000);

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
  });

  it('fresh requesters behind a cone NAT reach the peer punched within 300 virtual ms, whatever dead nodes the lookup meets', async () => {
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const from = await net.addBehind(net.network.createNat({ mapping: 'endpoint-independent' }));
      const { result, elapsedMs } = await attempt(net, from, peer.host.key.publicKey.mid);
      expect(result?.peer.midHex).toBe(peer.host.midHex);
      expect(result?.path).toBe('punched');
      times.push(elapsedMs);
    }
    // Before: the storers were asked only once the lookup had converged, after the hard timeouts of the
    // dead nodes it asked (every connect over 1 s).
    for (const ms of times) expect(ms).toBeLessThan(300);
  });

  it('a first round that lost every packet is followed by another: connected, not not-found', async () => {
    const from = await net.addNode();
    const others = net.hosts.filter((h) => h !== from.host).map((h) => h.endpoint.address);
    const { result, error, elapsedMs } = await attempt(net, from, peer.host.key.publicKey.mid, async () => {
      // Every packet of the requester is lost for its first second: its lookup's finds time out (500 ms
      // for nodes with a known round trip), and the routing table drops their contacts. Before, the
      // search then ended at once with not-found (0 storers asked); now it asks again, from the nodes it
      // met, once the round that lost everything ended.
      net.network.partition([from.host.endpoint.address], others);
      await net.clock.advance(1_000);
      net.network.heal();
    });
    expect(error?.message).toBeUndefined();
    expect(result?.peer.midHex).toBe(peer.host.midHex);
    expect(result?.tried.introductions).toBeGreaterThanOrEqual(1);
    expect(elapsedMs).toBeLessThan(3_000);
  });

  it(`a mid nobody holds a record of ends early with not-found, after at most ${MAX_STORER_ROUNDS} rounds`, async () => {
    const from = await net.addNode();
    const nobody = PrivateKey.generate(new SeededRandom(99)).publicKey.mid;
    const { error, elapsedMs } = await attempt(net, from, nobody);
    expect(error?.reason).toBe('not-found');
    expect(error?.message).toContain('every node that could know it was asked');
    expect(elapsedMs).toBeLessThan(from.discovery.settings.connectTimeoutMs / 2);
  });
});
