import 'reflect-metadata';
import {
  ManualClock,
  MemoryNetwork,
  OverlayHost,
  PrivateKey,
  SeededRandom,
} from '../../framework/index.js';
import type { Address, MemoryNetworkOptions, PairKeysOptions, RateLimitOptions } from '../../framework/index.js';

/** A simulated network of overlay hosts on one ManualClock. */
export interface SimNet {
  clock: ManualClock;
  random: SeededRandom;
  network: MemoryNetwork;
  hosts: OverlayHost[];
  addHost(options?: {
    bootstrap?: readonly Address[];
    setup?: (host: OverlayHost) => void;
    rateLimit?: RateLimitOptions | false;
    packetMacs?: PairKeysOptions;
  }): Promise<OverlayHost>;
  stopAll(): Promise<void>;
  /**
   * Stops every host, lets packets still in flight reach the closed endpoints (`drainMs` of simulated
   * time), and returns the timers left on the clock (0 when no community left one behind).
   */
  stopAndDrain(drainMs?: number): Promise<number>;
}

/** Builds a simulated network; hosts are added with `addHost` (each with a deterministic key). */
export function simNet(seed: number, options: MemoryNetworkOptions = {}): SimNet {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 5, ...options });
  const hosts: OverlayHost[] = [];
  return {
    clock,
    random,
    network,
    hosts,
    async addHost(o = {}) {
      const nodeRandom = new SeededRandom(random.int(2 ** 31));
      const host = new OverlayHost({
        endpoint: network.createEndpoint(),
        key: PrivateKey.generate(nodeRandom),
        clock,
        random: nodeRandom,
        bootstrap: o.bootstrap,
        rateLimit: o.rateLimit,
        packetMacs: o.packetMacs,
      });
      o.setup?.(host);
      await host.start();
      hosts.push(host);
      return host;
    },
    async stopAll() {
      for (const h of hosts) await h.stop();
    },
    async stopAndDrain(drainMs = 1_000) {
      for (const h of hosts) await h.stop();
      await clock.advance(drainMs);
      return clock.pendingTimers();
    },
  };
}
