import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { PingPongCommunity } from '../../../docs/examples/ping-pong.js';
import { simNet } from '../../helpers/memory-nodes.js';

describe('peer discovery on the in-memory network', () => {
  it('200 nodes walking from one bootstrap node each end with at least 20 verified peers', async () => {
    const net = simNet(42, { latencyMs: 20, jitterMs: 10 });
    const boot = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    for (let i = 1; i < 200; i++) {
      await net.addHost({ bootstrap: [boot.endpoint.address], setup: (h) => h.register(PingPongCommunity) });
    }
    const counts = () => net.hosts.map((h) => h.get(PingPongCommunity).peers.size);
    const ok = await net.clock.runUntil(() => counts().every((n) => n >= 20), 120_000, 500);
    const final = counts();
    expect(ok).toBe(true);
    expect(Math.min(...final)).toBeGreaterThanOrEqual(20);
    // every known peer is verified: its mid is the SHA-1 of a key that signed a message from that address
    const somePeer = net.hosts[7]!.get(PingPongCommunity).peers.peers()[0]!;
    const owner = net.hosts.find((h) => h.midHex === somePeer.midHex)!;
    expect(owner.endpoint.address).toEqual(somePeer.address);
    await net.stopAll();
    await net.clock.advance(1_000); // packets already in flight drain (and are dropped at closed endpoints)
    expect(net.clock.pendingTimers()).toBe(0);
  });

  it('churn drops a peer that went silent and keeps live ones', async () => {
    const net = simNet(7);
    const a = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    const b = await net.addHost({ bootstrap: [a.endpoint.address], setup: (h) => h.register(PingPongCommunity) });
    const c = await net.addHost({ bootstrap: [a.endpoint.address], setup: (h) => h.register(PingPongCommunity) });
    await net.clock.advance(5_000);
    const pa = a.get(PingPongCommunity);
    expect(pa.peers.getByMid(b.midHex)).toBeDefined();
    expect(pa.peers.getByMid(c.midHex)).toBeDefined();
    const removed: string[] = [];
    pa.on('peer:removed', (p) => removed.push(p.midHex));
    await b.stop();
    await net.clock.advance(70_000);
    expect(removed).toEqual([b.midHex]);
    expect(pa.peers.getByMid(b.midHex)).toBeUndefined();
    expect(pa.peers.getByMid(c.midHex)).toBeDefined();
    await net.stopAll();
  });
});
