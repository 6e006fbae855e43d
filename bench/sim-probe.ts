/**
 * Diagnostic: grows a {@link SimDht} in chunks and prints, per chunk, wall and simulated seconds, packets,
 * DHT lookups (joins' and maintenance refreshes), timeouts, pending timers and heap, so the cost of a join
 * can be followed as N grows. `node dist/bench/sim-probe.js N [CHUNK] [CONCURRENCY]`.
 * @module
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { SimDht } from './sim-net.js';

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

/** Process CPU time (user + system), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

/** Sums DHT statistics over every live node. */
function totals(sim: SimDht): { lookups: number; refreshes: number; queries: number; timeouts: number; types: Record<string, number> } {
  const t = { lookups: 0, refreshes: 0, queries: 0, timeouts: 0, types: {} as Record<string, number> };
  for (const { dht } of sim.live) {
    const s = dht.statistics;
    t.lookups += s.lookups;
    t.refreshes += s.refreshes;
    t.queries += s.queries;
    t.timeouts += s.timeouts;
    for (const [name, n] of Object.entries(dht.stats.sent)) t.types[name] = (t.types[name] ?? 0) + n;
  }
  return t;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2_000);
  const chunk = Number(process.argv[3] ?? 500);
  const concurrency = Number(process.argv[4] ?? 32);
  const sim = new SimDht({ seed: 1, rttMs: [20, 200] });
  let before = { wall: performance.now(), cpu: cpuMs(), sim: sim.clock.now(), sent: 0, gc: 0, ...totals(sim) };
  while (sim.size < n) {
    await sim.grow(Math.min(chunk, n - sim.size), concurrency);
    const t = totals(sim);
    const now = { wall: performance.now(), cpu: cpuMs(), sim: sim.clock.now(), sent: sim.network.stats.sent, gc: gcMs, ...t };
    const joins = chunk;
    console.log(
      JSON.stringify({
        size: sim.size,
        wall_s: +((now.wall - before.wall) / 1e3).toFixed(1),
        gc_s: +((now.gc - before.gc) / 1e3).toFixed(1),
        us_per_packet: Math.round(((now.wall - before.wall) * 1e3) / (now.sent - before.sent)),
        cpu_us_per_packet: Math.round(((now.cpu - before.cpu) * 1e3) / (now.sent - before.sent)),
        sim_s: +((now.sim - before.sim) / 1e3).toFixed(1),
        packets_per_join: Math.round((now.sent - before.sent) / joins),
        lookups_per_join: +((now.lookups - before.lookups) / joins).toFixed(1),
        refreshes: now.refreshes - before.refreshes,
        queries_per_join: Math.round((now.queries - before.queries) / joins),
        timeouts: now.timeouts - before.timeouts,
        timers: sim.clock.pendingTimers(),
        types: Object.fromEntries(Object.entries(now.types).map(([k, v]) => [k, +((v - (before.types[k] ?? 0)) / joins).toFixed(1)])),
        heap_mb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      }),
    );
    before = now;
  }
  await sim.stop();
}

await main();
