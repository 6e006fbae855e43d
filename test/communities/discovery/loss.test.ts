/**
 * Retries under loss: with 20 % of all packets lost (every link, both ways, after the network formed),
 * connect succeeds every time, to public peers and to a peer behind a cone NAT (from public nodes and
 * from nodes behind cone NATs of their own), and every retry stays
 * within its bound (hello copies per address, find-peer copies per storer, storers per search,
 * punctures per introduction round).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_RESEND_AT_MS, MAX_HELLO_ADDRESSES } from '../../../communities/discovery/hellos.js';
import { MAX_INTRODUCTIONS } from '../../../communities/discovery/peer-search.js';
import { FIND_PEER_RESEND_AT_MS } from '../../../communities/discovery/record-requests.js';
import type { ConnectResult } from '../../../communities/discovery/index.js';
import { SeededRandom } from '../../../framework/index.js';
import { randomPairs, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNode } from './discovery-net.js';
import { natNet } from './nat-net.js';
import type { NatNet } from './nat-net.js';

const PUBLIC_NODES = 30;
const TRIES = 20;
const LOSS = 0.2;

describe('DHTDiscoveryCommunity.connect at 20 % loss', () => {
  let net: NatNet;
  let natted: DiscoveryNode;
  /** Requesters each behind a cone NAT of its own. */
  const nattedRequesters: DiscoveryNode[] = [];
  const started = performance.now();

  beforeAll(async () => {
    net = await natNet(PUBLIC_NODES, 2020);
    natted = await net.addBehind(net.network.createNat({ mapping: 'endpoint-independent' }));
    for (let i = 0; i < TRIES / 2; i++) nattedRequesters.push(await net.addBehind(net.network.createNat({ mapping: 'endpoint-independent' })));
    await net.clock.advance(15_000);
    net.network.setLossRate(LOSS);
  }, 120_000);

  afterAll(async () => {
    net.network.setLossRate(0);
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
    console.log(`loss: ${Math.round(performance.now() - started)} ms wall`);
  });

  /** Connects each pair in turn; returns every result (a failure fails the test with its message). */
  async function connectAll(pairs: Array<[DiscoveryNode, DiscoveryNode]>): Promise<ConnectResult[]> {
    const results: ConnectResult[] = [];
    for (const [from, to] of pairs) {
      const outcome = await net.clock.settle(from.discovery.connect(to.host.key.publicKey.mid).then((r) => r, (e: unknown) => e as Error));
      if (outcome instanceof Error) throw outcome;
      expect(outcome.peer.midHex).toBe(to.host.midHex);
      results.push(outcome);
    }
    return results;
  }

  /** Every retry of a search within its bound. */
  function withinBounds(r: ConnectResult): void {
    const addresses = Object.values(r.tried.addresses).reduce((a, b) => a + b, 0);
    expect(addresses).toBeLessThanOrEqual(MAX_HELLO_ADDRESSES);
    expect(r.tried.hellos).toBeLessThanOrEqual(addresses * (1 + HELLO_RESEND_AT_MS.length));
    expect(r.tried.findPeers).toBeLessThanOrEqual(r.tried.storersAsked * (1 + FIND_PEER_RESEND_AT_MS.length));
    expect(r.tried.introductions).toBeLessThanOrEqual(MAX_INTRODUCTIONS);
    expect(r.elapsedMs).toBeLessThan(10_000);
  }

  it(`${TRIES} of ${TRIES} seeded connects between public nodes succeed, retries bounded`, async () => {
    const pairs = randomPairs(new SeededRandom(8), PUBLIC_NODES, TRIES).map(([a, b]) => [net.nodes[a]!, net.nodes[b]!] as [DiscoveryNode, DiscoveryNode]);
    const results = await connectAll(pairs);
    expect(results).toHaveLength(TRIES);
    results.forEach(withinBounds);
    // Loss did cost retries: some hello went out more than once per address.
    expect(results.some((r) => r.tried.hellos > Object.values(r.tried.addresses).reduce((a, b) => a + b, 0))).toBe(true);
  }, 120_000);

  it(`${TRIES} of ${TRIES} connects from public nodes to a node behind a cone NAT succeed, punctures bounded`, async () => {
    const pairs = Array.from({ length: TRIES }, (_, i) => [net.nodes[PUBLIC_NODES - 1 - i]!, natted] as [DiscoveryNode, DiscoveryNode]);
    const punctures = natted.discovery.puncturer.sent;
    const results = await connectAll(pairs);
    expect(results).toHaveLength(TRIES);
    results.forEach(withinBounds);
    // At most 3 punctures (and one to a LAN address) per round, one round per requester per join window.
    expect(natted.discovery.puncturer.sent - punctures).toBeLessThanOrEqual(TRIES * 4);
  }, 120_000);

  it(`${TRIES / 2} of ${TRIES / 2} connects between nodes behind two cone NATs succeed`, async () => {
    const results = await connectAll(nattedRequesters.map((r) => [r, natted] as [DiscoveryNode, DiscoveryNode]));
    expect(results).toHaveLength(TRIES / 2);
    results.forEach(withinBounds);
    console.log(`loss: NATed -> NATed paths ${results.map((r) => r.path).join(' ')}, virtual ms ${results.map((r) => r.elapsedMs).join(' ')}`);
  }, 120_000);
});
