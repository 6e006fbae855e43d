/**
 * A local network of nodes on UDP loopback in one process: the demo and the loopback benchmark use it.
 * Every node runs the DHT and DHT discovery (and whatever else `setup` registers).
 * @module
 */
import 'reflect-metadata';
import { OverlayHost, UdpEndpoint, shuffle, CryptoRandom } from '../framework/index.js';
import type { Address } from '../framework/index.js';
import { DHTCommunity } from '../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../communities/discovery/index.js';

/** Options of {@link LoopbackCluster.start}. */
export interface ClusterOptions {
  /** Number of nodes. */
  nodes: number;
  /** Each new node is introduced to this many random earlier nodes. @default 3 */
  introductions?: number;
  /** Registers communities on each host (DHT and discovery are registered first). */
  setup?: (host: OverlayHost) => void;
  /** Called as nodes join: (joined, total). */
  onProgress?: (joined: number, total: number) => void;
  /** Nodes joining at once. @default 8 */
  concurrency?: number;
  /**
   * How often each node pings the nodes holding its discovery record, in ms. The demo keeps it short so a
   * fresh cluster converges quickly; each keepalive is a signed request and response, and at 2 s they
   * take close to half the CPU of a busy 50-node cluster (the benchmarks use the community's default, 10 s).
   * @default 2_000
   */
  keepaliveIntervalMs?: number;
}

/** Nodes on 127.0.0.1 with ephemeral ports. */
export class LoopbackCluster {
  private constructor(readonly hosts: OverlayHost[]) {}

  /** Starts the nodes, bootstraps each from random earlier ones, and waits for their announcements. */
  static async start(options: ClusterOptions): Promise<LoopbackCluster> {
    const random = new CryptoRandom();
    const hosts: OverlayHost[] = [];
    for (let i = 0; i < options.nodes; i++) {
      const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }), random });
      host.register(DHTCommunity);
      host.register(DHTDiscoveryCommunity, { keepaliveIntervalMs: options.keepaliveIntervalMs ?? 2_000 });
      options.setup?.(host);
      await host.start();
      hosts.push(host);
    }
    const cluster = new LoopbackCluster(hosts);
    const introductions = options.introductions ?? 3;
    let joined = 1;
    options.onProgress?.(joined, hosts.length);
    const queue = hosts.slice(1).map((h, i) => ({ h, earlier: hosts.slice(0, i + 1) }));
    const worker = async (): Promise<void> => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const peers: Address[] = shuffle(random, job.earlier).slice(0, introductions).map((e) => e.endpoint.address);
        await job.h.get(DHTCommunity).bootstrap(peers);
        options.onProgress?.(++joined, hosts.length);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    // a second round of self-lookups now that everyone is in, so early nodes learn about later ones
    await Promise.all(hosts.map((h) => h.get(DHTCommunity).bootstrap([])));
    await Promise.all(hosts.map((h) => h.get(DHTDiscoveryCommunity).announcer.announce()));
    return cluster;
  }

  /** Stops every node. */
  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop()));
  }
}
