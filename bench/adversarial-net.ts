/**
 * A DHT under attack on the in-memory network, shared by `bench/adversarial.ts` and the CI test
 * `test/communities/dht/adversarial.test.ts`: N nodes of which a fraction are {@link AdversaryDHT}s,
 * joined a few at a time (each node pings the network's first node, its bootstrap node, and a few random
 * earlier nodes, then runs the DHT's bootstrap), and a measurement of how many honest `findValues`
 * succeed for values honest publishers stored, with a given number of disjoint paths.
 * @module
 */
import 'reflect-metadata';
import { DHTCommunity } from '../communities/dht/index.js';
import type { DHTSettings } from '../communities/dht/index.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom, toHex, utf8 } from '../framework/index.js';
import { AdversaryDHT, Coalition } from './adversary.js';
import type { AdversarySettings } from './adversary.js';

/** Virtual-time budget for `clock.settle` when the work must finish however long it takes. */
const SETTLE_FOREVER_MS = 1e12;

/** Options of {@link AdversarialNet.build}. */
export interface AdversarialNetOptions {
  /** Nodes in all. */
  nodes: number;
  /** Fraction of them that are adversaries, in 0..1. */
  adversaryFraction: number;
  /** Seed of every random draw. */
  seed: number;
  /** Settings of every node's DHT (honest and adversarial). */
  settings: DHTSettings;
  /** Random earlier nodes each joining node pings first. @default 3 */
  introductions?: number;
  /**
   * Whether every joining node also pings the network's first node (always honest), as a deployment's
   * nodes start from its configured bootstrap nodes. Without it a node whose random introductions are all
   * adversaries knows no honest node, ever (adversaries refer only adversaries): no lookup of its can
   * succeed. @default true
   */
  bootstrapNode?: boolean;
  /** Joins in flight at once. @default 8 */
  concurrency?: number;
  /** One-way latency in ms (jitter is half of it). @default 20 */
  latencyMs?: number;
}

/** Outcome of {@link AdversarialNet.measure}. */
export interface FindRate {
  /** Disjoint paths used by the stores and the finds. */
  paths: number;
  /** Values stored (each by a different honest publisher). */
  values: number;
  /** Stores that reached at least one node that acknowledged. */
  storesAcknowledged: number;
  /** `findValues` calls made by honest nodes. */
  finds: number;
  /** Finds that returned the stored value, signed by its publisher. */
  succeeded: number;
  /** `succeeded / finds`. */
  rate: number;
  /** Values returned that were not the stored one (forgeries): must be 0. */
  forgedReturned: number;
  /** Forged or mismatched values the finders rejected (`statistics.valuesRejected`). */
  valuesRejected: number;
  /** Queries the finders sent per find, on average. */
  queriesPerFind: number;
  /** Finds made by a finder whose routing table held no honest node (no lookup of its can succeed). */
  eclipsedFinds: number;
}

/** A simulated DHT with a coalition of adversaries. */
export class AdversarialNet {
  /** The shared virtual clock. */
  readonly clock = new ManualClock();
  /** The in-memory network. */
  readonly network: MemoryNetwork;
  /** The test's own random source. */
  readonly random: SeededRandom;
  /** The coalition every adversary belongs to. */
  readonly coalition = new Coalition();
  /** Honest nodes, in join order. */
  readonly honest: DHTCommunity[] = [];
  /** Adversaries, in join order. */
  readonly adversaries: AdversaryDHT[] = [];
  /** Every host. */
  readonly hosts: OverlayHost[] = [];

  private constructor(private readonly options: AdversarialNetOptions) {
    this.random = new SeededRandom(options.seed);
    const latencyMs = options.latencyMs ?? 20;
    this.network = new MemoryNetwork(this.clock, new SeededRandom(options.seed + 1), { latencyMs, jitterMs: latencyMs / 2 });
  }

  /**
   * Builds and joins the network. Node 0 is honest; every other node is an adversary with probability
   * `adversaryFraction` (exactly `round(nodes * fraction)` adversaries, at random positions).
   */
  static async build(options: AdversarialNetOptions, onProgress?: (joined: number) => void): Promise<AdversarialNet> {
    const net = new AdversarialNet(options);
    const count = Math.round(options.nodes * options.adversaryFraction);
    const positions = Array.from({ length: options.nodes - 1 }, (_, i) => i + 1);
    for (let i = positions.length - 1; i > 0; i--) {
      const j = net.random.int(i + 1);
      [positions[i], positions[j]] = [positions[j]!, positions[i]!];
    }
    const evil = new Set(positions.slice(0, count));
    let next = 0;
    await net.join(next++, false);
    const worker = async (): Promise<void> => {
      while (next < options.nodes) {
        const index = next++;
        await net.join(index, evil.has(index));
        onProgress?.(net.hosts.length);
      }
    };
    const workers = Array.from({ length: options.concurrency ?? 8 }, worker);
    await net.clock.settle(Promise.all(workers), SETTLE_FOREVER_MS);
    return net;
  }

  /**
   * Honest publishers each store one signed value (`disjointPaths: paths`), then `findsPerValue` random
   * honest nodes per value look it up with the same number of paths.
   */
  async measure(paths: number, values: number, findsPerValue: number, concurrency = 32): Promise<FindRate> {
    const pick = (): DHTCommunity => this.honest[this.random.int(this.honest.length)]!;
    const tag = `d${paths}-${this.random.int(2 ** 31)}`;
    const items = Array.from({ length: values }, (_, i) => ({ name: `adversarial ${tag} key ${i}`, data: utf8(`value ${i} of ${tag}`), publisher: pick() }));
    let storesAcknowledged = 0;
    await this.pool(items, concurrency, async (item) => {
      const acks = await item.publisher.storeValue(item.name, item.data, { sign: true, disjointPaths: paths }).catch(() => 0);
      if (acks > 0) storesAcknowledged++;
    });
    const finds = items.flatMap((item) => Array.from({ length: findsPerValue }, () => ({ item, finder: pick() })));
    const before = this.totals();
    let succeeded = 0;
    let forgedReturned = 0;
    let eclipsedFinds = 0;
    const eclipsed = new Set(this.eclipsed());
    await this.pool(finds, concurrency, async ({ item, finder }) => {
      if (eclipsed.has(finder)) eclipsedFinds++;
      const found = await finder.findValues(item.name, { disjointPaths: paths, cache: false }).catch(() => []);
      const publisher = item.publisher.context.key.publicKey.midHex;
      const good = found.filter((v) => sameBytes(v.data, item.data) && v.publicKey?.midHex === publisher);
      forgedReturned += found.length - good.length;
      if (good.length > 0) succeeded++;
    });
    const after = this.totals();
    return {
      paths,
      values,
      storesAcknowledged,
      finds: finds.length,
      succeeded,
      rate: succeeded / finds.length,
      forgedReturned,
      valuesRejected: after.rejected - before.rejected,
      queriesPerFind: (after.queries - before.queries) / finds.length,
      eclipsedFinds,
    };
  }

  /** Honest nodes whose routing table holds no honest node: eclipsed for good, no lookup of theirs can succeed. */
  eclipsed(): DHTCommunity[] {
    const evil = new Set(this.adversaries.map((a) => toHex(a.nodeId)));
    return this.honest.filter((d) => d.routingTable.contacts().every((c) => evil.has(toHex(c.id))));
  }

  /** Runs `work` to its end on the simulated clock. */
  settle<T>(work: Promise<T>): Promise<T> {
    return this.clock.settle(work, SETTLE_FOREVER_MS);
  }

  /** Stops every node and lets packets in flight land. @returns the clock's pending timers (0 when clean). */
  async stop(): Promise<number> {
    for (const host of this.hosts) await host.stop();
    await this.clock.advance(5_000);
    return this.clock.pendingTimers();
  }

  private totals(): { rejected: number; queries: number } {
    let rejected = 0;
    let queries = 0;
    for (const d of this.honest) {
      rejected += d.statistics.valuesRejected;
      queries += d.statistics.queries;
    }
    return { rejected, queries };
  }

  private async join(index: number, adversary: boolean): Promise<void> {
    const nodeRandom = new SeededRandom(this.random.int(2 ** 31));
    const introductions = Array.from({ length: Math.min(this.options.introductions ?? 3, this.hosts.length) }, () =>
      this.hosts[this.random.int(this.hosts.length)]!.endpoint.address,
    );
    // The network's first node (honest) is every node's configured bootstrap node, as a deployment's are.
    if (this.options.bootstrapNode !== false && this.hosts.length > 0) introductions.unshift(this.hosts[0]!.endpoint.address);
    const host = new OverlayHost({ endpoint: this.network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock: this.clock, random: nodeRandom });
    let dht: DHTCommunity;
    if (adversary) {
      // Adversaries need no defence for their own lookups: plain lookups keep their joins cheap.
      const settings: AdversarySettings = { ...this.options.settings, disjointPaths: 1, coalition: this.coalition, dropStores: index % 2 === 0 ? 'lie' : 'silent' };
      const evil = host.register(AdversaryDHT, settings);
      this.adversaries.push(evil);
      dht = evil;
    } else {
      dht = host.register(DHTCommunity, this.options.settings);
      this.honest.push(dht);
    }
    await host.start();
    if (adversary) this.coalition.join({ id: dht.nodeId, address: host.endpoint.address });
    this.hosts.push(host);
    if (introductions.length > 0) await dht.bootstrap(introductions).catch(() => 0);
  }

  /** Runs `work` over `items` with at most `concurrency` in flight, advancing the clock until all are done. */
  private async pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) await work(items[next++]!);
    };
    await this.clock.settle(Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker)), SETTLE_FOREVER_MS);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
