/**
 * Issue #17: the walker's retries of its bootstrap addresses while it knows nobody are paced on a backoff
 * (BOOTSTRAP_WALK_BACKOFF) instead of one introduction request every 500 ms tick forever; a bootstrap node
 * that comes up late is still found.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { PingPongCommunity } from '../../../docs/examples/ping-pong.js';
import { BOOTSTRAP_WALK_BACKOFF } from '../../../framework/community/discovery.js';
import { maxAttemptsWithin } from '../../../framework/time/backoff.js';
import { OverlayHost, PrivateKey, SeededRandom, parseAddress } from '../../../framework/index.js';
import { simNet } from '../../helpers/memory-nodes.js';

describe('the bootstrap walk while no peer is known', () => {
  it('retries on the backoff: at most the schedule in a minute, then one per 24-36 s', async () => {
    const net = simNet(5);
    const silent = net.network.createEndpoint();
    await silent.open();
    let received = 0;
    silent.addListener(() => received++);
    await net.addHost({ bootstrap: [silent.address], setup: (h) => h.register(PingPongCommunity) });
    await net.clock.advance(60_000);
    // The walk at start, then the strategy's walks from the first tick (500 ms) on the backoff.
    const bound = 1 + maxAttemptsWithin(BOOTSTRAP_WALK_BACKOFF, 60_000 - 500);
    expect(received).toBeLessThanOrEqual(bound);
    expect(received).toBeGreaterThanOrEqual(10);
    expect(bound).toBeLessThanOrEqual(16); // 120 without the backoff (one every tick)
    const before = received;
    await net.clock.advance(240_000);
    expect(received - before).toBeLessThanOrEqual(Math.ceil(240_000 / (BOOTSTRAP_WALK_BACKOFF.maxDelayMs * (1 - BOOTSTRAP_WALK_BACKOFF.jitter))));
    expect(received - before).toBeGreaterThanOrEqual(Math.floor(240_000 / (BOOTSTRAP_WALK_BACKOFF.maxDelayMs * (1 + BOOTSTRAP_WALK_BACKOFF.jitter))) - 1);
    expect(await net.stopAndDrain()).toBe(0);
    await silent.close();
  });

  it('finds a bootstrap node that starts 5 s late within the next retry', async () => {
    const net = simNet(6);
    const address = parseAddress('198.18.200.1:7000'); // where the late node will be
    const walker = await net.addHost({ bootstrap: [address], setup: (h) => h.register(PingPongCommunity) });
    await net.clock.advance(5_000);
    expect(walker.get(PingPongCommunity).peers.size).toBe(0);
    const late = new OverlayHost({ endpoint: net.network.createEndpoint(address), key: PrivateKey.generate(new SeededRandom(66)), clock: net.clock, random: new SeededRandom(67) });
    late.register(PingPongCommunity);
    await late.start();
    const found = await net.clock.runUntil(() => walker.get(PingPongCommunity).peers.size > 0, 10_000, 100);
    expect(found).toBe(true);
    await walker.stop();
    await late.stop();
    await net.clock.advance(1_000);
    expect(net.clock.pendingTimers()).toBe(0);
  });
});
