import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { PingPongCommunity, Ping } from '../../../docs/examples/ping-pong.js';
import { simNet } from '../../helpers/memory-nodes.js';

describe('bad input never crashes a node', () => {
  it('drops and counts 10,000 random, truncated and mutated packets, then still answers a valid ping', async () => {
    const net = simNet(99, { latencyMs: 1 });
    const target = await net.addHost({ setup: (h) => h.register(PingPongCommunity), rateLimit: false }); // exercise every validator
    const client = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    const attacker = net.network.createEndpoint();
    await attacker.open();
    const community = target.get(PingPongCommunity);
    const clientCommunity = client.get(PingPongCommunity);
    const valid = clientCommunity.encode(Ping, { id: 1n, text: 'a valid ping from someone else' });
    const r = net.random;
    for (let i = 0; i < 10_000; i++) {
      let packet: Uint8Array;
      switch (i % 4) {
        case 0: // random bytes of random length
          packet = r.bytes(r.int(300));
          break;
        case 1: // a valid packet truncated
          packet = valid.slice(0, r.int(valid.length));
          break;
        case 2: { // a valid packet with 1-3 bytes flipped
          packet = valid.slice();
          for (let k = 0; k <= r.int(3); k++) packet[r.int(packet.length)]! ^= 1 + r.int(255);
          break;
        }
        default: // the right prefix and message id, then garbage
          packet = new Uint8Array([...valid.subarray(0, 23), ...r.bytes(r.int(200))]);
      }
      attacker.send(target.endpoint.address, packet);
      if (i % 1_000 === 999) await net.clock.advance(5);
    }
    await net.clock.advance(100);
    const dropped = target.stats.malformed + target.stats.unknownCommunity + community.stats.droppedTotal;
    expect(target.endpoint.stats.packetsReceived).toBeGreaterThanOrEqual(10_000);
    // every hostile packet was dropped somewhere, and counted exactly once
    expect(dropped).toBe(10_000);
    expect(community.stats.received['ping'] ?? 0).toBe(0);
    expect(community.stats.dropped['bad-signature']).toBeGreaterThan(0);
    expect(community.stats.dropped['malformed']).toBeGreaterThan(0);
    expect(community.stats.handlerErrors).toBe(0);
    // and the node still serves honest peers
    const echoed = await net.clock.settle(clientCommunity.ping(target.endpoint.address, 'still there?'));
    expect(echoed).toBe('still there?');
    await net.stopAll();
  });

  it('rate-limits and bans a flooding source while other peers are still served, with bounded state', async () => {
    const net = simNet(100, { latencyMs: 1 });
    const target = await net.addHost({ setup: (h) => h.register(PingPongCommunity), rateLimit: { ratePerSecond: 50, burst: 100, banAfterDrops: 200, banMs: 60_000 } });
    const honest = await Promise.all([1, 2, 3].map(() => net.addHost({ setup: (h) => h.register(PingPongCommunity) })));
    const flooder = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    const fc = flooder.get(PingPongCommunity);
    const packet = fc.encode(Ping, { id: 5n, text: 'flood' });
    const answered: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1_000; i++) flooder.endpoint.send(target.endpoint.address, packet);
      const pings = honest.map((h, i) => h.get(PingPongCommunity).ping(target.endpoint.address, `r${round}-${i}`).then((t) => answered.push(t)));
      await net.clock.settle(Promise.allSettled(pings));
    }
    const limiter = target.rateLimiter!;
    expect(answered.length).toBe(60); // every honest ping of every round answered
    expect(limiter.stats.bans).toBe(1);
    expect(limiter.isBanned(`${flooder.endpoint.address.host}:${flooder.endpoint.address.port}`)).toBe(true);
    const community = target.get(PingPongCommunity);
    // the flooder got at most its burst (plus refill) through; the rest never reached a signature check
    expect(community.stats.received['ping']! - 60).toBeLessThanOrEqual(100 + 50);
    expect(target.stats.rateLimited).toBeGreaterThanOrEqual(20_000 - 150);
    expect(limiter.size).toBeLessThanOrEqual(5);
    await net.stopAll();
  });
});
