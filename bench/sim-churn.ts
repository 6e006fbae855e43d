/**
 * The churn phase of the `simulate` benchmark: replace nodes at a steady rate for some simulated hours,
 * with the DHT's own republishing (publishers, hourly) and replication (storers, hourly) running, then
 * look every stored value up from a random live node.
 * @module
 */
import { equalBytes } from '../framework/index.js';
import type { DHTCommunity } from '../communities/dht/index.js';
import { Stopwatch, round3 } from './report.js';
import type { SimDht } from './sim-net.js';
import type { StoredValue } from './simulate.js';
import { pool } from './simulate.js';

const HOUR_MS = 3_600_000;

/** Options of {@link runChurn}. */
export interface ChurnOptions {
  /** Fraction of the network replaced per simulated hour (0.1 = 10 %/h). */
  readonly rate: number;
  /** Simulated hours. */
  readonly hours: number;
  /** Lookups in flight at once in the final check. */
  readonly concurrency: number;
  /** Progress output. */
  readonly say: (line: string) => void;
}

/** JSON result of the churn phase. */
export interface ChurnResult {
  /** Fraction replaced per hour. */
  readonly rate_per_hour: number;
  /** Simulated hours run. */
  readonly hours: number;
  /** Nodes that left (each replaced by a fresh node with a new key and address). */
  readonly replaced: number;
  /** Stored values looked up after the churn. */
  readonly values: number;
  /** Values found with their original data. */
  readonly found: number;
  /** found / values. */
  readonly found_fraction: number;
  /** Packets sent during the churn hours (joins, maintenance, replication, republishing). */
  readonly messages: number;
  /** Bytes delivered during the churn hours. */
  readonly bytes: number;
  /** Wall seconds of the phase. */
  readonly wall_s: number;
}

/**
 * Replaces `rate × N` nodes per simulated hour, spread evenly, for `hours`; publishers never leave (their
 * republishing is part of what is measured), every other live node may. Then finds every value once.
 */
export async function runChurn(sim: SimDht, values: readonly StoredValue[], o: ChurnOptions): Promise<ChurnResult> {
  const watch = new Stopwatch();
  const startSent = sim.network.stats.sent;
  const startBytes = sim.network.stats.bytes;
  const publishers = new Set<DHTCommunity>(values.map((v) => v.publisher));
  const events = Math.round(o.rate * sim.size * o.hours);
  const intervalMs = events === 0 ? o.hours * HOUR_MS : (o.hours * HOUR_MS) / events;
  o.say(`simulate: churn ${(o.rate * 100).toFixed(1)}%/h for ${o.hours} h: ${events} replacements, one every ${(intervalMs / 1_000).toFixed(1)} s`);
  const joins: Array<Promise<unknown>> = [];
  const hourEvents = Math.max(1, Math.round(events / o.hours));
  for (let e = 0; e < events; e++) {
    await sim.clock.advance(intervalMs);
    let index = sim.random.int(sim.size);
    while (publishers.has(sim.at(index).dht)) index = sim.random.int(sim.size);
    await sim.leave(index);
    joins.push(sim.join().catch(() => undefined));
    if ((e + 1) % hourEvents === 0) o.say(`simulate: churn hour ${Math.round((e + 1) / hourEvents)} done, ${watch.wallSeconds().toFixed(1)} s`);
  }
  if (events === 0) await sim.clock.advance(intervalMs);
  await sim.clock.settle(Promise.all(joins));
  const messages = sim.network.stats.sent - startSent;
  const bytes = sim.network.stats.bytes - startBytes;
  let found = 0;
  await pool(sim, values.length, o.concurrency, async (i) => {
    const value = values[i]!;
    let finder = sim.pick().dht;
    while (finder === value.publisher) finder = sim.pick().dht;
    const result = await finder.findValues(value.key, { cache: false }).catch(() => []);
    if (result.some((v) => equalBytes(v.data, value.data))) found++;
  });
  return {
    rate_per_hour: o.rate,
    hours: o.hours,
    replaced: events,
    values: values.length,
    found,
    found_fraction: values.length === 0 ? 1 : round3(found / values.length),
    messages,
    bytes,
    wall_s: watch.wallSeconds(),
  };
}
