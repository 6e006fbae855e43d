import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from '../../../framework/endpoint/address.js';
import { UdpEndpoint } from '../../../framework/endpoint/udp-endpoint.js';
import { EndpointError, InvalidArgumentError, PacketTooLargeError } from '../../../framework/errors.js';

interface Received {
  data: Uint8Array;
  from: Address;
}

const opened: UdpEndpoint[] = [];

/** Creates an endpoint on loopback and remembers it for cleanup. */
function loopback(options: ConstructorParameters<typeof UdpEndpoint>[0] = {}): UdpEndpoint {
  const endpoint = new UdpEndpoint({ host: '127.0.0.1', port: 0, ...options });
  opened.push(endpoint);
  return endpoint;
}

/** Polls `done` until true; fails after `timeoutMs` of real time (real sockets deliver asynchronously). */
async function waitFor(done: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for delivery');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function collect(endpoint: UdpEndpoint): Received[] {
  const inbox: Received[] = [];
  endpoint.addListener((data, from) => inbox.push({ data, from }));
  return inbox;
}

/** Whether this host can bind UDP on ::1. */
async function ipv6LoopbackAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createSocket('udp6');
    probe.once('error', () => {
      probe.close();
      resolve(false);
    });
    probe.bind(0, '::1', () => probe.close(() => resolve(true)));
  });
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((e) => e.close()));
});

describe('UdpEndpoint', () => {
  it('exchanges datagrams both ways on 127.0.0.1 with the peer address as source', async () => {
    const a = loopback();
    const b = loopback();
    await a.open();
    await b.open();
    expect(a.address.host).toBe('127.0.0.1');
    expect(a.address.port).toBeGreaterThan(0);
    expect(a.address.port).not.toBe(b.address.port);
    const inboxA = collect(a);
    const inboxB = collect(b);

    a.send(b.address, new Uint8Array([1, 2, 3]));
    b.send(a.address, new Uint8Array([9, 8]));
    await waitFor(() => inboxA.length === 1 && inboxB.length === 1);

    expect(inboxB[0]?.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(inboxB[0]?.from).toEqual(a.address);
    expect(inboxA[0]?.data).toEqual(new Uint8Array([9, 8]));
    expect(inboxA[0]?.from).toEqual(b.address);
    // Listeners get plain Uint8Arrays, not Buffers.
    expect(Object.getPrototypeOf(inboxB[0]?.data)).toBe(Uint8Array.prototype);
    expect(a.stats).toMatchObject({ packetsSent: 1, bytesSent: 3, packetsReceived: 1, bytesReceived: 2, sendErrors: 0 });
    expect(b.stats).toMatchObject({ packetsSent: 1, bytesSent: 2, packetsReceived: 1, bytesReceived: 3, sendErrors: 0 });
  });

  it('copies the payload on send, so the caller may reuse its buffer', async () => {
    const a = loopback();
    const b = loopback();
    await a.open();
    await b.open();
    const inbox = collect(b);
    const buffer = new Uint8Array([7, 7, 7]);
    a.send(b.address, buffer);
    buffer.fill(0);
    await waitFor(() => inbox.length === 1);
    expect(inbox[0]?.data).toEqual(new Uint8Array([7, 7, 7]));
  });

  it('works over IPv6 loopback when ::1 is available, and fails to open with EndpointError otherwise', async () => {
    const available = await ipv6LoopbackAvailable();
    const a = loopback({ host: '::1' });
    const b = loopback({ host: '::1' });
    if (!available) {
      await expect(a.open()).rejects.toBeInstanceOf(EndpointError);
      expect(a.isOpen).toBe(false);
      return;
    }
    await a.open();
    await b.open();
    expect(a.address.host).toBe('::1');
    const inboxA = collect(a);
    const inboxB = collect(b);
    a.send(b.address, new Uint8Array([6]));
    b.send(a.address, new Uint8Array([4, 6]));
    await waitFor(() => inboxA.length === 1 && inboxB.length === 1);
    expect(inboxB[0]).toEqual({ data: new Uint8Array([6]), from: a.address });
    expect(inboxA[0]).toEqual({ data: new Uint8Array([4, 6]), from: b.address });
  });

  it('throws PacketTooLargeError for oversize packets and counts a send error', async () => {
    const a = loopback({ maxPacketBytes: 100 });
    const b = loopback();
    await a.open();
    await b.open();
    const inbox = collect(b);
    let thrown: unknown;
    try {
      a.send(b.address, new Uint8Array(101));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PacketTooLargeError);
    expect(thrown).toMatchObject({ size: 101, max: 100 });
    expect(a.stats.sendErrors).toBe(1);
    expect(a.stats.packetsSent).toBe(0);
    a.send(b.address, new Uint8Array(100)); // exactly the maximum is fine
    await waitFor(() => inbox.length === 1);
    expect(inbox[0]?.data.byteLength).toBe(100);
    expect(a.stats.sendErrors).toBe(1);
  });

  it('open and close are idempotent, also when called concurrently', async () => {
    const a = loopback();
    expect(() => a.address).toThrow(EndpointError);
    await Promise.all([a.open(), a.open()]);
    const first = a.address;
    await a.open();
    expect(a.isOpen).toBe(true);
    expect(a.address).toEqual(first);
    expect(a.bufferSizes?.receive).toBeGreaterThan(0);
    await Promise.all([a.close(), a.close()]);
    await a.close();
    expect(a.isOpen).toBe(false);
    expect(a.bufferSizes).toBeUndefined();
    // Re-opening after close binds a fresh socket that works.
    await a.open();
    const b = loopback();
    await b.open();
    const inbox = collect(b);
    a.send(b.address, new Uint8Array([5]));
    await waitFor(() => inbox.length === 1);
    expect(inbox[0]?.from).toEqual(a.address);
  });

  it('rejects with EndpointError when the port is in use', async () => {
    const a = loopback();
    await a.open();
    const b = loopback({ port: a.address.port });
    const error: unknown = await b.open().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(EndpointError);
    expect((error as EndpointError).cause).toMatchObject({ code: 'EADDRINUSE' });
    expect(b.isOpen).toBe(false);
    expect(() => b.address).toThrow(EndpointError);
  });

  it('keeps delivering after a listener throws, counting listenerErrors', async () => {
    const errors: EndpointError[] = [];
    const a = loopback();
    const b = loopback({ onError: (e) => errors.push(e) });
    await a.open();
    await b.open();
    b.addListener(() => {
      throw new Error('boom');
    });
    const inbox = collect(b);
    a.send(b.address, new Uint8Array([1]));
    a.send(b.address, new Uint8Array([2]));
    await waitFor(() => inbox.length === 2);
    expect(inbox.map((r) => r.data[0])).toEqual([1, 2]);
    expect(b.stats.listenerErrors).toBe(2);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(EndpointError);
    expect((errors[0]?.cause as Error).message).toBe('boom');
  });

  it('removeListener stops deliveries to that listener only', async () => {
    const a = loopback();
    const b = loopback();
    await a.open();
    await b.open();
    const removed: Uint8Array[] = [];
    const listener = (data: Uint8Array): void => {
      removed.push(data);
    };
    b.addListener(listener);
    const inbox = collect(b);
    b.removeListener(listener);
    a.send(b.address, new Uint8Array([3]));
    await waitFor(() => inbox.length === 1);
    expect(removed).toHaveLength(0);
  });

  it('after close, calls no listener and counts sends as errors', async () => {
    const a = loopback();
    const b = loopback();
    const c = loopback();
    await Promise.all([a.open(), b.open(), c.open()]);
    const inboxB = collect(b);
    const inboxC = collect(c);
    const bAddress = b.address;
    await b.close();
    a.send(bAddress, new Uint8Array([1]));
    a.send(c.address, new Uint8Array([2])); // a barrier: sent after the packet to b
    await waitFor(() => inboxC.length === 1);
    expect(inboxB).toHaveLength(0);
    expect(b.stats.packetsReceived).toBe(0);

    b.send(c.address, new Uint8Array([3]));
    b.send(c.address, new Uint8Array([4]));
    expect(b.stats.sendErrors).toBe(2);
    expect(b.stats.packetsSent).toBe(0);
  });

  it('drops and counts sends to a host that is not an IP literal, without DNS', async () => {
    const errors: EndpointError[] = [];
    const a = loopback({ onError: (e) => errors.push(e) });
    await a.open();
    a.send({ host: 'localhost', port: 9 }, new Uint8Array([1]));
    a.send({ host: '127.0.0.1', port: 0 }, new Uint8Array([1]));
    expect(a.stats.sendErrors).toBe(2);
    expect(a.stats.packetsSent).toBe(0);
    expect(errors.map((e) => e.cause)).toEqual([expect.any(InvalidArgumentError), expect.any(InvalidArgumentError)]);
  });

  it('validates its options', () => {
    expect(() => new UdpEndpoint({ host: 'localhost' })).toThrow(InvalidArgumentError);
    expect(() => new UdpEndpoint({ port: 70_000 })).toThrow(InvalidArgumentError);
    expect(() => new UdpEndpoint({ maxPacketBytes: 0 })).toThrow(InvalidArgumentError);
    expect(() => new UdpEndpoint({ maxPacketBytes: 65_508 })).toThrow(InvalidArgumentError);
    expect(new UdpEndpoint({ host: '::1', maxPacketBytes: 65_527 }).maxPacketBytes).toBe(65_527);
    expect(new UdpEndpoint().maxPacketBytes).toBe(1_400);
  });
});
