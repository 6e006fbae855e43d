/**
 * A node's own burst is not cut by its peers (issue #16): 1,000 concurrent `storeValue` calls from one node
 * of a 12-node network with the default rate limits everywhere. Without pacing, the peers' per-source
 * limits drop thousands of that node's requests and most stores fail (even with the larger bucket a known
 * contact gets); with its requests paced per destination below the peers' limits, every store succeeds
 * and no peer drops a packet of it. A stranger's flood is still cut (`flood-dht.test.ts`, unchanged).
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../communities/dht/index.js';
import { OverlayHost, PrivateKey, SeededRandom } from '../../framework/index.js';
import type { SendPacingOptions } from '../../framework/index.js';
import { simNet } from '../helpers/memory-nodes.js';
import type { SimNet } from '../helpers/memory-nodes.js';

const NODES = 12;
const STORES = 1_000;

let net: SimNet | undefined;

afterEach(async () => {
  await net?.stopAll();
  net = undefined;
});

/** 12 nodes with default rate limits, joined through the first; `pacing` for every node. */
async function network(pacing: SendPacingOptions | false | undefined): Promise<{ net: SimNet; hosts: OverlayHost[] }> {
  net = simNet(1_616, { latencyMs: 10, jitterMs: 5 });
  const n = net;
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < NODES; i++) {
    const random = new SeededRandom(50 + i);
    const host = new OverlayHost({ endpoint: n.network.createEndpoint(), key: PrivateKey.generate(random), clock: n.clock, random, pacing, bootstrap: i === 0 ? [] : [hosts[0]!.endpoint.address] });
    host.register(DHTCommunity);
    await host.start();
    n.hosts.push(host);
    hosts.push(host);
    if (i > 0) await n.clock.settle(host.get(DHTCommunity).bootstrap());
  }
  await n.clock.advance(5_000);
  return { net: n, hosts };
}

/** Runs 1,000 concurrent stores from `hosts[1]`; returns how many failed, how long they took (simulated), and the packets of it the peers dropped. */
async function burst(n: SimNet, hosts: OverlayHost[]): Promise<{ failed: number; ms: number; droppedByPeers: number; acks: number }> {
  const node = hosts[1]!;
  const dht = node.get(DHTCommunity);
  const peers = hosts.filter((h) => h !== node);
  const dropsBefore = peers.reduce((a, h) => a + h.stats.rateLimited, 0);
  const started = n.clock.now();
  const stores = Array.from({ length: STORES }, (_, i) => dht.storeValue(`bulk ${i}`, new Uint8Array(64).fill(i & 255)));
  const results = await n.clock.settle(Promise.allSettled(stores), 3_600_000);
  return {
    failed: results.filter((r) => r.status === 'rejected').length,
    ms: n.clock.now() - started,
    droppedByPeers: peers.reduce((a, h) => a + h.stats.rateLimited, 0) - dropsBefore,
    acks: results.reduce((a, r) => a + (r.status === 'fulfilled' ? r.value : 0), 0),
  };
}

describe("a node's own burst of 1,000 stores on a 12-node network with default rate limits", () => {
  it('without pacing, the peers rate-limit it and stores fail', { timeout: 240_000 }, async () => {
    const { net: n, hosts } = await network(false);
    const r = await burst(n, hosts);
    expect(r.droppedByPeers).toBeGreaterThan(1_000);
    expect(r.failed).toBeGreaterThan(100);
  });

  it("paced per destination below the peers' limits (45/s, burst 180): every store succeeds, no peer drops a packet of it", { timeout: 240_000 }, async () => {
    const { net: n, hosts } = await network(undefined);
    const r = await burst(n, hosts);
    expect(r.failed).toBe(0);
    expect(r.droppedByPeers).toBe(0);
    expect(r.acks).toBe(STORES * 8); // every store reached its k = 8 closest
    expect(hosts[1]!.pacer!.stats.delayed).toBeGreaterThan(0); // ... because requests waited their turn
  });
});
