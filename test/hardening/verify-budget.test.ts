import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { PingPongCommunity, Ping } from '../../docs/examples/ping-pong.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom } from '../../framework/index.js';
import type { MemoryEndpoint, VerifyBudgetOptions } from '../../framework/index.js';

const SOURCES = 400; // distinct public IPs, each at the per-source rate (50/s), far under the per-IP one
const STEPS_MS = 2_000;
const PER_MS = 20; // 20,000 signed packets/s in all: 40,000 over 2 s
const BUDGET_PER_SECOND = 2_000;

/** Many sources, each within its limits, flood the target while it pings a peer every 100 ms. */
async function distributedFlood(verifyBudget: VerifyBudgetOptions | false, steps = STEPS_MS): Promise<{ target: OverlayHost; answered: number; pings: number; floodHandled: number }> {
  const clock = new ManualClock();
  const random = new SeededRandom(77);
  const network = new MemoryNetwork(clock, random, { latencyMs: 2, jitterMs: 2 }); // jitter: answers arrive amid the flood
  const make = async (options: { verifyBudget?: VerifyBudgetOptions | false } = {}): Promise<OverlayHost> => {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, ...options });
    host.register(PingPongCommunity);
    await host.start();
    return host;
  };
  const target = await make({ verifyBudget });
  const peer = await make();
  const sources: MemoryEndpoint[] = [];
  for (let i = 0; i < SOURCES; i++) {
    const e = network.createEndpoint();
    await e.open();
    sources.push(e);
  }
  const packet = peer.get(PingPongCommunity).encode(Ping, { id: 9n, text: 'flood' });
  const pinger = target.get(PingPongCommunity);
  let pings = 0;
  let answered = 0;
  const pending: Promise<unknown>[] = [];
  for (let ms = 0; ms < steps; ms++) {
    for (let k = 0; k < PER_MS; k++) sources[(ms * PER_MS + k) % SOURCES]!.send(target.endpoint.address, packet);
    if (ms % 100 === 0) {
      pings++;
      pending.push(pinger.ping(peer.endpoint.address, `own ${ms}`).then(() => answered++, () => undefined));
    }
    await clock.advance(1);
  }
  await clock.settle(Promise.all(pending));
  const floodHandled = pinger.stats.received['ping'] ?? 0;
  await target.stop();
  await peer.stop();
  for (const e of sources) await e.close();
  return { target, answered, pings, floodHandled };
}

describe('a node-wide verification budget', () => {
  it('caps the packets a distributed flood gets verified, counts the rest as over budget, and keeps answers to our own requests', async () => {
    const { target, answered, pings, floodHandled } = await distributedFlood({ perSecond: BUDGET_PER_SECOND });
    const budget = target.verifyBudget!;
    // no source was over its own limits: only the budget stopped the flood
    expect(target.stats.rateLimited).toBe(0);
    // at most the burst plus 2 s of refill reached signature checks
    expect(floodHandled).toBeLessThanOrEqual(BUDGET_PER_SECOND + 2 * BUDGET_PER_SECOND + 10);
    expect(target.stats.overBudget).toBe(STEPS_MS * PER_MS - floodHandled);
    expect(budget.stats.overBudget).toBe(target.stats.overBudget);
    // the node's own pings were all answered: their pongs came from an address it had just sent to
    expect(answered).toBe(pings);
    expect(budget.stats.solicited).toBeGreaterThanOrEqual(pings / 2);
    // the 400 flooders were answered (pongs) but earned no bypass: answers do not count as requests
    expect(budget.stats.solicited).toBeLessThanOrEqual(pings);
  });

  it('without the bypass for answers to our own requests, the flood makes some of them fail', async () => {
    const { answered, pings } = await distributedFlood({ perSecond: BUDGET_PER_SECOND, solicitedWindowMs: 1 }, 1_000);
    expect(answered).toBeLessThan(pings);
  });

  it('does not charge packets tagged by a peer whose pairwise key the node holds (one HMAC each, no signature check)', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork(clock, new SeededRandom(5));
    const make = async (seed: number): Promise<OverlayHost> => {
      const host = new OverlayHost({ endpoint: network.createEndpoint(), key: PrivateKey.generate(new SeededRandom(seed)), clock, random: new SeededRandom(seed), rateLimit: false, verifyBudget: { perSecond: 100 } });
      host.register(PingPongCommunity);
      await host.start();
      return host;
    };
    const target = await make(1);
    const peer = await make(2);
    target.context.pairs!.macFor(peer.key.publicKey); // the target holds the pair's keys, as after a first exchange
    const source = network.createEndpoint();
    await source.open();
    const sender = peer.get(PingPongCommunity);
    for (let i = 0; i < 500; i++) source.send(target.endpoint.address, sender.encode(Ping, { id: BigInt(i + 1), text: 'tagged' }, target.key.publicKey));
    await clock.advance(10);
    expect(target.get(PingPongCommunity).stats.received['ping']).toBe(500);
    expect(target.stats.overBudget).toBe(0);
    for (let i = 0; i < 500; i++) source.send(target.endpoint.address, sender.encode(Ping, { id: BigInt(i + 1), text: 'signed' }));
    await clock.advance(10);
    expect(target.get(PingPongCommunity).stats.received['ping']).toBeLessThanOrEqual(500 + 102);
    expect(target.stats.overBudget).toBeGreaterThanOrEqual(398);
    await target.stop();
    await peer.stop();
    await source.close();
  });

  it('without it, every packet of the same flood reaches a signature check', async () => {
    const { target, answered, pings, floodHandled } = await distributedFlood(false, 300); // 6,000 packets show it
    expect(target.verifyBudget).toBeUndefined();
    expect(floodHandled).toBe(300 * PER_MS);
    expect(answered).toBe(pings);
  });
});
