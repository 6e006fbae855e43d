import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ManualClock, MemoryNetwork, RelayClient, RelayServer, SeededRandom, addressKey } from '../../../framework/index.js';
import type { Address, RelayAllocation } from '../../../framework/index.js';
import { relayWorld } from './relay-helpers.js';

const RELAY: Address = { host: '198.18.200.1', port: 8090 };

describe('RelayClient', () => {
  it('a relay that restarted answers the next refresh with a challenge and a new port; the client reports the new address', async () => {
    const w = relayWorld(11);
    const r1 = await w.node({ address: RELAY, server: {} });
    const c = await w.node();
    const changes: (string | undefined)[] = [];
    c.client.onAllocationChange((a: RelayAllocation | undefined) => changes.push(a === undefined ? undefined : addressKey(a.address)));
    const first = await w.clock.settle(c.client.allocate(RELAY));
    await r1.host.stop(); // the relay goes away with its allocations and its cookie secret
    const r2 = await w.node({ address: RELAY, server: {} });
    await w.clock.advance(25_100); // the first refresh
    expect(r2.server!.relayStats.challenges).toBe(1);
    expect(r2.server!.relayStats.allocationsCreated).toBe(1);
    const second = c.client.allocation!;
    expect(second.relay).toEqual(RELAY);
    expect(second.address.port).toBe(r2.ports[0]!.address.port);
    expect(second.address.port).not.toBe(first.address.port);
    expect(changes).toEqual([addressKey(first.address), addressKey(second.address)]);
    expect(c.client.relayStats).toMatchObject({ allocations: 2, losses: 0, refreshes: 1 });
    await w.stop();
    expect(w.clock.pendingTimers()).toBe(0);
  });

  it('allocate() rejects when aborted, when superseded by another allocate(), and when the endpoint closes', async () => {
    const w = relayWorld(12);
    await w.node({ address: RELAY, server: {} });
    const c = await w.node();
    const silent: Address = { host: '198.18.201.1', port: 9 }; // nobody there
    const controller = new AbortController();
    const aborted = c.client.allocate(silent, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'RelayError', reason: 'aborted' });
    const superseded = c.client.allocate(silent);
    const kept = c.client.allocate(RELAY);
    await expect(superseded).rejects.toMatchObject({ reason: 'aborted' });
    expect((await w.clock.settle(kept)).relay).toEqual(RELAY);
    const closing = c.client.allocate(silent);
    await c.host.stop();
    await expect(closing).rejects.toMatchObject({ reason: 'closed' });
    expect(c.client.allocation).toBeUndefined(); // close released the allocation
    await w.stop();
  });

  it('a relay that cannot open a port refuses with open-failed, counted, and holds nothing', async () => {
    const clock = new ManualClock();
    const random = new SeededRandom(13);
    const net = new MemoryNetwork(clock, random, { maxPacketBytes: 1_424 });
    const server = new RelayServer(net.createEndpoint(RELAY), {
      clock,
      random,
      createEndpoint: () => {
        throw new Error('no free port');
      },
    });
    const client = new RelayClient(net.createEndpoint(), { clock, random });
    await server.open();
    await client.open();
    await expect(clock.settle(client.allocate(RELAY))).rejects.toMatchObject({ reason: 'open-failed' });
    expect(server.relayStats.dropped['open-failed']).toBe(1);
    expect(server.relayStats.allocations).toBe(0);
    expect(client.allocation).toBeUndefined();
    await client.close();
    await server.close();
    await clock.advance(100);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('needs room for the relay header in the wrapped endpoint', () => {
    const clock = new ManualClock();
    const random = new SeededRandom(1);
    const net = new MemoryNetwork(clock, random, { maxPacketBytes: 24 });
    expect(() => new RelayClient(net.createEndpoint(), { clock, random })).toThrow(InvalidArgumentError);
    expect(() => new RelayClient(new MemoryNetwork(clock, random).createEndpoint(), { clock, random }, { refreshIntervalMs: 0 })).toThrow(/refreshIntervalMs/);
  });
});
