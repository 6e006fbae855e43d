/**
 * The simulator: N nodes of any communities on one virtual clock; joins, time, removal and the report.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../../../docs/examples/simulator.js';
import { PingPongCommunity } from '../../../docs/examples/ping-pong.js';
import { InvalidArgumentError, Simulation } from '../../../framework/index.js';
import { region } from '../../helpers/doc-region.js';

const ROOT = new URL('../../../', import.meta.url);

describe('Simulation', () => {
  it('the docs example: 60 DHT + ping-pong nodes find every value and answer every ping, and the report adds up', async () => {
    const r = await rehearse(60, 6, 3);
    expect(r.found).toBe(6);
    expect(r.pongs).toBe(6);
    expect(r.report.nodes).toBe(60);
    expect(r.report.joined).toBe(60);
    expect(r.report.handlerErrors).toBe(0);
    expect(r.report.sent['PingPongCommunity']?.['ping']).toBe(6);
    expect(r.report.sent['PingPongCommunity']?.['pong']).toBe(6);
    expect(r.report.packets.delivered).toBe(r.report.packets.sent - r.report.packets.dropped);
    // a find costs some round trips of 20..200 ms virtual time, not wall time
    expect(r.meanFindMs).toBeGreaterThan(20);
    expect(r.meanFindMs).toBeLessThan(2_000);
    expect(r.report.virtualMs).toBeGreaterThanOrEqual(60_000);
  });

  it('docs/simulator.md quotes the example verbatim', () => {
    const doc = readFileSync(new URL('docs/simulator.md', ROOT), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)![1]!.trimEnd();
    expect(block).toBe(region(readFileSync(new URL('docs/examples/simulator.ts', ROOT), 'utf8'), 'simulate'));
  });

  it('per-node latency: every pair has a steady RTT within [A, B], pairs differ, and a bad model is refused', async () => {
    const sim = new Simulation({ seed: 3, rttMs: [20, 200], latency: 'per-node', setup: (h) => h.register(PingPongCommunity) });
    await sim.grow(6);
    const [a, b, c] = sim.nodes;
    const rtt = async (from: typeof a, to: typeof a): Promise<number> => {
      const start = sim.clock.now();
      let at = -1;
      const server = to!.endpoint;
      const once = (data: Uint8Array, source: { host: string; port: number }): void => {
        if (data[0] === 0xee) server.send(source, Uint8Array.of(0xef));
      };
      const back = (data: Uint8Array): void => {
        if (data[0] === 0xef && at < 0) at = sim.clock.now();
      };
      server.addListener(once);
      from!.endpoint.addListener(back);
      from!.endpoint.send(server.address, Uint8Array.of(0xee));
      await sim.clock.advance(250);
      server.removeListener(once);
      from!.endpoint.removeListener(back);
      return at - start;
    };
    const ab = [await rtt(a, b), await rtt(a, b), await rtt(b, a)];
    const ac = await rtt(a, c);
    expect(new Set(ab).size).toBe(1); // steady, both ways
    for (const v of [ab[0]!, ac]) {
      expect(v).toBeGreaterThanOrEqual(20);
      expect(v).toBeLessThanOrEqual(200);
    }
    expect(ac).not.toBe(ab[0]);
    await sim.stop();
    expect(() => new Simulation({ latency: 'per-link' as never, setup: () => {} })).toThrow(InvalidArgumentError);
  });

  it('the same seed gives the same run; another seed another', async () => {
    const run = async (seed: number): Promise<string> => {
      const sim = new Simulation({ seed, setup: (h) => h.register(PingPongCommunity) });
      await sim.grow(12);
      const [a, b] = [sim.pick(), sim.pick()];
      await sim.settle(a.get(PingPongCommunity).ping(b.endpoint.address, 'x'));
      await sim.run(5_000);
      const out = JSON.stringify({ report: sim.report(), mids: sim.nodes.map((n) => n.midHex), now: sim.clock.now() });
      await sim.stop();
      return out;
    };
    const first = await run(11);
    expect(await run(11)).toBe(first);
    expect(await run(12)).not.toBe(first);
  });

  it('without a join step, contacts become the host bootstrap: every node walks to verified peers', async () => {
    const sim = new Simulation({ seed: 5, introductions: 2, setup: (h) => h.register(PingPongCommunity) });
    await sim.grow(10);
    await sim.run(20_000);
    for (const node of sim.nodes.slice(1)) expect(node.get(PingPongCommunity).peers.size).toBeGreaterThan(0);
    await sim.stop();
  });

  it('remove: a node drops out, its pings time out, the counts say so, and stop clears every timer', async () => {
    const sim = new Simulation({ seed: 9, setup: (h) => h.register(PingPongCommunity) });
    await sim.grow(5);
    const gone = sim.nodes[3]!;
    await sim.remove(gone);
    expect(sim.size).toBe(4);
    expect(sim.report()).toMatchObject({ nodes: 4, joined: 5, left: 1 });
    const pinger = sim.nodes[0]!.get(PingPongCommunity);
    await expect(sim.settle(pinger.ping(gone.endpoint.address, 'anyone?', { timeoutMs: 500 }))).rejects.toThrow();
    await sim.removeAt(0);
    expect(sim.report().left).toBe(2);
    await sim.stop();
    expect(sim.size).toBe(0);
    expect(sim.clock.pendingTimers()).toBe(0);
  });

  it('misuse throws InvalidArgumentError with a clear message', () => {
    const setup = (): void => undefined;
    expect(() => new Simulation({ setup, rttMs: [50, 10] })).toThrow(InvalidArgumentError);
    expect(() => new Simulation({ setup, lossRate: 2 })).toThrow(/lossRate/);
    expect(() => new Simulation({ setup, introductions: -1 })).toThrow(/introductions/);
    const sim = new Simulation({ setup });
    expect(() => sim.pick()).toThrow(/no live node/);
    return expect(sim.grow(-1)).rejects.toThrow(InvalidArgumentError);
  });
});
