/**
 * A large simulated DHT for the `simulate` benchmark: N overlay hosts with real keys and signatures on
 * a {@link MemoryNetwork} driven by one {@link ManualClock}, so protocol time runs as fast as the CPU allows.
 *
 * Latency models (see `SimulationOptions.latency`): `per-packet` draws every packet's one-way delay
 * uniformly from `[A/2, B/2]` (network latency `(A+B)/4`, jitter `(B-A)/4`), so a round trip lies in
 * `A..B` ms with mean `(A+B)/2` (the sum of two uniform draws: triangular, not flat), and no contact is
 * faster than another. `per-node` gives each node a fixed access delay, so each pair has a steady RTT in
 * `A..B` with the same mean, and some contacts are faster than others, as on the Internet.
 * @module
 */
import 'reflect-metadata';
import { Simulation } from '../framework/index.js';
import type { LatencyModel, ManualClock, MemoryNetwork, OverlayHost, SeededRandom } from '../framework/index.js';
import { DHTCommunity } from '../communities/dht/index.js';
import type { DHTSettings } from '../communities/dht/index.js';

export { SETTLE_FOREVER_MS } from '../framework/index.js';

/** Options of {@link SimDht}. */
export interface SimDhtOptions {
  /** Seed of every random draw (keys, latencies, choices). */
  seed: number;
  /** Round-trip time range in ms, `[A, B]`. */
  rttMs: readonly [number, number];
  /** The latency model (see `SimulationOptions.latency`). @default 'per-packet' */
  latency?: LatencyModel;
  /** Settings of every node's DHT. @default {} */
  settings?: DHTSettings;
  /** Random earlier nodes each joining node pings before its self-lookup. @default 3 */
  introductions?: number;
}

/** A live node of a {@link SimDht}. */
export interface SimNode {
  /** Its host. */
  readonly host: OverlayHost;
  /** Its DHT. */
  readonly dht: DHTCommunity;
}

/**
 * A simulated DHT: the framework's {@link Simulation} with every node running a {@link DHTCommunity} that
 * joins by pinging its contacts and looking up its own id.
 */
export class SimDht {
  /** The simulation underneath. */
  readonly sim: Simulation;

  /** @param options see {@link SimDhtOptions}. */
  constructor(options: SimDhtOptions) {
    this.sim = new Simulation({
      seed: options.seed,
      rttMs: options.rttMs,
      latency: options.latency ?? 'per-packet',
      introductions: options.introductions ?? 3,
      setup: (host) => host.register(DHTCommunity, options.settings ?? {}),
      join: (host, contacts) => host.get(DHTCommunity).bootstrap(contacts),
    });
  }

  /** The virtual clock every node and the network share. */
  get clock(): ManualClock {
    return this.sim.clock;
  }

  /** The benchmark's own random source (choices of nodes, keys); nodes get their own seeded ones. */
  get random(): SeededRandom {
    return this.sim.random;
  }

  /** The in-memory network. */
  get network(): MemoryNetwork {
    return this.sim.network;
  }

  /** Live node count. */
  get size(): number {
    return this.sim.size;
  }

  /** Live nodes, in join order (a leaving node is swapped with the last); a fresh array. */
  get live(): SimNode[] {
    return this.sim.nodes.map((host) => ({ host, dht: host.get(DHTCommunity) }));
  }

  /** The live node at `index`. */
  at(index: number): SimNode {
    const host = this.sim.nodes[index]!;
    return { host, dht: host.get(DHTCommunity) };
  }

  /** A uniformly random live node. */
  pick(): SimNode {
    const host = this.sim.pick();
    return { host, dht: host.get(DHTCommunity) };
  }

  /**
   * Starts a node and joins it: ping a few random live nodes, then look up its own id. The node is live
   * (answers requests) from the start of its join. Must run while the clock is being advanced.
   * @returns the node's DHT.
   */
  async join(): Promise<DHTCommunity> {
    return (await this.sim.join()).get(DHTCommunity);
  }

  /**
   * Joins `count` nodes with `concurrency` joins in flight, advancing the clock until all are done.
   * @param onProgress called after each finished join with the number of joined nodes.
   */
  grow(count: number, concurrency: number, onProgress?: (size: number) => void): Promise<void> {
    return this.sim.grow(count, { concurrency, onProgress });
  }

  /** Stops a live node (it drops out silently, like a crashed peer) and forgets it. */
  leave(index: number): Promise<void> {
    return this.sim.removeAt(index);
  }

  /** Stops every node. */
  stop(): Promise<void> {
    return this.sim.stop();
  }
}
