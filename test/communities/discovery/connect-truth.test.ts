/**
 * connectPeer tells the truth fast (issue #15): a mid nobody holds ends in `not-found` as soon as the
 * search is exhausted, not at the timeout; a success rests on a proof the peer gave during the call, so a
 * peer that stopped is no longer reported (the cache answers only when asked with `cached: true`). And
 * `ping(mid)`: the peer found that way, then one DHT ping, whose round trip the simulated latency fixes.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTError } from '../../../communities/dht/index.js';
import { addressKey, SeededRandom } from '../../../framework/index.js';
import { discoveryNet, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';

const NODES = 40;

/** Runs `promise` on the virtual clock; returns its outcome and the virtual ms it took. */
async function timed<T>(net: DiscoveryNet, promise: Promise<T>): Promise<{ value?: T; error?: unknown; elapsedMs: number }> {
  const begin = net.clock.now();
  let endedAt = Number.NaN;
  const outcome = promise.then(
    (value) => {
      endedAt = net.clock.now() - begin;
      return { value };
    },
    (error: unknown) => {
      endedAt = net.clock.now() - begin;
      return { error };
    },
  );
  const result = await net.clock.settle(outcome);
  return { ...result, elapsedMs: endedAt };
}

describe('DHTDiscoveryCommunity: connectPeer tells the truth fast', () => {
  let net: DiscoveryNet;
  let requester: DiscoveryNode;

  beforeAll(async () => {
    net = await discoveryNet(NODES, 1515);
    await net.clock.advance(15_000); // every node announced its record
    requester = net.nodes[3]!;
  });

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
  });

  it('a mid nobody holds: not-found once the search is exhausted, well before the 10 s timeout', async () => {
    expect(requester.discovery.settings.connectTimeoutMs).toBe(10_000);
    const random = new SeededRandom(99);
    for (let i = 0; i < 3; i++) {
      const mid = random.bytes(20);
      const { error, elapsedMs } = await timed(net, requester.discovery.connectPeer(mid));
      expect(error).toBeInstanceOf(DHTError);
      expect((error as DHTError).reason).toBe('not-found');
      expect((error as DHTError).message).toMatch(/every node that could know it was asked/);
      expect(elapsedMs).toBeLessThan(3_000);
    }
  });

  it('a peer that was connected, then stopped, is not returned by the next call; cached: true still returns it', async () => {
    const target = net.nodes[27]!;
    const mid = target.host.key.publicKey.mid;
    const first = await timed(net, requester.discovery.connectPeer(mid));
    expect(first.value?.[0]?.midHex).toBe(target.host.midHex);

    await target.host.stop();
    const helloBefore = requester.discovery.stats.sent['hello-request'] ?? 0;
    const second = await timed(net, requester.discovery.connectPeer(mid));
    expect(second.value).toBeUndefined();
    expect(second.error).toBeInstanceOf(DHTError);
    expect(['not-found', 'timeout']).toContain((second.error as DHTError).reason);
    // It asked the peer again (a hello to the address it knew) instead of answering from its cache.
    expect(requester.discovery.stats.sent['hello-request'] ?? 0).toBeGreaterThan(helloBefore);
    // The storers still hold the dead record, so the fallback hello'd its address and waited out that hello.
    expect(second.elapsedMs).toBeLessThan(requester.discovery.settings.connectTimeoutMs);

    // The explicit cache option keeps the old shortcut: the peer verified a moment ago, no packet sent.
    const sent = net.network.stats.sent;
    const [cached] = await requester.discovery.connectPeer(mid, { cached: true });
    expect(net.network.stats.sent).toBe(sent);
    expect(cached).toBe(first.value![0]);
  });

  it('a peer that answers is reported connected by a hello sent during the call', async () => {
    const target = net.nodes[31]!;
    const mid = target.host.key.publicKey.mid;
    await timed(net, requester.discovery.connectPeer(mid));
    const helloBefore = requester.discovery.stats.sent['hello-request'] ?? 0;
    const again = await timed(net, requester.discovery.connectPeer(mid));
    expect(again.value?.[0]?.midHex).toBe(target.host.midHex);
    expect(addressKey(again.value![0]!.address)).toBe(addressKey(target.host.endpoint.address));
    expect(requester.discovery.stats.sent['hello-request'] ?? 0).toBe(helloBefore + 1); // one direct hello
    expect(again.elapsedMs).toBeGreaterThan(0);
  });

  it('ping(mid) and dht.ping({ address }): the key of the peer and the simulated round trip', async () => {
    const target = net.nodes[35]!;
    const mid = target.host.key.publicKey.mid;
    net.network.setLatency(40, 0); // every packet takes exactly 40 ms: a round trip is 80 ms
    try {
      const byMid = await timed(net, requester.discovery.ping(mid));
      expect(byMid.error).toBeUndefined();
      expect(byMid.value!.publicKey.midHex).toBe(target.host.midHex);
      expect(addressKey(byMid.value!.address)).toBe(addressKey(target.host.endpoint.address));
      expect(byMid.value!.rttMs).toBe(80);
      // The search (at least the hello's round trip) is not counted in rttMs.
      expect(byMid.elapsedMs).toBeGreaterThanOrEqual(160);
      expect(byMid.elapsedMs).toBeLessThan(requester.discovery.settings.connectTimeoutMs);

      const byAddress = await timed(net, requester.dht.ping({ address: target.host.endpoint.address }));
      expect(byAddress.value!.publicKey.midHex).toBe(target.host.midHex);
      expect(byAddress.value!.rttMs).toBe(80);

      const nobody = await timed(net, requester.discovery.ping(new SeededRandom(5).bytes(20)));
      expect((nobody.error as DHTError).reason).toBe('not-found');
    } finally {
      net.network.setLatency(10, 5);
    }
  });
});
