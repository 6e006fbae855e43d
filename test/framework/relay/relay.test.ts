import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { RelayError, RelayKeeper, addressKey } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';
import { RELAY_MAGIC, encodeCookieMessage, encodeWrapped } from '../../../framework/relay/relay-wire.js';
import { relayWorld } from './relay-helpers.js';

const RELAY: Address = { host: '198.18.200.1', port: 8090 };

describe('Relay through a volunteer (issue #17)', () => {
  it('two nodes behind symmetric NATs exchange signed messages through an allocation; a request from X reaches the client as from X and the answer returns through R:a', async () => {
    const w = relayWorld(1);
    const symmetric = { mapping: 'address-and-port-dependent' } as const;
    const natA = w.net.createNat(symmetric);
    const natB = w.net.createNat(symmetric);
    const r = await w.node({ address: RELAY, server: {} });
    const a = await w.node({ behind: natA });
    const b = await w.node({ behind: natB });
    let aAtRelay: Address | undefined; // A's NAT mapping toward the relay, as the relay sees it
    r.raw.addListener((_data, from) => {
      if (from.host === natA.publicHost) aAtRelay = from;
    });
    const allocation = await w.clock.settle(a.client.allocate(RELAY));
    expect(allocation.relay).toEqual(RELAY);
    expect(allocation.address).toEqual({ host: RELAY.host, port: r.ports[0]!.address.port });
    expect(r.server!.relayStats.challenges).toBe(1); // the first ALLOCATE had no cookie

    // Without the relay, B cannot reach A: A's only mapping is toward the relay and filters everyone else.
    expect(natA.stats.mappingsLive).toBe(1);
    await expect(w.clock.settle(b.ping.ping(aAtRelay!, 'direct', { timeoutMs: 1_000 }))).rejects.toThrow();
    expect(natA.stats.inboundFiltered).toBe(1);

    const heard: Address[] = [];
    a.ping.on('ping:received', (from) => heard.push(from));
    expect(await w.clock.settle(b.ping.ping(allocation.address, 'hello A'))).toBe('hello A');
    expect(heard).toHaveLength(1);
    const x = heard[0]!;
    expect(x.host).toBe(natB.publicHost); // B as the relay's port saw it: B's NAT mapping toward R:a
    expect(a.client.relayedPeers).toBe(1);

    // A answers and now asks B itself: both go through R:a to B's mapping.
    const fromB: Address[] = [];
    b.ping.on('ping:received', (from) => fromB.push(from));
    expect(await w.clock.settle(a.ping.ping(x, 'hello B'))).toBe('hello B');
    expect(fromB).toEqual([allocation.address]); // B sees A as R:a

    const s = r.server!.relayStats;
    expect(s.packetsToClient).toBe(2); // B's ping, B's pong
    expect(s.packetsToPeer).toBe(2); // A's pong, A's ping
    expect(s.bytesToClient).toBe(a.client.relayStats.bytesRelayedIn);
    expect(s.bytesToPeer).toBe(a.client.relayStats.bytesRelayedOut);
    expect(a.client.relayStats.packetsRelayedIn).toBe(2);
    expect(a.client.relayStats.packetsRelayedOut).toBe(2);
    expect(Object.values(s.dropped).reduce((x, y) => x + y, 0)).toBe(0);
    await w.stop();
    expect(r.ports[0]!.isOpen).toBe(false); // the relay closed the allocation's port with the node
    expect(w.clock.pendingTimers()).toBe(0);
  });

  it('the relay sends to X only while X has a permission (it sent to R:a within permissionLifetimeMs); other sends are refused and counted', async () => {
    const w = relayWorld(2);
    const r = await w.node({ address: RELAY, server: { permissionLifetimeMs: 10_000 } });
    const c = await w.node();
    const { address } = await w.clock.settle(c.client.allocate(RELAY));
    const x = w.net.createEndpoint();
    await x.open();
    const atX: number[] = [];
    x.addListener((data) => atX.push(data.length));
    const send = (n: number): void => c.raw.send(RELAY, encodeWrapped('send', x.address, new Uint8Array(n))!);

    send(100);
    await w.clock.advance(50);
    expect(atX).toEqual([]);
    expect(r.server!.relayStats.dropped['no-permission']).toBe(1);

    x.send(address, new Uint8Array([0, 2, 3])); // X writes to R:a: permission for X
    await w.clock.advance(50);
    send(100);
    await w.clock.advance(50);
    expect(atX).toEqual([100]);
    expect(r.server!.relayStats.packetsToPeer).toBe(1);
    expect(r.server!.relayStats.bytesToPeer).toBe(100);

    await w.clock.advance(10_000); // permission lapsed (the client refreshed the allocation meanwhile, not X's permission)
    send(100);
    await w.clock.advance(50);
    expect(atX).toEqual([100]);
    expect(r.server!.relayStats.dropped['no-permission']).toBe(2);
    expect(r.server!.relayStats.allocations).toBe(1);
    await x.close();
    await w.stop();
  });

  it('enforces the per-pair and per-allocation byte rates exactly, both counted', async () => {
    const w = relayWorld(3);
    const r = await w.node({ address: RELAY, server: { pairBytesPerSecond: 4_000, allocationBytesPerSecond: 6_000 } });
    const c = await w.node();
    const { address } = await w.clock.settle(c.client.allocate(RELAY));
    const x = w.net.createEndpoint();
    const y = w.net.createEndpoint();
    await x.open();
    await y.open();
    for (let i = 0; i < 10; i++) x.send(address, new Uint8Array(1_000));
    await w.clock.advance(1);
    for (let i = 0; i < 3; i++) y.send(address, new Uint8Array(1_000));
    await w.clock.advance(20);
    const s = r.server!.relayStats;
    expect(s.packetsToClient).toBe(6);
    expect(s.bytesToClient).toBe(6_000);
    expect(s.dropped['pair-bandwidth']).toBe(6); // X: 4,000 of 10,000 bytes
    expect(s.dropped['allocation-bandwidth']).toBe(1); // Y: 2,000 left of the allocation's 6,000
    expect(c.client.relayStats.bytesRelayedIn).toBe(6_000);
    expect(c.host.stats.unknownCommunity).toBe(6); // the relayed datagrams reached the host (zeros: no community of it)

    await w.clock.advance(1_000); // a second later the buckets are full again
    for (let i = 0; i < 10; i++) x.send(address, new Uint8Array(1_000));
    await w.clock.advance(20);
    expect(s.bytesToClient).toBe(10_000);
    expect(s.dropped['pair-bandwidth']).toBe(12);
    await x.close();
    await y.close();
    await w.stop();
  });

  it('limits allocations per source IP and in total, refusing with a reason', async () => {
    const w = relayWorld(4);
    const r = await w.node({ address: RELAY, server: { maxAllocationsPerIp: 2, maxAllocations: 3 } });
    const sameIp = await Promise.all([1, 2, 3].map((i) => w.node({ address: { host: '198.18.100.1', port: 7_000 + i } })));
    const others = await Promise.all(['198.18.100.2', '198.18.100.3'].map((host) => w.node({ address: { host, port: 7_000 } })));
    await w.clock.settle(sameIp[0]!.client.allocate(RELAY));
    await w.clock.settle(sameIp[1]!.client.allocate(RELAY));
    const third = w.clock.settle(sameIp[2]!.client.allocate(RELAY));
    await expect(third).rejects.toBeInstanceOf(RelayError);
    await expect(third).rejects.toMatchObject({ reason: 'ip-limit' });
    await w.clock.settle(others[0]!.client.allocate(RELAY));
    await expect(w.clock.settle(others[1]!.client.allocate(RELAY))).rejects.toMatchObject({ reason: 'full' });
    const s = r.server!.relayStats;
    expect(s.allocations).toBe(3);
    expect(s.allocationsCreated).toBe(3);
    expect(s.dropped['ip-limit']).toBe(1);
    expect(s.dropped.full).toBe(1);
    expect(r.ports).toHaveLength(3);

    sameIp[0]!.client.release(); // frees one slot of that IP and one in total
    await w.clock.advance(20);
    expect(s.allocationsReleased).toBe(1);
    expect(r.ports[0]!.isOpen).toBe(false);
    await w.clock.settle(sameIp[2]!.client.allocate(RELAY));
    expect(s.allocations).toBe(3);
    await w.stop();
  });

  it('an unrefreshed allocation expires and closes its port; the keeper skips a node without a relay, reports the loss and allocates again', async () => {
    const w = relayWorld(5);
    const r = await w.node({ address: RELAY, server: {} });
    const plain = await w.node({ ping: false }); // runs no relay: its host counts our ALLOCATEs as malformed
    const c = await w.node();
    const seen: (string | undefined)[] = [];
    const keeper = new RelayKeeper(c.client, w.clock, {
      needsRelay: () => true,
      candidates: () => [plain.raw.address, RELAY],
      onAllocation: (a) => seen.push(a === undefined ? undefined : addressKey(a)),
    });
    keeper.start();
    expect(await w.clock.runUntil(() => seen.length === 1, 30_000)).toBe(true);
    expect(seen[0]).toBe(addressKey({ host: RELAY.host, port: r.ports[0]!.address.port }));
    expect(plain.host.stats.malformed).toBe(3); // three ALLOCATEs, never answered
    expect(plain.raw.stats.packetsSent).toBe(0);
    expect(keeper.stats).toMatchObject({ rounds: 1, tries: 2, failures: 1, allocations: 1 });

    await w.clock.advance(120_000); // refreshed every 25 s: still the same allocation
    expect(seen).toHaveLength(1);
    expect(c.client.relayStats.refreshes).toBeGreaterThanOrEqual(4);

    w.net.partition([c.raw.address], [RELAY]); // refreshes are lost from now on
    expect(await w.clock.runUntil(() => seen.length === 2, 90_000)).toBe(true);
    expect(seen[1]).toBeUndefined(); // the client gives up just before the relay's lifetime ends
    await w.clock.advance(5_000);
    expect(r.server!.relayStats.allocationsExpired).toBe(1);
    expect(r.ports[0]!.isOpen).toBe(false);
    expect(c.client.relayStats.losses).toBe(1);

    w.net.heal();
    expect(await w.clock.runUntil(() => seen.length === 3, 600_000)).toBe(true);
    expect(seen[2]).toBe(addressKey({ host: RELAY.host, port: r.ports[1]!.address.port }));
    expect(r.server!.relayStats.allocationsCreated).toBe(2);
    keeper.stop();
    expect(seen).toHaveLength(4);
    expect(seen[3]).toBeUndefined();
    await w.clock.advance(20);
    expect(r.server!.relayStats.allocationsReleased).toBe(1);
    await w.stop();
    expect(w.clock.pendingTimers()).toBe(0);
  });

  it('drops and counts malformed relay datagrams and forged relay answers without throwing; answers are never larger than requests', async () => {
    const w = relayWorld(6);
    const r = await w.node({ address: RELAY, server: {} });
    const c = await w.node();
    await w.clock.settle(c.client.allocate(RELAY));
    const raw = w.net.createEndpoint();
    await raw.open();
    const replies: number[] = [];
    raw.addListener((data) => replies.push(data.length));
    const bad = [
      Uint8Array.of(...RELAY_MAGIC, 99),
      Uint8Array.of(...RELAY_MAGIC, 1, 0, 0),
      Uint8Array.of(...RELAY_MAGIC, 5, 9, 1, 2, 3, 4, 0, 80),
      Uint8Array.of(...RELAY_MAGIC, 5, 4, 1, 2, 3, 4, 0, 0),
      Uint8Array.of(...RELAY_MAGIC, 5, 4, 1),
      Uint8Array.of(...RELAY_MAGIC, 7, 1),
    ];
    for (const d of bad) raw.send(RELAY, d);
    const random = w.random;
    for (let i = 0; i < 300; i++) raw.send(RELAY, Uint8Array.of(...RELAY_MAGIC, ...random.bytes(1 + random.int(40))));
    await w.clock.advance(50);
    const s = r.server!.relayStats;
    const dropped = Object.values(s.dropped).reduce((x, y) => x + y, 0);
    expect(s.dropped.malformed).toBeGreaterThanOrEqual(bad.length);
    // Every datagram was dropped as malformed or with a reason, or answered (well-formed ALLOCATEs get a challenge).
    // (The one challenge before was c's own allocation.)
    expect(dropped + (s.challenges - 1) + r.client.relayStats.unexpected).toBe(bad.length + 300);
    expect(r.host.stats.malformed).toBe(0);
    expect(s.allocations).toBe(1);
    for (const n of replies) expect(n).toBeLessThanOrEqual(25);
    expect(w.net.stats.listenerErrors).toBe(0);

    // A relay answer or relayed data from anyone but our relay is dropped by the client.
    raw.send(c.raw.address, encodeWrapped('data', { host: '198.18.9.9', port: 9 }, Uint8Array.of(0, 2))!);
    raw.send(c.raw.address, encodeCookieMessage('challenge', 1, new Uint8Array(16)));
    await w.clock.advance(50);
    expect(c.client.relayStats.unexpected).toBe(2);
    expect(c.client.relayStats.packetsRelayedIn).toBe(0);
    await raw.close();
    await w.stop();
  });

  it('a full-size datagram fits through the relay both ways; a larger one is dropped as oversized', async () => {
    const w = relayWorld(7);
    const r = await w.node({ address: RELAY, server: {} });
    const c = await w.node();
    expect(c.client.maxPacketBytes).toBe(1_400);
    const { address } = await w.clock.settle(c.client.allocate(RELAY));
    const x = w.net.createEndpoint();
    await x.open();
    const atX: number[] = [];
    x.addListener((data) => atX.push(data.length));
    const atC: Address[] = [];
    c.client.addListener((data, from) => {
      atC.push(from);
      if (data.length <= c.client.maxPacketBytes) c.client.send(from, new Uint8Array(data.length)); // through the relay
    });
    x.send(address, new Uint8Array(1_400));
    await w.clock.advance(50);
    expect(atX).toEqual([1_400]);
    expect(atC).toEqual([x.address]);
    x.send(address, new Uint8Array(1_412)); // 1,412 + 12 header (IPv4 peer) = 1,424, the wire maximum
    x.send(address, new Uint8Array(1_413));
    await w.clock.advance(50);
    expect(r.server!.relayStats.dropped.oversized).toBe(1);
    expect(r.server!.relayStats.packetsToClient).toBe(2);
    expect(() => c.client.send(x.address, new Uint8Array(1_401))).toThrow(/1401/);

    // Once X reaches the client directly, the client answers it directly.
    const fromAtX: Address[] = [];
    x.addListener((_data, from) => fromAtX.push(from));
    x.send(c.raw.address, Uint8Array.of(0, 2, 1));
    await w.clock.advance(50);
    expect(c.client.relayedPeers).toBe(0);
    expect(fromAtX).toEqual([c.raw.address]); // the answer came straight from the client
    await x.close();
    await w.stop();
  });

  it('answers at most challengesPerSecond ALLOCATEs from unproven addresses, with a challenge as large as the request', async () => {
    const w = relayWorld(9);
    const r = await w.node({ address: RELAY, server: { challengesPerSecond: 100 } });
    const raw = w.net.createEndpoint();
    await raw.open();
    const replies: number[] = [];
    raw.addListener((data) => replies.push(data.length));
    const allocate = encodeCookieMessage('allocate', 1, new Uint8Array(16));
    for (let i = 0; i < 150; i++) raw.send(RELAY, allocate);
    await w.clock.advance(20);
    expect(r.server!.relayStats.challenges).toBe(100);
    expect(r.server!.relayStats.dropped['challenge-limit']).toBe(50);
    expect(replies).toHaveLength(100);
    expect(new Set(replies)).toEqual(new Set([allocate.length]));
    expect(r.server!.relayStats.allocations).toBe(0);
    await w.clock.advance(1_000);
    for (let i = 0; i < 150; i++) raw.send(RELAY, allocate);
    await w.clock.advance(20);
    expect(r.server!.relayStats.challenges).toBe(200);
    await raw.close();
    await w.stop();
  });

  it('a node without the relay server ignores relay datagrams: its host counts them as malformed and answers nothing', async () => {
    const w = relayWorld(8);
    const plain = await w.node();
    const raw = w.net.createEndpoint();
    await raw.open();
    raw.send(plain.raw.address, encodeCookieMessage('allocate', 7, new Uint8Array(16)));
    raw.send(plain.raw.address, encodeWrapped('send', raw.address, Uint8Array.of(1, 2, 3))!);
    raw.send(plain.raw.address, Uint8Array.of(...RELAY_MAGIC, 200));
    await w.clock.advance(50);
    expect(plain.host.stats.malformed).toBe(3);
    expect(plain.raw.stats.packetsSent).toBe(0);
    expect(plain.client.relayStats.unexpected).toBe(0);
    await raw.close();
    await w.stop();
  });
});
