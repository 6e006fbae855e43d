import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from '../../../framework/endpoint/address.js';
import { MAX_SOURCE_ADDRESSES, UdpEndpoint } from '../../../framework/endpoint/udp-endpoint.js';

const opened: UdpEndpoint[] = [];
afterEach(async () => {
  for (const e of opened.splice(0)) await e.close();
});

async function open(): Promise<UdpEndpoint> {
  const endpoint = new UdpEndpoint({ host: '127.0.0.1', port: 0 });
  opened.push(endpoint);
  await endpoint.open();
  return endpoint;
}

async function waitFor(done: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for delivery');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('UdpEndpoint: the source address of received datagrams', () => {
  it('is one frozen object per source, equal to the sender address', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    const seen: Address[] = [];
    c.addListener((_data, from) => seen.push(from));
    a.send(c.address, new Uint8Array([1]));
    a.send(c.address, new Uint8Array([2]));
    b.send(c.address, new Uint8Array([3]));
    await waitFor(() => seen.length === 3);
    const fromA = seen.filter((f) => f.port === a.address.port);
    const fromB = seen.find((f) => f.port === b.address.port)!;
    expect(fromA).toHaveLength(2);
    expect(fromA[0]).toBe(fromA[1]);
    expect(Object.isFrozen(fromA[0])).toBe(true);
    expect(fromA[0]).toEqual(a.address);
    expect(fromB).not.toBe(fromA[0]);
    expect(fromB).toEqual(b.address);
  });

  it('remembers at most MAX_SOURCE_ADDRESSES sources, then starts over', async () => {
    const endpoint = await open();
    const sourceOf = (host: string, port: number): Address => (endpoint as unknown as { sourceOf(h: string, p: number): Address }).sourceOf(host, port);
    const first = sourceOf('10.0.0.1', 1);
    for (let i = 1; i < MAX_SOURCE_ADDRESSES; i++) sourceOf('10.0.0.2', i);
    expect(sourceOf('10.0.0.1', 1)).toBe(first); // still held: exactly MAX_SOURCE_ADDRESSES sources so far
    sourceOf('10.0.0.3', 1); // one past the bound: the table starts over
    const again = sourceOf('10.0.0.1', 1);
    expect(again).not.toBe(first);
    expect(again).toEqual({ host: '10.0.0.1', port: 1 });
    expect(sourceOf('10.0.0.1', 1)).toBe(again);
  });
});
