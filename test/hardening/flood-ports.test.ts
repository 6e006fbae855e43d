import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { PingPongCommunity, Ping } from '../../docs/examples/ping-pong.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom } from '../../framework/index.js';
import type { IpRateLimitOptions, MemoryEndpoint } from '../../framework/index.js';

const PORTS = 500;
const ROUNDS = 10;
const PACKETS_PER_ROUND = 2_000; // 4 from each port: 20,000 in all, 40 per port (far under a port's burst of 200)

interface Outcome {
  target: OverlayHost;
  answered: number;
  pings: number;
  /** Flood pings that reached the community (each one a signature check and an answer). */
  floodHandled: number;
}

/** One attacker host sends `rounds` bursts of signed pings from `PORTS` source ports while 3 honest nodes ping the target. */
async function portRotation(seed: number, attackerHost: string, ipRateLimit?: IpRateLimitOptions | false, rounds = ROUNDS): Promise<Outcome> {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 1 });
  const hosts: OverlayHost[] = [];
  const addHost = async (extra: { ipRateLimit?: IpRateLimitOptions | false } = {}): Promise<OverlayHost> => {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, ...extra });
    host.register(PingPongCommunity);
    await host.start();
    hosts.push(host);
    return host;
  };
  const target = await addHost(ipRateLimit === undefined ? {} : { ipRateLimit });
  const honest = [await addHost(), await addHost(), await addHost()];
  const ports: MemoryEndpoint[] = [];
  for (let p = 0; p < PORTS; p++) {
    const endpoint = network.createEndpoint({ host: attackerHost, port: 20_000 + p });
    await endpoint.open();
    ports.push(endpoint);
  }
  const packet = honest[0]!.get(PingPongCommunity).encode(Ping, { id: 7n, text: 'flood' });
  let pings = 0;
  let answered = 0;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < PACKETS_PER_ROUND; i++) ports[i % PORTS]!.send(target.endpoint.address, packet);
    const round_ = honest.map((h, i) => {
      pings++;
      return h.get(PingPongCommunity).ping(target.endpoint.address, `r${round}-${i}`).then(() => answered++);
    });
    await clock.settle(Promise.allSettled(round_));
  }
  const floodHandled = target.get(PingPongCommunity).stats.received['ping']! - pings;
  for (const h of hosts) await h.stop();
  for (const e of ports) await e.close();
  return { target, answered, pings, floodHandled };
}

describe('a flood from one IP rotating its source ports', () => {
  it('is limited and banned at the IP level (public address), while honest nodes at other IPs are served', async () => {
    const { target, answered, pings, floodHandled } = await portRotation(31, '203.0.113.66');
    const ip = target.ipRateLimiter!;
    expect(answered).toBe(pings); // every honest ping of every round answered
    // the attacker's IP got its burst (800) and a little refill through, then was banned
    expect(floodHandled).toBeGreaterThanOrEqual(800);
    expect(floodHandled).toBeLessThanOrEqual(800 + 200);
    expect(ip.limiter.stats.bans).toBe(1);
    expect(ip.isBanned('203.0.113.66')).toBe(true);
    expect(target.stats.ipLimited + target.stats.ipBanned).toBe(PACKETS_PER_ROUND * ROUNDS - floodHandled);
    expect(target.stats.ipBanned).toBeGreaterThan(10_000);
    expect(target.stats.rateLimited).toBe(target.stats.ipLimited + target.stats.ipBanned);
    // no port exceeded its own bucket: the per-source limit alone never fired
    expect(target.rateLimiter!.stats.limited + target.rateLimiter!.stats.banned).toBe(0);
    // bounded state: 4 IPs (3 honest + attacker); ports of a banned IP create no per-port buckets
    expect(ip.size).toBe(4);
    expect(target.rateLimiter!.size).toBe(PORTS + 3);
  });

  it('without the per-IP limit, the same flood gets through port by port (the gap this closes)', async () => {
    // two rounds (4,000 packets) show it; every one of them costs a signature check and an answer
    const { target, answered, pings, floodHandled } = await portRotation(31, '203.0.113.66', false, 2);
    expect(answered).toBe(pings);
    expect(floodHandled).toBe(PACKETS_PER_ROUND * 2);
    expect(target.stats.rateLimited).toBe(0);
  });

  it('exempts loopback sources by default (many nodes share 127.0.0.1), and not when configured otherwise', async () => {
    const exempt = await portRotation(32, '127.0.0.1', undefined, 2);
    expect(exempt.floodHandled).toBe(PACKETS_PER_ROUND * 2);
    expect(exempt.target.ipRateLimiter!.exempted).toBeGreaterThanOrEqual(PACKETS_PER_ROUND * 2);
    expect(exempt.target.ipRateLimiter!.size).toBe(3); // the honest nodes only
    const strict = await portRotation(32, '127.0.0.1', { exempt: () => false }, 2);
    expect(strict.answered).toBe(strict.pings);
    expect(strict.floodHandled).toBeLessThanOrEqual(800 + 200);
    expect(strict.target.ipRateLimiter!.isBanned('127.0.0.1')).toBe(true);
  });
});
