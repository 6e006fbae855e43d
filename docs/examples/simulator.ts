/**
 * Example: rehearse a network before deploying it. The framework's `Simulation` builds N nodes of any set of
 * communities on one in-memory network and one virtual clock (real keys, real signatures), drives time and
 * reports what happened. Here every node runs the DHT and the example's own ping-pong community.
 * `test/framework/simulation.test.ts` runs `rehearse()` and checks that `docs/simulator.md` quotes the
 * `simulate` region verbatim. Run on its own: `node dist/docs/examples/simulator.js`.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DHTCommunity } from '../../communities/dht/index.js';
import { Simulation, utf8 } from '../../framework/index.js';
import type { SimulationReport } from '../../framework/index.js';
import { PingPongCommunity } from './ping-pong.js';

/** What {@link rehearse} observed. */
export interface Rehearsal {
  /** Values found, of those looked for. */
  readonly found: number;
  /** Values looked for. */
  readonly lookedFor: number;
  /** Pings answered, of those sent. */
  readonly pongs: number;
  /** Mean virtual time of a find, in ms. */
  readonly meanFindMs: number;
  /** The simulation's report at the end. */
  readonly report: SimulationReport;
}

/**
 * Builds `nodes` nodes with a round trip of 20..200 ms, stores `values` signed values from random nodes,
 * finds each from another random node, and pings between random pairs.
 */
export async function rehearse(nodes = 100, values = 10, seed = 7): Promise<Rehearsal> {
  // #region simulate
  const sim = new Simulation({
    seed, // the same seed gives the same run
    rttMs: [20, 200], // each round trip takes 20..200 ms of virtual time
    setup: (host) => {
      host.register(DHTCommunity); // the communities every node runs
      host.register(PingPongCommunity);
    },
    join: (host, contacts) => host.get(DHTCommunity).bootstrap(contacts), // how a new node joins
  });
  await sim.grow(nodes); // virtual time runs while the nodes join

  let found = 0;
  let findMs = 0;
  for (let i = 0; i < values; i++) {
    const key = `key ${i}`;
    await sim.settle(sim.pick().get(DHTCommunity).storeValue(key, utf8(`value ${i}`), { sign: true }));
    const started = sim.clock.now();
    const got = await sim.settle(sim.pick().get(DHTCommunity).findValues(key));
    findMs += sim.clock.now() - started;
    if (got.some((v) => new TextDecoder().decode(v.data) === `value ${i}`)) found++;
  }
  let pongs = 0;
  for (let i = 0; i < values; i++) {
    const [a, b] = [sim.pick(), sim.pick()];
    const echoed = await sim.settle(a.get(PingPongCommunity).ping(b.endpoint.address, `hello ${i}`));
    if (echoed === `hello ${i}`) pongs++;
  }
  await sim.run(60_000); // a minute of maintenance
  const report = sim.report(); // packets, bytes, messages by community, drops, handler errors
  await sim.stop();
  // #endregion simulate
  return { found, lookedFor: values, pongs, meanFindMs: findMs / values, report };
}

// Run on its own: `node dist/docs/examples/simulator.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await rehearse();
  console.log(`${r.report.nodes} simulated nodes, ${(r.report.virtualMs / 1_000).toFixed(1)} s of virtual time`);
  console.log(`found ${r.found}/${r.lookedFor} values (mean ${r.meanFindMs.toFixed(0)} ms per find), ${r.pongs}/${r.lookedFor} pings answered`);
  console.log(`${r.report.packets.sent} packets, ${r.report.packets.bytes} bytes; ${r.report.handlerErrors} handler errors`);
}
