/**
 * connectPeer over real UDP: 20 nodes on 127.0.0.1 with the default SystemClock.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../../../communities/discovery/index.js';
import { addressKey, OverlayHost, SeededRandom, UdpEndpoint } from '../../../framework/index.js';
import { randomPairs } from './discovery-net.js';

const NODES = 20;
const CALLS = 10;
const LOOPBACK = '127.0.0.1';

/** Polls `done` on the real clock until it holds or `maxMs` pass. */
async function waitFor(done: () => boolean, maxMs: number): Promise<boolean> {
  const end = Date.now() + maxMs;
  while (!done()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe('DHTDiscoveryCommunity over real UDP on 127.0.0.1', () => {
  it(`${NODES} nodes: ${CALLS} random connectPeer calls succeed with the target's real address; stop leaves no timer`, async () => {
    const started = performance.now();
    const hosts: OverlayHost[] = [];
    try {
      for (let i = 0; i < NODES; i++) {
        const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: LOOPBACK, port: 0 }) });
        host.register(DHTCommunity, { requestTimeoutMs: [100, 1_000] });
        host.register(DHTDiscoveryCommunity, { keepaliveIntervalMs: 500, requestTimeoutMs: 1_000, connectTimeoutMs: 5_000 });
        await host.start();
        expect(host.endpoint.address.host).toBe(LOOPBACK);
        hosts.push(host);
        if (i > 0) await host.get(DHTCommunity).bootstrap([hosts[0]!.endpoint.address]); // join from node 0
      }
      console.log(`udp: joined in ${Math.round(performance.now() - started)} ms`);
      // Announcements land within a few keepalive ticks (the first at 0.5–1.5 s).
      const announced = await waitFor(
        () => hosts.every((h) => h.get(DHTDiscoveryCommunity).announcer.storers.size >= h.get(DHTDiscoveryCommunity).settings.minStorers),
        20_000,
      );
      expect(announced).toBe(true);

      console.log(`udp: announced at ${Math.round(performance.now() - started)} ms`);
      const pairs = randomPairs(new SeededRandom(20), NODES, CALLS);
      const results = await Promise.allSettled(
        pairs.map(([from, to]) => hosts[from]!.get(DHTDiscoveryCommunity).connectPeer(hosts[to]!.key.publicKey.mid)),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      results.forEach((r, i) => {
        const target = hosts[pairs[i]![1]]!;
        const [peer] = (r as PromiseFulfilledResult<Awaited<ReturnType<DHTDiscoveryCommunity['connectPeer']>>>).value;
        expect(peer!.midHex).toBe(target.midHex);
        expect(addressKey(peer!.address)).toBe(addressKey(target.endpoint.address));
      });
    } finally {
      for (const h of hosts) await h.stop();
    }
    for (const h of hosts) {
      expect(h.isRunning).toBe(false);
      expect(h.clock.pendingTimers()).toBe(0);
      expect(h.endpoint.isOpen).toBe(false);
      expect(h.get(DHTDiscoveryCommunity).stats.handlerErrors).toBe(0);
    }
    console.log(`udp: ${Math.round(performance.now() - started)} ms wall`);
  });
});
