import { describe, expect, it } from 'vitest';
import type { Address } from '../../../framework/endpoint/address.js';
import { MemoryNetwork } from '../../../framework/endpoint/memory-network.js';
import type { MemoryEndpoint, MemoryNat, MemoryNatOptions } from '../../../framework/endpoint/memory-network.js';
import { EndpointError, InvalidArgumentError } from '../../../framework/errors.js';
import { SeededRandom } from '../../../framework/random/random.js';
import { ManualClock } from '../../../framework/time/manual-clock.js';

interface Received {
  text: string;
  from: Address;
  at: number;
}

const LATENCY_MS = 10;
const START = 1_000_000;

function setup(seed = 1): { clock: ManualClock; net: MemoryNetwork } {
  const clock = new ManualClock(START);
  return { clock, net: new MemoryNetwork(clock, new SeededRandom(seed), { latencyMs: LATENCY_MS }) };
}

async function open(net: MemoryNetwork, address?: Address, behind?: MemoryNat): Promise<MemoryEndpoint> {
  const endpoint = behind === undefined ? net.createEndpoint(address) : net.createEndpoint(address, { behind });
  await endpoint.open();
  return endpoint;
}

function collect(endpoint: MemoryEndpoint, clock: ManualClock): Received[] {
  const inbox: Received[] = [];
  endpoint.addListener((data, from) => inbox.push({ text: new TextDecoder().decode(data), from, at: clock.now() - START }));
  return inbox;
}

function say(from: MemoryEndpoint, to: Address, text: string): void {
  from.send(to, new TextEncoder().encode(text));
}

/** A host behind its own NAT, plus a public server both can reach. */
async function homes(net: MemoryNetwork, a: MemoryNatOptions, b: MemoryNatOptions) {
  const natA = net.createNat(a);
  const natB = net.createNat(b);
  const hostA = await open(net, { host: '10.0.0.2', port: 7000 }, natA);
  const hostB = await open(net, { host: '10.0.0.2', port: 7000 }, natB); // same LAN address, other home
  const server = await open(net);
  return { natA, natB, hostA, hostB, server };
}

describe('MemoryNat mapping', () => {
  it('cone: one public port for every destination, the internal port kept while free', async () => {
    const { clock, net } = setup();
    const nat = net.createNat();
    const inside = await open(net, undefined, nat);
    expect(inside.address).toEqual({ host: '10.0.0.2', port: 7000 }); // a private address, like a socket
    const [s1, s2] = [await open(net), await open(net)];
    const [in1, in2] = [collect(s1, clock), collect(s2, clock)];
    say(inside, s1.address, 'one');
    say(inside, s2.address, 'two');
    await clock.advance(LATENCY_MS);
    const seen = { host: nat.publicHost, port: 7000 };
    expect(in1).toEqual([{ text: 'one', from: seen, at: LATENCY_MS }]);
    expect(in2).toEqual([{ text: 'two', from: seen, at: LATENCY_MS }]);
    expect(nat.mappedAddress(inside)).toEqual(seen);
    expect(nat.stats).toMatchObject({ mappingsCreated: 1, mappingsLive: 1, translated: 2 });

    // A second host on the LAN with the same internal port gets another public port, stable too.
    const other = await open(net, { host: '10.0.0.3', port: 7000 }, nat);
    say(other, s1.address, 'three');
    say(other, s2.address, 'four');
    await clock.advance(LATENCY_MS);
    const port = in1[1]!.from.port;
    expect(port).not.toBe(7000);
    expect(port).toBeGreaterThanOrEqual(1024);
    expect(in2[1]!.from).toEqual({ host: nat.publicHost, port });
    expect(nat.stats).toMatchObject({ mappingsCreated: 2, mappingsLive: 2, translated: 4 });
  });

  it('symmetric: a new random public port per destination, reused for the same destination', async () => {
    const { clock, net } = setup();
    const nat = net.createNat({ mapping: 'address-and-port-dependent' });
    const inside = await open(net, undefined, nat);
    const [s1, s2] = [await open(net), await open(net)];
    const [in1, in2] = [collect(s1, clock), collect(s2, clock)];
    say(inside, s1.address, 'a');
    say(inside, s2.address, 'b');
    say(inside, s1.address, 'c');
    await clock.advance(LATENCY_MS);
    const [p1, p2] = [in1[0]!.from.port, in2[0]!.from.port];
    expect(p1).not.toBe(p2);
    expect(in1[1]!.from).toEqual({ host: nat.publicHost, port: p1 });
    for (const p of [p1, p2]) expect(p).toBeGreaterThanOrEqual(1024);
    expect(nat.mappedAddress(inside, s2.address)).toEqual({ host: nat.publicHost, port: p2 });
    expect(nat.mappedAddress(inside)).toBeUndefined(); // symmetric: the remote is part of the mapping
    expect(nat.stats).toMatchObject({ mappingsCreated: 2, mappingsLive: 2, translated: 3 });
  });
});

describe('MemoryNat filtering', () => {
  it('address-and-port-dependent: drops unsolicited packets, passes the reply, hides private addresses', async () => {
    const { clock, net } = setup();
    const nat = net.createNat();
    const inside = await open(net, undefined, nat);
    const inbox = collect(inside, clock);
    const [s1, s2] = [await open(net), await open(net)];
    const s1Port2 = await open(net, { host: s1.address.host, port: 7001 });
    const public7000 = { host: nat.publicHost, port: 7000 };
    say(s1, public7000, 'before any mapping');
    say(s1, inside.address, 'to the private address');
    await clock.advance(LATENCY_MS);
    say(inside, s1.address, 'hello');
    await clock.advance(LATENCY_MS);
    say(s1, public7000, 'reply');
    say(s2, public7000, 'stranger');
    say(s1Port2, public7000, 'same host, other port');
    say(s1, { host: nat.publicHost, port: 7001 }, 'unmapped port');
    await clock.advance(LATENCY_MS);
    expect(inbox).toEqual([{ text: 'reply', from: s1.address, at: 3 * LATENCY_MS }]);
    expect(nat.stats).toEqual({
      mappingsCreated: 1,
      mappingsLive: 1,
      mappingsExpired: 0,
      mappingsReleased: 0,
      translated: 1,
      inboundPassed: 1,
      inboundUnmapped: 2,
      inboundFiltered: 2,
      hairpinDrops: 0,
      portsExhausted: 0,
    });
    expect(net.stats).toMatchObject({ sent: 7, delivered: 2, dropped: 5, inFlight: 0 });
  });

  it('address-dependent passes any port of a contacted host; endpoint-independent passes anyone', async () => {
    const { clock, net } = setup();
    const restricted = net.createNat({ filtering: 'address-dependent' });
    const full = net.createNat({ filtering: 'endpoint-independent' });
    const a = await open(net, undefined, restricted);
    const b = await open(net, undefined, full);
    const [inA, inB] = [collect(a, clock), collect(b, clock)];
    const s1 = await open(net);
    const s1Port2 = await open(net, { host: s1.address.host, port: 7001 });
    const s2 = await open(net);
    say(a, s1.address, 'x');
    say(b, s1.address, 'x');
    await clock.advance(LATENCY_MS);
    for (const from of [s1Port2, s2]) {
      say(from, { host: restricted.publicHost, port: 7000 }, 'to restricted');
      say(from, { host: full.publicHost, port: 7000 }, 'to full');
    }
    await clock.advance(LATENCY_MS);
    expect(inA.map((r) => r.from)).toEqual([s1Port2.address]);
    expect(inB.map((r) => r.from)).toEqual([s1Port2.address, s2.address]);
    expect(restricted.stats).toMatchObject({ inboundPassed: 1, inboundFiltered: 1 });
    expect(full.stats).toMatchObject({ inboundPassed: 2, inboundFiltered: 0 });
  });
});

describe('MemoryNat hole punching', () => {
  it('two cone NATs: the first packet is filtered, the answer opens the path both ways', async () => {
    const { clock, net } = setup();
    const { natA, natB, hostA, hostB, server } = await homes(net, {}, {});
    const seen: Address[] = [];
    server.addListener((_, from) => seen.push(from));
    say(hostA, server.address, 'register');
    say(hostB, server.address, 'register');
    await clock.advance(LATENCY_MS);
    const [publicA, publicB] = [seen[0]!, seen[1]!]; // what the rendezvous server tells each side
    const [inA, inB] = [collect(hostA, clock), collect(hostB, clock)];
    say(hostA, publicB, 'punch from A'); // natB has no flow to publicA yet: filtered
    await clock.advance(LATENCY_MS);
    say(hostB, publicA, 'punch from B'); // natA has a flow to publicB: passes
    await clock.advance(LATENCY_MS);
    say(hostA, publicB, 'data from A'); // natB now has a flow to publicA
    await clock.advance(LATENCY_MS);
    expect(inA).toEqual([{ text: 'punch from B', from: publicB, at: 3 * LATENCY_MS }]);
    expect(inB).toEqual([{ text: 'data from A', from: publicA, at: 4 * LATENCY_MS }]);
    expect(natA.stats).toMatchObject({ mappingsCreated: 1, inboundPassed: 1, inboundFiltered: 0 });
    expect(natB.stats).toMatchObject({ mappingsCreated: 1, inboundPassed: 1, inboundFiltered: 1 });
  });

  it('two cone NATs sending at once: both punches pass', async () => {
    const { clock, net } = setup();
    const { natA, natB, hostA, hostB } = await homes(net, {}, {});
    const [inA, inB] = [collect(hostA, clock), collect(hostB, clock)];
    const publicA = { host: natA.publicHost, port: 7000 };
    const publicB = { host: natB.publicHost, port: 7000 };
    say(hostA, publicB, 'A');
    say(hostB, publicA, 'B');
    await clock.advance(LATENCY_MS);
    expect(inA.map((r) => r.from)).toEqual([publicB]);
    expect(inB.map((r) => r.from)).toEqual([publicA]);
  });

  it('symmetric to cone: punching to the port a third party saw fails both ways', async () => {
    const { clock, net } = setup();
    const { natA, natB, hostA, hostB, server } = await homes(net, { mapping: 'address-and-port-dependent' }, {});
    const seen: Address[] = [];
    server.addListener((_, from) => seen.push(from));
    say(hostA, server.address, 'register');
    say(hostB, server.address, 'register');
    await clock.advance(LATENCY_MS);
    const [publicA, publicB] = [seen[0]!, seen[1]!];
    const [inA, inB] = [collect(hostA, clock), collect(hostB, clock)];
    for (let round = 0; round < 3; round++) {
      say(hostA, publicB, 'A');
      say(hostB, publicA, 'B');
      await clock.advance(LATENCY_MS);
    }
    expect(inA).toEqual([]);
    expect(inB).toEqual([]);
    const toB = natA.mappedAddress(hostA, publicB)!;
    expect(toB.port).not.toBe(publicA.port); // natB only ever hears A from this other port
    expect(natA.stats).toMatchObject({ mappingsCreated: 2, inboundPassed: 0, inboundFiltered: 3 });
    expect(natB.stats).toMatchObject({ mappingsCreated: 1, inboundPassed: 0, inboundFiltered: 3 });
  });
});

describe('MemoryNat LAN and hairpin', () => {
  it('delivers between hosts of one LAN directly, without a mapping', async () => {
    const { clock, net } = setup();
    const nat = net.createNat();
    const [a, b] = [await open(net, undefined, nat), await open(net, undefined, nat)];
    expect(b.address).toEqual({ host: '10.0.0.3', port: 7000 });
    const inbox = collect(b, clock);
    say(a, b.address, 'lan');
    say(a, { host: b.address.host, port: 9 }, 'nobody listens');
    await clock.advance(LATENCY_MS);
    expect(inbox).toEqual([{ text: 'lan', from: a.address, at: LATENCY_MS }]);
    expect(nat.stats).toMatchObject({ mappingsCreated: 0, translated: 0 });
    expect(net.stats).toMatchObject({ sent: 2, delivered: 1, dropped: 1 });
  });

  it('drops packets to its own public address without hairpin, and counts them', async () => {
    const { clock, net } = setup();
    const nat = net.createNat();
    const [a, b] = [await open(net, undefined, nat), await open(net, { host: '10.0.0.3', port: 7001 }, nat)];
    const [inA, inB] = [collect(a, clock), collect(b, clock)];
    say(a, { host: nat.publicHost, port: 7001 }, 'A');
    say(b, { host: nat.publicHost, port: 7000 }, 'B');
    await clock.advance(LATENCY_MS);
    expect([...inA, ...inB]).toEqual([]);
    expect(nat.stats).toMatchObject({ hairpinDrops: 2, mappingsCreated: 0 });
    expect(net.stats).toMatchObject({ sent: 2, dropped: 2, inFlight: 0 });
  });

  it('with hairpin, loops packets back through the public address, filtered like any inbound', async () => {
    const { clock, net } = setup();
    const nat = net.createNat({ hairpin: true });
    const [a, b] = [await open(net, undefined, nat), await open(net, { host: '10.0.0.3', port: 7001 }, nat)];
    const [inA, inB] = [collect(a, clock), collect(b, clock)];
    const [publicA, publicB] = [
      { host: nat.publicHost, port: 7000 },
      { host: nat.publicHost, port: 7001 },
    ];
    say(a, publicB, 'unsolicited'); // no mapping of b yet: dropped
    await clock.advance(LATENCY_MS);
    say(a, publicB, 'punch A');
    say(b, publicA, 'punch B');
    await clock.advance(LATENCY_MS);
    expect(inA).toEqual([{ text: 'punch B', from: publicB, at: 2 * LATENCY_MS }]);
    expect(inB).toEqual([{ text: 'punch A', from: publicA, at: 2 * LATENCY_MS }]);
    expect(nat.stats).toMatchObject({ hairpinDrops: 0, mappingsCreated: 2, translated: 3, inboundUnmapped: 1, inboundPassed: 2 });
  });
});

describe('MemoryNat misuse', () => {
  it('keeps LAN addresses per NAT, its public host to itself, and its options in range', async () => {
    const { net } = setup();
    const nat = net.createNat({ publicHost: '203.0.113.1' });
    expect(nat.publicHost).toBe('203.0.113.1');
    expect(() => net.createEndpoint({ host: '203.0.113.1', port: 7000 })).toThrow(EndpointError);
    expect(() => net.createEndpoint({ host: '203.0.113.1', port: 7000 }, { behind: nat })).toThrow(EndpointError);
    expect(() => net.createNat({ publicHost: '203.0.113.1' })).toThrow(EndpointError);
    const server = await open(net);
    expect(() => net.createNat({ publicHost: server.address.host })).toThrow(EndpointError);
    expect(() => net.createNat({ publicHost: 'example.com' })).toThrow(InvalidArgumentError);
    expect(() => net.createNat({ udpTimeoutMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => net.createNat({ mapping: 'cone' as never })).toThrow(InvalidArgumentError);
    const auto = net.createNat();
    expect(auto.publicHost).not.toBe(server.address.host);
    expect((await open(net)).address.host).not.toBe(auto.publicHost);
    net.createEndpoint({ host: '10.0.0.2', port: 7000 }, { behind: nat });
    expect(() => net.createEndpoint({ host: '10.0.0.2', port: 7000 }, { behind: nat })).toThrow(EndpointError);
    net.createEndpoint({ host: '10.0.0.2', port: 7000 }, { behind: auto }); // another home: fine
    const elsewhere = new MemoryNetwork(new ManualClock(), new SeededRandom(2)).createNat();
    expect(() => net.createEndpoint(undefined, { behind: elsewhere })).toThrow(InvalidArgumentError);
  });

  it('tracks which hosts endpoints use as they come and go, for NATs created later', async () => {
    const { net } = setup();
    const first = await open(net, { host: '203.0.113.7', port: 1 });
    net.createNat(); // builds the host index
    const later = await open(net, { host: '203.0.113.8', port: 1 });
    expect(() => net.createNat({ publicHost: '203.0.113.7' })).toThrow(EndpointError);
    expect(() => net.createNat({ publicHost: '203.0.113.8' })).toThrow(EndpointError);
    await first.close();
    later.setAddress({ host: '203.0.113.9', port: 1 });
    expect(net.createNat({ publicHost: '203.0.113.7' }).publicHost).toBe('203.0.113.7');
    expect(net.createNat({ publicHost: '203.0.113.8' }).publicHost).toBe('203.0.113.8');
    expect(() => net.createNat({ publicHost: '203.0.113.9' })).toThrow(EndpointError);
  });

  it('works with an IPv6 public address', async () => {
    const { clock, net } = setup();
    const nat = net.createNat({ publicHost: '2001:db8::1' });
    const inside = await open(net, undefined, nat);
    const server = await open(net, { host: '2001:db8::2', port: 9000 });
    const inbox = collect(inside, clock);
    say(inside, server.address, 'out');
    await clock.advance(LATENCY_MS);
    say(server, { host: '2001:db8::1', port: 7000 }, 'back');
    await clock.advance(LATENCY_MS);
    expect(inbox).toEqual([{ text: 'back', from: server.address, at: 2 * LATENCY_MS }]);
  });
});
