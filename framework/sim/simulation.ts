/**
 * The simulator: N overlay hosts running any set of communities on one {@link MemoryNetwork}, all driven by
 * one {@link ManualClock}, so protocol time runs as fast as the CPU allows and every run with the same seed
 * is the same run. Nodes use real keys and real signatures: the simulator takes no shortcut that changes
 * what a node accepts. Its shortcuts (see {@link SimulationOptions.cryptoMemos}) are process-wide memos of
 * results a node would compute itself: a signature made in the process is not verified again, and the
 * second node of a pair takes the pairwise packet keys the first derived.
 *
 * Latency models ({@link SimulationOptions.latency}): `per-packet` draws every packet's one-way delay
 * uniformly from `[A/2, B/2]`, so a round trip lies in `A..B` ms with mean `(A+B)/2`; `per-node` gives each
 * node a fixed access delay from `[A/4, B/4]`, so each pair of nodes has a steady round trip in `A..B`, with
 * the same mean over all pairs.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { MemoryNetwork } from '../endpoint/memory-network.js';
import { InvalidArgumentError } from '../errors.js';
import { PrivateKey } from '../crypto/keys.js';
import { rememberPairKeys } from '../crypto/pair-key-memo.js';
import { rememberSignatures } from '../crypto/signature-memo.js';
import { shareKeys } from '../util/shared-key.js';
import { OverlayHost } from '../overlay/overlay-host.js';
import { SeededRandom } from '../random/random.js';
import { ManualClock } from '../time/manual-clock.js';

/**
 * How the simulator delays packets. `per-packet`: each packet's one-way delay is drawn on its own from
 * `[A/2, B/2]` (no contact is faster than another). `per-node`: each node has a fixed access delay drawn
 * from `[A/4, B/4]`; a packet takes the sum of its sender's and its receiver's, so the RTT of a pair is
 * steady, in `A..B`, with mean `(A+B)/2` over all pairs, and a node can learn which contacts are fast.
 */
export type LatencyModel = 'per-packet' | 'per-node';

/** Registers a node's communities on its host (before it starts). */
export type NodeSetup = (host: OverlayHost) => void;

/**
 * Joins a freshly started node to the network, e.g. `(host, contacts) => host.get(DHTCommunity).bootstrap(contacts)`.
 * Runs while the simulation advances time.
 */
export type JoinStep = (host: OverlayHost, contacts: readonly Address[]) => Promise<unknown>;

/** Options of a {@link Simulation}. */
export interface SimulationOptions {
  /** Registers every node's communities. */
  readonly setup: NodeSetup;
  /** What a new node does to join, given its contacts. @default none: the contacts become the host's `bootstrap` addresses */
  readonly join?: JoinStep;
  /** Seed of every random draw (keys, latencies, choices of contacts). @default 1 */
  readonly seed?: number;
  /** Round-trip time range `[A, B]` in ms. @default [20, 200] */
  readonly rttMs?: readonly [number, number];
  /** How packets are delayed (see {@link LatencyModel}). @default 'per-packet' */
  readonly latency?: LatencyModel;
  /** Probability that a packet is lost, 0..1. @default 0 */
  readonly lossRate?: number;
  /** Random live nodes a new node is given as contacts. @default 3 */
  readonly introductions?: number;
  /**
   * Turn on the process-wide crypto memos ({@link rememberSignatures}, {@link rememberPairKeys}): a
   * signature made by a node of this process is recognised by exact bytes instead of verified again, and
   * pairwise packet keys are derived once per pair instead of once per side. Neither changes what any node
   * accepts (a memo answers only with the result the node would compute). Once on, they stay on for the
   * process. @default true
   */
  readonly cryptoMemos?: boolean;
}

/** What a simulation did, for a report. */
export interface SimulationReport {
  /** Live nodes. */
  readonly nodes: number;
  /** Nodes that ever joined. */
  readonly joined: number;
  /** Nodes that left. */
  readonly left: number;
  /** Virtual time since the simulation was built, in ms. */
  readonly virtualMs: number;
  /** Packets the network carried: sent, delivered, dropped (lost or to nobody), and bytes sent. */
  readonly packets: { readonly sent: number; readonly delivered: number; readonly dropped: number; readonly bytes: number };
  /** Messages sent by all live nodes, by community name, then message name. */
  readonly sent: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Packets dropped by the live nodes' communities before a handler, by community name, then reason. */
  readonly rejected: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Handlers that threw, over all live nodes. */
  readonly handlerErrors: number;
}

/**
 * A simulated overlay network.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ setup: (h) => h.register(DHTCommunity), join: (h, c) => h.get(DHTCommunity).bootstrap(c) });
 * await sim.grow(200);
 * const dht = sim.pick().get(DHTCommunity);
 * await sim.settle(dht.storeValue('key', utf8('value')));
 * console.log(sim.report().packets);
 * await sim.stop();
 * ```
 */
export class Simulation {
  /** The virtual clock every node and the network share. */
  readonly clock = new ManualClock();
  /** The simulation's own random source (contacts, picks); every node gets its own seeded one. */
  readonly random: SeededRandom;
  /** The in-memory network (set partitions, loss and per-link latency on it). */
  readonly network: MemoryNetwork;
  /** Live nodes, in join order (a leaving node is swapped with the last). */
  readonly nodes: OverlayHost[] = [];
  private readonly options: SimulationOptions;
  private readonly startedAt: number;
  private readonly maxOneWayMs: number;
  /** Draws each node's access delay (`per-node` latency only). */
  private readonly accessDelay: (() => number) | undefined;
  private joinedCount = 0;
  private leftCount = 0;

  /**
   * @param options see {@link SimulationOptions}.
   * @throws {@link InvalidArgumentError} for an RTT range or loss rate out of range.
   */
  constructor(options: SimulationOptions) {
    const seed = options.seed ?? 1;
    const [a, b] = options.rttMs ?? [20, 200];
    if (!(Number.isFinite(a) && Number.isFinite(b) && a >= 0 && b >= a)) throw new InvalidArgumentError(`rttMs must be [A, B] with 0 <= A <= B, got [${a}, ${b}]`);
    const lossRate = options.lossRate ?? 0;
    if (!(lossRate >= 0 && lossRate <= 1)) throw new InvalidArgumentError(`lossRate must be in 0..1, got ${lossRate}`);
    const introductions = options.introductions ?? 3;
    if (!Number.isSafeInteger(introductions) || introductions < 0) throw new InvalidArgumentError(`introductions must be an integer >= 0, got ${introductions}`);
    this.options = options;
    if (options.cryptoMemos ?? true) {
      rememberSignatures();
      rememberPairKeys();
    }
    shareKeys(); // thousands of nodes' tables keep one copy of each peer's key string between them (memory only)
    this.random = new SeededRandom(seed);
    const latency = options.latency ?? 'per-packet';
    if (latency !== 'per-packet' && latency !== 'per-node') throw new InvalidArgumentError(`latency must be 'per-packet' or 'per-node', got ${JSON.stringify(latency)}`);
    if (latency === 'per-node') {
      this.network = new MemoryNetwork(this.clock, new SeededRandom(seed + 1), { latencyMs: 0, jitterMs: 0, lossRate });
      const draws = new SeededRandom(seed + 2);
      this.accessDelay = () => a / 4 + draws.float() * ((b - a) / 4);
    } else {
      this.network = new MemoryNetwork(this.clock, new SeededRandom(seed + 1), { latencyMs: (a + b) / 4, jitterMs: (b - a) / 4, lossRate });
      this.accessDelay = undefined;
    }
    this.startedAt = this.clock.now();
    this.maxOneWayMs = b / 2;
  }

  /** Live node count. */
  get size(): number {
    return this.nodes.length;
  }

  /**
   * A uniformly random live node.
   * @throws {@link InvalidArgumentError} when no node is live.
   */
  pick(): OverlayHost {
    if (this.nodes.length === 0) throw new InvalidArgumentError('the simulation has no live node to pick');
    return this.nodes[this.random.int(this.nodes.length)]!;
  }

  /**
   * Starts one node and joins it: its contacts are `introductions` random live nodes, handed to the `join`
   * step (or, without one, given to the host as its bootstrap addresses). The node is live (answers
   * requests) from the start of its join. Advances time until the join is done.
   * @returns the node's host.
   */
  addNode(): Promise<OverlayHost> {
    return this.clock.settle(this.join(), SETTLE_FOREVER_MS);
  }

  /**
   * Starts and joins one node without advancing time: for joins that run while the caller drives the clock
   * (churn), or many at once under one {@link Simulation.settle}.
   * @returns the node's host, once joined.
   */
  join(): Promise<OverlayHost> {
    return this.joinNode();
  }

  /**
   * Adds `count` nodes, `options.concurrency` joins at a time (default 8), advancing time until all are done.
   * @param count nodes to add.
   * @param options `concurrency`, and `onProgress`, called after each join with the number of live nodes.
   * @throws {@link InvalidArgumentError} when `count` is not an integer >= 0.
   */
  async grow(count: number, options: { concurrency?: number; onProgress?: (size: number) => void } = {}): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidArgumentError(`count must be an integer >= 0, got ${count}`);
    let left = count;
    if (this.nodes.length === 0 && left > 0) {
      await this.addNode();
      options.onProgress?.(this.nodes.length);
      left--;
    }
    const worker = async (): Promise<void> => {
      while (left > 0) {
        left--;
        await this.joinNode();
        options.onProgress?.(this.nodes.length);
      }
    };
    const concurrency = Math.max(1, Math.min(options.concurrency ?? 8, Math.max(1, left)));
    await this.clock.settle(Promise.all(Array.from({ length: concurrency }, worker)), SETTLE_FOREVER_MS);
  }

  /** Stops a live node (it drops out silently, like a crashed peer) and forgets it. */
  remove(node: OverlayHost): Promise<void> {
    return this.removeAt(this.nodes.indexOf(node));
  }

  /** Stops the live node at `index` of {@link Simulation.nodes} (the last node takes its place). */
  async removeAt(index: number): Promise<void> {
    const node = this.nodes[index];
    if (node === undefined) return;
    this.nodes[index] = this.nodes[this.nodes.length - 1]!;
    this.nodes.pop();
    this.leftCount++;
    await node.stop();
    if (this.accessDelay !== undefined) this.network.setAccessDelay(node.endpoint.address, undefined);
  }

  /**
   * Awaits `work` while advancing virtual time (protocol timers fire as they fall due).
   * @param maxMs virtual-time budget. @default 10 minutes
   */
  settle<T>(work: Promise<T>, maxMs = 600_000): Promise<T> {
    return this.clock.settle(work, maxMs);
  }

  /** Lets `ms` of virtual time pass: maintenance, republishing, expiry and timeouts run as they fall due. */
  async run(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new InvalidArgumentError(`run needs ms >= 0, got ${ms}`);
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) await this.clock.advance(Math.min(1_000, end - this.clock.now()));
  }

  /** @returns what the simulation did so far (see {@link SimulationReport}). */
  report(): SimulationReport {
    const sent: Record<string, Record<string, number>> = {};
    const rejected: Record<string, Record<string, number>> = {};
    let handlerErrors = 0;
    for (const host of this.nodes) {
      for (const community of host.communities()) {
        addInto((sent[community.name] ??= {}), community.stats.sent);
        addInto((rejected[community.name] ??= {}), community.stats.dropped);
        handlerErrors += community.stats.handlerErrors;
      }
    }
    const s = this.network.stats;
    return {
      nodes: this.nodes.length,
      joined: this.joinedCount,
      left: this.leftCount,
      virtualMs: this.clock.now() - this.startedAt,
      packets: { sent: s.sent, delivered: s.delivered, dropped: s.dropped, bytes: s.bytes },
      sent,
      rejected,
      handlerErrors,
    };
  }

  /** Stops every node, then lets the packets still in flight arrive (at closed endpoints), so no timer is left. */
  async stop(): Promise<void> {
    for (const host of this.nodes) {
      await host.stop();
      if (this.accessDelay !== undefined) this.network.setAccessDelay(host.endpoint.address, undefined);
    }
    this.nodes.length = 0;
    await this.clock.advance(this.maxOneWayMs + 1);
  }

  private async joinNode(): Promise<OverlayHost> {
    const nodeRandom = new SeededRandom(this.random.int(2 ** 31));
    const contacts: Address[] = [];
    const wanted = Math.min(this.options.introductions ?? 3, this.nodes.length);
    while (contacts.length < wanted) {
      const address = this.pick().endpoint.address;
      if (!contacts.some((c) => c.host === address.host && c.port === address.port)) contacts.push(address);
    }
    const bootstrap = this.options.join === undefined ? contacts : [];
    const host = new OverlayHost({ endpoint: this.network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock: this.clock, random: nodeRandom, bootstrap });
    this.options.setup(host);
    await host.start();
    if (this.accessDelay !== undefined) this.network.setAccessDelay(host.endpoint.address, this.accessDelay());
    this.nodes.push(host);
    this.joinedCount++;
    if (this.options.join !== undefined && contacts.length > 0) await this.options.join(host, contacts);
    return host;
  }
}

/** Virtual-time budget for work that must finish however long it takes. */
export const SETTLE_FOREVER_MS = 1e12;

function addInto(total: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [name, n] of Object.entries(counts)) total[name] = (total[name] ?? 0) + n;
}
