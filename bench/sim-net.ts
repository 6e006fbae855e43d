/**
 * A large simulated DHT for the `simulate` benchmark: N overlay hosts with real keys and signatures on
 * a {@link MemoryNetwork} driven by one {@link ManualClock}, so protocol time runs as fast as the CPU allows.
 *
 * Latency model: every packet's one-way delay is drawn uniformly from `[A/2, B/2]` (network latency
 * `(A+B)/4`, jitter `(B-A)/4`), so a round trip lies in `A..B` ms with mean `(A+B)/2` (the sum of two
 * uniform draws: triangular, not flat). Per-packet draws instead of a fixed RTT per link avoid storing
 * one link entry per node pair (10^8 at N=10,000) and make the RTT estimator face varying delays.
 * @module
 */
import 'reflect-metadata';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom } from '../framework/index.js';
import type { Address } from '../framework/index.js';
import { DHTCommunity } from '../communities/dht/index.js';
import type { DHTSettings } from '../communities/dht/index.js';

/** Virtual-time budget for `clock.settle` when the awaited work must finish however long it takes. */
export const SETTLE_FOREVER_MS = 1e12;

/** Options of {@link SimDht}. */
export interface SimDhtOptions {
  /** Seed of every random draw (keys, latencies, choices). */
  seed: number;
  /** Round-trip time range in ms, `[A, B]`. */
  rttMs: readonly [number, number];
  /** Settings of every node's DHT. @default {} */
  settings?: DHTSettings;
  /** Random earlier nodes each joining node pings before its self-lookup. @default 3 */
  introductions?: number;
}

/** A simulated DHT; nodes join with {@link SimDht.join} and leave with {@link SimDht.leave}. */
export class SimDht {
  /** The virtual clock every node and the network share. */
  readonly clock = new ManualClock();
  /** The benchmark's own random source (choices of nodes, keys); nodes get their own seeded ones. */
  readonly random: SeededRandom;
  /** The in-memory network. */
  readonly network: MemoryNetwork;
  /** Live nodes, in join order (a leaving node is swapped with the last). */
  readonly live: Array<{ host: OverlayHost; dht: DHTCommunity }> = [];
  private readonly settings: DHTSettings;
  private readonly introductions: number;

  /** @param options see {@link SimDhtOptions}. */
  constructor(options: SimDhtOptions) {
    const [a, b] = options.rttMs;
    this.random = new SeededRandom(options.seed);
    this.network = new MemoryNetwork(this.clock, new SeededRandom(options.seed + 1), { latencyMs: (a + b) / 4, jitterMs: (b - a) / 4 });
    this.settings = options.settings ?? {};
    this.introductions = options.introductions ?? 3;
  }

  /** Live node count. */
  get size(): number {
    return this.live.length;
  }

  /** A uniformly random live node. */
  pick(): { host: OverlayHost; dht: DHTCommunity } {
    return this.live[this.random.int(this.live.length)]!;
  }

  /**
   * Starts a node and joins it: ping a few random live nodes, then look up its own id. The node is live
   * (answers requests) from the start of its join. Must run while the clock is being advanced.
   * @returns the node's DHT.
   */
  async join(): Promise<DHTCommunity> {
    const nodeRandom = new SeededRandom(this.random.int(2 ** 31));
    const contacts: Address[] = [];
    for (let i = 0; i < Math.min(this.introductions, this.live.length); i++) contacts.push(this.pick().host.endpoint.address);
    const host = new OverlayHost({ endpoint: this.network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock: this.clock, random: nodeRandom });
    const dht = host.register(DHTCommunity, this.settings);
    await host.start();
    this.live.push({ host, dht });
    if (contacts.length > 0) await dht.bootstrap(contacts);
    return dht;
  }

  /**
   * Joins `count` nodes with `concurrency` joins in flight, advancing the clock until all are done.
   * @param onProgress called after each finished join with the number of joined nodes.
   */
  async grow(count: number, concurrency: number, onProgress?: (size: number) => void): Promise<void> {
    let left = count;
    if (this.live.length === 0 && left > 0) {
      await this.join();
      left--;
    }
    let joined = this.live.length;
    const worker = async (): Promise<void> => {
      while (left > 0) {
        left--;
        await this.join();
        onProgress?.(++joined);
      }
    };
    await this.clock.settle(Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker)), SETTLE_FOREVER_MS);
  }

  /** Stops a live node (it drops out silently, like a crashed peer) and forgets it. */
  async leave(index: number): Promise<void> {
    const node = this.live[index];
    if (node === undefined) return;
    this.live[index] = this.live[this.live.length - 1]!;
    this.live.pop();
    await node.host.stop();
  }

  /** Stops every node. */
  async stop(): Promise<void> {
    for (const { host } of this.live) await host.stop();
    this.live.length = 0;
  }
}
