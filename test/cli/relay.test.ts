import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpEndpoint } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { nodeCommand } from '../../cli/commands/node-command.js';
import { waitFor } from './helpers.js';

const started: PeerlayNode[] = [];
const sockets: UdpEndpoint[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) await n.stop();
  for (const s of sockets.splice(0)) await s.close();
});

async function node(relay: boolean): Promise<PeerlayNode> {
  const n = await PeerlayNode.start({ port: 0, http: null, relay });
  started.push(n);
  return n;
}

describe('peerlay node --relay over real UDP on 127.0.0.1', () => {
  it('a node started with relay serves allocations; a node reaches another through it with a signed DHT ping, and full-size datagrams fit both ways', async () => {
    const relay = await node(true);
    const a = await node(false);
    const b = await node(false);
    expect(relay.relay.server).toBeDefined();
    expect(a.relay.server).toBeUndefined();
    expect(a.relay.client.maxPacketBytes).toBe(1_400);

    const allocation = await a.relay.client.allocate(relay.address);
    expect(allocation.address.host).toBe('127.0.0.1');
    expect(allocation.address.port).not.toBe(relay.address.port);
    expect(a.relay.client.allocation).toEqual(allocation);

    // B pings A at its relayed address: the signed answer comes back through the relay, with A's key.
    const pong = await b.dht.ping({ address: allocation.address });
    expect(pong.publicKey.midHex).toBe(a.host.midHex);
    const s = relay.relay.server!.relayStats;
    expect(s.allocations).toBe(1);
    expect(s.packetsToClient).toBeGreaterThanOrEqual(1);
    expect(s.packetsToPeer).toBeGreaterThanOrEqual(1);
    expect(a.relay.client.relayStats.packetsRelayedIn).toBe(s.packetsToClient);

    // A 1,400-byte datagram (the host's maximum) from a plain socket reaches A's host as from that socket,
    // and A's 1,400-byte answer leaves the relay's port for it.
    const x = new UdpEndpoint({ host: '127.0.0.1', port: 0 });
    sockets.push(x);
    await x.open();
    const atX: { size: number; from: Address }[] = [];
    x.addListener((data, from) => atX.push({ size: data.length, from }));
    const atA: { size: number; from: Address }[] = [];
    a.relay.client.addListener((data, from) => {
      if (from.port === x.address.port) atA.push({ size: data.length, from });
    });
    x.send(allocation.address, new Uint8Array(1_400));
    await waitFor(() => atA.length === 1, 5_000, 'the relayed datagram');
    expect(atA[0]).toEqual({ size: 1_400, from: x.address });
    a.relay.client.send(x.address, new Uint8Array(1_400));
    await waitFor(() => atX.length === 1, 5_000, 'the answer through the relay');
    expect(atX[0]).toEqual({ size: 1_400, from: allocation.address });
    expect(s.dropped.oversized).toBe(0);

    // A node without --relay ignores an ALLOCATE (its host counts it as malformed) and answers nothing.
    const ask = b.relay.client.allocate(a.address, { signal: AbortSignal.timeout(500) });
    await expect(ask).rejects.toMatchObject({ reason: 'aborted' });
    expect(a.host.stats.malformed).toBe(1);

    await a.stop(); // releases the allocation: the relay closes the port
    await waitFor(() => s.allocations === 0, 5_000, 'the release');
    expect(s.allocationsReleased).toBe(1);
  }, 20_000);

  it('peerlay node --help documents --relay', async () => {
    expect(nodeCommand.help).toContain('--relay');
    expect(nodeCommand.options).toHaveProperty('relay');
  });
});
