import { describe, expect, it } from 'vitest';
import type { Address } from '../../../framework/endpoint/address.js';
import { MemoryNetwork } from '../../../framework/endpoint/memory-network.js';
import type { MemoryEndpoint, MemoryNat, MemoryNatOptions } from '../../../framework/endpoint/memory-network.js';
import { SeededRandom } from '../../../framework/random/random.js';
import { ManualClock } from '../../../framework/time/manual-clock.js';

const LATENCY_MS = 10;
const PING = new Uint8Array([1]);

/** One host behind a NAT and one public server; `at(ms)` moves the clock to `ms` after the start. */
async function setup(options: MemoryNatOptions = {}) {
  const clock = new ManualClock(0);
  const net = new MemoryNetwork(clock, new SeededRandom(1), { latencyMs: LATENCY_MS });
  const nat = net.createNat(options);
  const inside = net.createEndpoint(undefined, { behind: nat });
  const server = net.createEndpoint();
  await inside.open();
  await server.open();
  const received: number[] = [];
  inside.addListener(() => received.push(clock.now()));
  const at = (ms: number): Promise<void> => clock.advance(ms - clock.now());
  return { clock, net, nat, inside, server, received, at };
}

function isMapped(nat: MemoryNat, inside: MemoryEndpoint): boolean {
  return nat.mappedAddress(inside) !== undefined;
}

describe('MemoryNat expiry', () => {
  it('forgets an unreplied mapping 30 s after the last outbound packet', async () => {
    const { nat, inside, server, received, at } = await setup();
    inside.send(server.address, PING);
    await at(20_000);
    inside.send(server.address, PING); // refreshes to 50 s
    await at(49_999);
    expect(isMapped(nat, inside)).toBe(true);
    await at(50_000);
    expect(isMapped(nat, inside)).toBe(false);
    server.send({ host: nat.publicHost, port: 7000 }, PING); // arrives at 50.01 s: too late
    await at(60_000);
    expect(received).toEqual([]);
    expect(nat.stats).toMatchObject({ mappingsCreated: 1, mappingsLive: 0, mappingsExpired: 1, inboundUnmapped: 1, translated: 2 });
  });

  it('keeps a flow 120 s after a reply, refreshed by traffic either way', async () => {
    const { nat, inside, server, received, at } = await setup();
    const publicAddress = { host: nat.publicHost, port: 7000 };
    inside.send(server.address, PING); // t=0, unreplied: until 30 s
    await at(10);
    server.send(publicAddress, PING); // arrives at 20: replied, until 120.02 s
    await at(120_000);
    expect(isMapped(nat, inside)).toBe(true);
    server.send(publicAddress, PING); // arrives at 120.01 s: refreshes to 240.01 s
    await at(240_009);
    expect(isMapped(nat, inside)).toBe(true);
    inside.send(server.address, PING); // outbound on a replied flow refreshes by 120 s too: 360.009 s
    await at(360_008);
    expect(isMapped(nat, inside)).toBe(true);
    await at(360_009);
    expect(isMapped(nat, inside)).toBe(false);
    expect(received).toEqual([20, 120_010]);
    expect(nat.stats).toMatchObject({ mappingsCreated: 1, mappingsLive: 0, mappingsExpired: 1, inboundPassed: 2 });
  });

  it('expires each flow on its own: a stale remote is filtered while the port lives on for another', async () => {
    const { net, nat, inside, server, received, at } = await setup();
    const other = net.createEndpoint();
    await other.open();
    const publicAddress = { host: nat.publicHost, port: 7000 };
    inside.send(server.address, PING); // flow to server until 30 s
    await at(25_000);
    inside.send(other.address, PING); // flow to other until 55 s; the mapping lives until 55 s
    await at(40_000);
    server.send(publicAddress, PING);
    other.send(publicAddress, PING);
    await at(41_000);
    expect(received).toEqual([40_010]); // only other's
    expect(nat.stats).toMatchObject({ mappingsLive: 1, inboundFiltered: 1, inboundPassed: 1 });
  });

  it('honours custom timeouts and reuses an expired port', async () => {
    const { net, nat, inside, server, at } = await setup({ udpTimeoutMs: 1_000, udpStreamTimeoutMs: 5_000 });
    inside.send(server.address, PING);
    await at(1_000);
    const second = net.createEndpoint({ host: '10.0.0.9', port: 7000 }, { behind: nat });
    await second.open();
    second.send(server.address, PING); // port 7000 is free again
    expect(nat.mappedAddress(second)).toEqual({ host: nat.publicHost, port: 7000 });
    expect(nat.stats).toMatchObject({ mappingsCreated: 2, mappingsLive: 1, mappingsExpired: 1 });
  });
});

describe('MemoryNat lifecycle and counters', () => {
  it('frees the mappings of an endpoint that closes or moves', async () => {
    const { net, nat, inside, server, at } = await setup({ mapping: 'address-and-port-dependent' });
    const other = net.createEndpoint();
    await other.open();
    inside.send(server.address, PING);
    inside.send(other.address, PING);
    const toServer = nat.mappedAddress(inside, server.address)!;
    expect(nat.stats).toMatchObject({ mappingsCreated: 2, mappingsLive: 2 });
    await inside.close();
    expect(nat.stats).toMatchObject({ mappingsLive: 0, mappingsReleased: 2, mappingsExpired: 0 });
    server.send(toServer, PING);
    await at(100);
    expect(nat.stats.inboundUnmapped).toBe(1);
    await inside.open();
    inside.send(server.address, PING);
    inside.setAddress({ host: '10.0.0.5', port: 7000 });
    expect(inside.address).toEqual({ host: '10.0.0.5', port: 7000 });
    expect(nat.stats).toMatchObject({ mappingsCreated: 3, mappingsLive: 0, mappingsReleased: 3 });
  });

  it('keeps the network counters exact across LAN, hairpin, translated and filtered packets', async () => {
    const { net, nat, inside, server, at } = await setup();
    const neighbour = net.createEndpoint(undefined, { behind: nat });
    await neighbour.open();
    inside.send(neighbour.address, PING); // LAN: delivered
    inside.send({ host: nat.publicHost, port: 7000 }, PING); // hairpin off: dropped at once
    inside.send(server.address, PING); // translated: delivered
    server.send(neighbour.address, PING); // private address from outside: dropped
    server.send({ host: nat.publicHost, port: 1 }, PING); // unmapped: dropped
    expect(net.stats).toMatchObject({ sent: 5, inFlight: 4 });
    await at(LATENCY_MS);
    expect(net.stats).toEqual({ sent: 5, delivered: 2, dropped: 3, bytes: 2, inFlight: 0, listenerErrors: 0 });
    expect(nat.stats).toEqual({
      mappingsCreated: 1,
      mappingsLive: 1,
      mappingsExpired: 0,
      mappingsReleased: 0,
      translated: 1,
      inboundPassed: 0,
      inboundUnmapped: 1,
      inboundFiltered: 0,
      hairpinDrops: 1,
      portsExhausted: 0,
    });
    expect(neighbour.stats.packetsReceived).toBe(1);
  });

  it('applies link options and partitions to the public side of a NATed endpoint', async () => {
    const { net, nat, inside, server, received, at } = await setup();
    const publicAddress: Address = { host: nat.publicHost, port: 7000 };
    net.setLinkOptions(publicAddress, server.address, { latencyMs: 50 });
    inside.send(server.address, PING);
    await at(49);
    expect(server.stats.packetsReceived).toBe(0);
    await at(50);
    expect(server.stats.packetsReceived).toBe(1);
    net.partition([publicAddress], [server.address]);
    server.send(publicAddress, PING);
    await at(200);
    expect(received).toEqual([]);
    expect(nat.stats.inboundPassed).toBe(0); // dropped before the NAT: the flow was not refreshed
    net.heal();
    server.send(publicAddress, PING);
    await at(300);
    expect(received).toEqual([210]);
  });
});

describe('MemoryNat flow pruning', () => {
  it('keeps every live flow of a mapping that talks to many remotes while it prunes', async () => {
    const { clock, net, nat, inside, received, at } = await setup();
    const remotes: MemoryEndpoint[] = [];
    for (let i = 0; i < 100; i++) {
      const remote = net.createEndpoint();
      await remote.open();
      remote.addListener((data, from) => remote.send(from, data)); // echo
      remotes.push(remote);
    }
    for (const remote of remotes.slice(0, 50)) inside.send(remote.address, PING); // t=0: flows until 30 s unreplied
    await at(35_000); // replied at 20 ms: these 50 flows live until 120.02 s
    for (const remote of remotes.slice(50)) inside.send(remote.address, PING); // 50 new flows; prunes keep the live ones
    await at(36_000);
    expect(received).toHaveLength(100);
    expect(nat.stats).toMatchObject({ inboundPassed: 100, inboundFiltered: 0, mappingsCreated: 1 });
    expect(clock.now()).toBe(36_000);
  });
});
