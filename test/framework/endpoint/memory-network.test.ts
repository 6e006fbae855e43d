import { describe, expect, it } from 'vitest';
import type { Address } from '../../../framework/endpoint/address.js';
import { addressKey } from '../../../framework/endpoint/address.js';
import { MemoryNetwork } from '../../../framework/endpoint/memory-network.js';
import type { MemoryEndpoint, MemoryNetworkOptions } from '../../../framework/endpoint/memory-network.js';
import { EndpointError, InvalidArgumentError, PacketTooLargeError } from '../../../framework/errors.js';
import { SeededRandom } from '../../../framework/random/random.js';
import { ManualClock } from '../../../framework/time/manual-clock.js';

interface Received {
  data: Uint8Array;
  from: Address;
  at: number;
}

function setup(options: MemoryNetworkOptions = {}, seed = 1): { clock: ManualClock; net: MemoryNetwork } {
  const clock = new ManualClock();
  return { clock, net: new MemoryNetwork(clock, new SeededRandom(seed), options) };
}

async function opened(net: MemoryNetwork, count: number): Promise<MemoryEndpoint[]> {
  const endpoints = Array.from({ length: count }, () => net.createEndpoint());
  await Promise.all(endpoints.map((e) => e.open()));
  return endpoints;
}

function collect(endpoint: MemoryEndpoint, clock: ManualClock): Received[] {
  const inbox: Received[] = [];
  endpoint.addListener((data, from) => inbox.push({ data, from, at: clock.now() }));
  return inbox;
}

describe('MemoryNetwork', () => {
  it('delivers exactly at the latency, never before, with the sender as source', async () => {
    const { clock, net } = setup({ latencyMs: 10 });
    const [a, b] = await opened(net, 2);
    const inbox = collect(b!, clock);
    const buffer = new Uint8Array([1, 2, 3]);
    a!.send(b!.address, buffer);
    buffer.fill(0); // the network copied it
    expect(net.stats.inFlight).toBe(1);
    await clock.advance(9);
    expect(inbox).toHaveLength(0);
    await clock.advance(1);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(inbox[0]?.from).toEqual(a!.address);
    expect(net.stats).toMatchObject({ sent: 1, delivered: 1, dropped: 0, bytes: 3, inFlight: 0 });
    expect(a!.stats).toMatchObject({ packetsSent: 1, bytesSent: 3, sendErrors: 0 });
    expect(b!.stats).toMatchObject({ packetsReceived: 1, bytesReceived: 3 });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('adds each endpoint\'s access delay to every packet it sends or receives, until removed', async () => {
    const { clock, net } = setup({ latencyMs: 10 });
    const [a, b, c] = await opened(net, 3);
    net.setAccessDelay(a!.address, 5);
    net.setAccessDelay(b!.address, 30);
    const atB = collect(b!, clock);
    const atC = collect(c!, clock);
    const atA = collect(a!, clock);
    const t0 = clock.now();
    const since = (inbox: Received[]): number[] => inbox.map((r) => r.at - t0);
    a!.send(b!.address, new Uint8Array([1])); // 10 + 5 + 30
    a!.send(c!.address, new Uint8Array([2])); // 10 + 5
    c!.send(a!.address, new Uint8Array([3])); // 10 + 5
    await clock.advance(45);
    expect(since(atB)).toEqual([45]);
    expect(since(atC)).toEqual([15]);
    expect(since(atA)).toEqual([15]);
    net.setAccessDelay(b!.address, undefined);
    a!.send(b!.address, new Uint8Array([4])); // 10 + 5
    await clock.advance(15);
    expect(since(atB)).toEqual([45, 60]);
    expect(() => net.setAccessDelay(a!.address, -1)).toThrow(InvalidArgumentError);
    expect(() => net.setAccessDelay(a!.address, Number.NaN)).toThrow(InvalidArgumentError);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps jittered delays within latency ± jitter and uses the whole range', async () => {
    const { clock, net } = setup({ latencyMs: 50, jitterMs: 20 });
    const [a, b] = await opened(net, 2);
    const inbox = collect(b!, clock);
    const sentAt = clock.now();
    for (let i = 0; i < 2_000; i++) a!.send(b!.address, new Uint8Array([i & 255]));
    await clock.advance(70);
    expect(inbox).toHaveLength(2_000);
    const delays = inbox.map((r) => r.at - sentAt);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...delays)).toBeLessThanOrEqual(70);
    expect(Math.min(...delays)).toBeLessThan(32);
    expect(Math.max(...delays)).toBeGreaterThan(68);
  });

  it('drops about lossRate of the packets, reproducibly from the seed', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const { clock, net } = setup({ lossRate: 0.3 }, seed);
      const [a, b] = await opened(net, 2);
      const got: number[] = [];
      b!.addListener((data) => got.push(new DataView(data.buffer, data.byteOffset).getUint16(0)));
      for (let i = 0; i < 10_000; i++) {
        const packet = new Uint8Array(2);
        new DataView(packet.buffer).setUint16(0, i);
        a!.send(b!.address, packet);
      }
      await clock.advance(10);
      const lossShare = net.stats.dropped / 10_000;
      expect(lossShare).toBeGreaterThan(0.27);
      expect(lossShare).toBeLessThan(0.33);
      expect(net.stats.delivered + net.stats.dropped).toBe(10_000);
      expect(b!.stats.packetsReceived).toBe(net.stats.delivered);
      return got;
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
  });

  it('drops packets across a partition in both directions until heal()', async () => {
    const { clock, net } = setup({ latencyMs: 5 });
    const [a, b, c] = await opened(net, 3);
    const inA = collect(a!, clock);
    const inB = collect(b!, clock);
    const inC = collect(c!, clock);
    net.partition([a!.address, b!.address], [c!.address]);
    a!.send(c!.address, new Uint8Array([1]));
    c!.send(a!.address, new Uint8Array([2]));
    c!.send(b!.address, new Uint8Array([3]));
    a!.send(b!.address, new Uint8Array([4])); // same side: delivered
    await clock.advance(5);
    expect(inC).toHaveLength(0);
    expect(inA).toHaveLength(0);
    expect(inB.map((r) => r.data[0])).toEqual([4]);
    expect(net.stats.dropped).toBe(3);

    // A packet in flight when the partition starts is dropped on arrival.
    net.heal();
    a!.send(c!.address, new Uint8Array([5]));
    net.partition([c!.address], [a!.address]);
    await clock.advance(5);
    expect(inC).toHaveLength(0);

    net.heal();
    a!.send(c!.address, new Uint8Array([6]));
    c!.send(a!.address, new Uint8Array([7]));
    await clock.advance(5);
    expect(inC.map((r) => r.data[0])).toEqual([6]);
    expect(inA.map((r) => r.data[0])).toEqual([7]);
  });

  it('gives closed endpoints nothing, frees their address, and lets them re-open', async () => {
    const { clock, net } = setup({ latencyMs: 10 });
    const [a, b] = await opened(net, 2);
    const inB = collect(b!, clock);
    expect(net.size).toBe(2);
    a!.send(b!.address, new Uint8Array([1]));
    await clock.advance(5);
    await b!.close();
    await b!.close();
    expect(b!.isOpen).toBe(false);
    expect(net.size).toBe(1);
    await clock.advance(5);
    expect(inB).toHaveLength(0);
    expect(net.stats.dropped).toBe(1);

    b!.send(a!.address, new Uint8Array([2]));
    expect(b!.stats.sendErrors).toBe(1);
    expect(b!.stats.packetsSent).toBe(0);

    await b!.open();
    await b!.open();
    expect(net.size).toBe(2);
    a!.send(b!.address, new Uint8Array([3]));
    await clock.advance(10);
    expect(inB.map((r) => r.data[0])).toEqual([3]);

    // While b is closed its address is free; taking it makes b's re-open fail.
    await b!.close();
    const usurper = net.createEndpoint(b!.address);
    await usurper.open();
    await expect(b!.open()).rejects.toBeInstanceOf(EndpointError);
    expect(b!.isOpen).toBe(false);
    expect(net.size).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses duplicate and malformed addresses and reports address only after open', async () => {
    const { net } = setup();
    const addr = { host: '10.0.0.1', port: 9000 };
    const a = net.createEndpoint(addr);
    expect(() => a.address).toThrow(EndpointError);
    expect(() => net.createEndpoint({ host: '10.0.0.1', port: 9000 })).toThrow(EndpointError);
    expect(() => net.createEndpoint({ host: 'localhost', port: 9000 })).toThrow(InvalidArgumentError);
    expect(() => net.createEndpoint({ host: '10.0.0.2', port: 0 })).toThrow(InvalidArgumentError);
    await a.open();
    expect(a.address).toEqual(addr);
    expect(a.address).not.toBe(addr); // a private copy
    const v6 = net.createEndpoint({ host: '2001:db8::1', port: 1 });
    await v6.open();
    expect(addressKey(v6.address)).toBe('[2001:db8::1]:1');
  });

  it('auto-assigns unique addresses in 198.18.0.0/15, spread over /24 subnets', async () => {
    const { net } = setup();
    const taken = net.createEndpoint({ host: '198.18.0.2', port: 7000 }); // the 513th automatic address
    const endpoints = await opened(net, 1_000);
    const keys = new Set(endpoints.map((e) => addressKey(e.address)));
    expect(keys.size).toBe(1_000);
    await taken.open();
    expect(keys.has(addressKey(taken.address))).toBe(false);
    for (const e of endpoints) {
      const [o1, o2, o3, o4] = e.address.host.split('.').map(Number);
      expect(o1).toBe(198);
      expect([18, 19]).toContain(o2);
      expect(o3).toBeGreaterThanOrEqual(0);
      expect(o4).toBeGreaterThanOrEqual(1);
      expect(o4).toBeLessThanOrEqual(254);
      expect(e.address.port).toBeGreaterThanOrEqual(7000);
    }
    const subnets = new Set(endpoints.slice(0, 512).map((e) => e.address.host.split('.').slice(0, 3).join('.')));
    expect(subnets.size).toBe(512);
  });

  it('moves an endpoint with setAddress: old-address packets are dropped, new source used', async () => {
    const { clock, net } = setup({ latencyMs: 10 });
    const [a, b] = await opened(net, 2);
    const inA = collect(a!, clock);
    const inB = collect(b!, clock);
    const oldB = b!.address;
    a!.send(oldB, new Uint8Array([1]));
    const newB = { host: '198.51.100.7', port: 4000 };
    b!.setAddress(newB);
    expect(b!.address).toEqual(newB);
    expect(() => b!.setAddress(a!.address)).toThrow(EndpointError);
    await clock.advance(10);
    expect(inB).toHaveLength(0);
    a!.send(newB, new Uint8Array([2]));
    b!.send(a!.address, new Uint8Array([3]));
    await clock.advance(10);
    expect(inB.map((r) => r.data[0])).toEqual([2]);
    expect(inA[0]?.from).toEqual(newB);
    // The old address is free again.
    expect(net.createEndpoint(oldB)).toBeDefined();
  });

  it('applies per-link options and network-wide setters', async () => {
    const { clock, net } = setup({ latencyMs: 10 });
    const [a, b] = await opened(net, 2);
    const inA = collect(a!, clock);
    const inB = collect(b!, clock);
    net.setLinkOptions(a!.address, b!.address, { latencyMs: 100 });
    const t0 = clock.now();
    a!.send(b!.address, new Uint8Array([1]));
    b!.send(a!.address, new Uint8Array([2]));
    await clock.advance(100);
    expect(inA[0]?.at).toBe(t0 + 10);
    expect(inB[0]?.at).toBe(t0 + 100);

    net.setLinkOptions(a!.address, b!.address, undefined);
    net.setLatency(25);
    net.setLossRate(1);
    a!.send(b!.address, new Uint8Array([3]));
    net.setLossRate(0);
    const t1 = clock.now();
    a!.send(b!.address, new Uint8Array([4]));
    await clock.advance(25);
    expect(inB.map((r) => r.data[0])).toEqual([1, 4]);
    expect(inB[1]?.at).toBe(t1 + 25);
    expect(() => net.setLossRate(1.5)).toThrow(InvalidArgumentError);
    expect(() => net.setLatency(-1)).toThrow(InvalidArgumentError);
    expect(() => setup({ jitterMs: Number.NaN })).toThrow(InvalidArgumentError);
  });

  it('throws PacketTooLargeError for oversize packets and counts a send error', async () => {
    const { net } = setup({ maxPacketBytes: 64 });
    const [a, b] = await opened(net, 2);
    expect(a!.maxPacketBytes).toBe(64);
    expect(() => a!.send(b!.address, new Uint8Array(65))).toThrow(PacketTooLargeError);
    expect(a!.stats.sendErrors).toBe(1);
    expect(net.stats.sent).toBe(0);
  });

  it('catches a throwing listener, counts it and keeps delivering', async () => {
    const errors: EndpointError[] = [];
    const { clock, net } = setup({ onError: (e) => errors.push(e) });
    const [a, b] = await opened(net, 2);
    b!.addListener(() => {
      throw new Error('bad handler');
    });
    const inB = collect(b!, clock);
    a!.send(b!.address, new Uint8Array([1]));
    a!.send(b!.address, new Uint8Array([2]));
    await clock.advance(10);
    expect(inB).toHaveLength(2);
    expect(b!.stats.listenerErrors).toBe(2);
    expect(net.stats.listenerErrors).toBe(2);
    expect(errors).toHaveLength(2);
    expect((errors[0]?.cause as Error).message).toBe('bad handler');
  });

  it('drops packets to unknown addresses and counts them', async () => {
    const { clock, net } = setup();
    const [a] = await opened(net, 1);
    a!.send({ host: '192.0.2.1', port: 1 }, new Uint8Array([1]));
    await clock.advance(10);
    expect(net.stats).toMatchObject({ sent: 1, delivered: 0, dropped: 1, inFlight: 0 });
    expect(a!.stats.sendErrors).toBe(0); // fire and forget, as with UDP
  });

  it('carries one packet from each of 5,000 endpoints cheaply', async () => {
    const { clock, net } = setup({ latencyMs: 10, jitterMs: 5 });
    const random = new SeededRandom(7);
    const heapBefore = process.memoryUsage().heapUsed;
    const endpoints = await opened(net, 5_000);
    expect(net.size).toBe(5_000);
    const received = new Uint32Array(5_000);
    endpoints.forEach((e, i) =>
      e.addListener(() => {
        received[i]!++;
      }),
    );
    const expected = new Uint32Array(5_000);
    endpoints.forEach((e, i) => {
      let j = random.int(4_999);
      if (j >= i) j++;
      expected[j]!++;
      e.send(endpoints[j]!.address, random.bytes(100));
    });
    expect(net.stats.inFlight).toBe(5_000);
    await clock.advance(15);
    const heapDelta = process.memoryUsage().heapUsed - heapBefore;
    expect(net.stats).toMatchObject({ sent: 5_000, delivered: 5_000, dropped: 0, bytes: 500_000, inFlight: 0 });
    expect(received).toEqual(expected);
    expect(heapDelta).toBeLessThan(50 * 1024 * 1024);
    expect(clock.pendingTimers()).toBe(0);
    await Promise.all(endpoints.map((e) => e.close()));
    expect(net.size).toBe(0);
  });
});
