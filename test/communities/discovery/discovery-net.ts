/**
 * Test helper: an in-memory network whose nodes each run a {@link DHTCommunity} and a
 * {@link DHTDiscoveryCommunity} (registered in that order); each node joins from node 0 with
 * `await dht.bootstrap([node 0])`, as `test/helpers/dht-net.ts` does.
 */
import 'reflect-metadata';
import { DHTCommunity } from '../../../communities/dht/index.js';
import type { DHTSettings } from '../../../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../../../communities/discovery/index.js';
import type { DiscoveryCommunitySettings } from '../../../communities/discovery/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { simNet } from '../../helpers/memory-nodes.js';
import type { SimNet } from '../../helpers/memory-nodes.js';

/** One node of a {@link DiscoveryNet}. */
export interface DiscoveryNode {
  host: OverlayHost;
  dht: DHTCommunity;
  discovery: DHTDiscoveryCommunity;
}

/** A simulated network of DHT + discovery nodes. */
export interface DiscoveryNet extends SimNet {
  nodes: DiscoveryNode[];
  /** Errors thrown by packet listeners (should stay empty). */
  listenerErrors: Error[];
  /** Adds one node bootstrapping from node 0 and waits for its bootstrap lookup. */
  addNode(): Promise<DiscoveryNode>;
}

/** Options of {@link discoveryNet}. */
export interface DiscoveryNetOptions {
  dht?: DHTSettings;
  discovery?: DiscoveryCommunitySettings;
  /** One-way latency in ms (jitter is half of it). @default 10 */
  latencyMs?: number;
}

/** Builds an n-node network; every node has bootstrapped (its own-id lookup finished) when it returns. */
export async function discoveryNet(n: number, seed: number, options: DiscoveryNetOptions = {}): Promise<DiscoveryNet> {
  const latencyMs = options.latencyMs ?? 10;
  const listenerErrors: Error[] = [];
  const net = simNet(seed, { latencyMs, jitterMs: Math.floor(latencyMs / 2), onError: (error) => listenerErrors.push(error) });
  const nodes: DiscoveryNode[] = [];
  let first: OverlayHost | undefined;
  const addNode = async (): Promise<DiscoveryNode> => {
    const boot = first === undefined ? [] : [first.endpoint.address];
    // The bootstrap address goes to bootstrap() only, not to the host: with a host bootstrap list,
    // DHTCommunity.start() runs its own join too, and awaiting a second one would double the join cost.
    const host = await net.addHost({
      setup: (h) => {
        h.register(DHTCommunity, options.dht ?? {});
        h.register(DHTDiscoveryCommunity, options.discovery ?? {});
      },
    });
    first ??= host;
    const node = { host, dht: host.get(DHTCommunity), discovery: host.get(DHTDiscoveryCommunity) };
    nodes.push(node);
    if (boot.length > 0) await net.clock.settle(node.dht.bootstrap(boot));
    return node;
  };
  for (let i = 0; i < n; i++) await addNode();
  return Object.assign(net, { nodes, addNode, listenerErrors });
}

/**
 * Stops every node, then lets packets still in flight land (each is one network timer). Returns the
 * timers left on the clock: 0 when no community leaked a timer.
 */
export async function stopAndDrain(net: SimNet): Promise<number> {
  await net.stopAll();
  await net.clock.advance(1_000);
  return net.clock.pendingTimers();
}

/** Random distinct pairs `[from, to]` of indexes below `n`. */
export function randomPairs(random: { int(n: number): number }, n: number, count: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  const seen = new Set<string>();
  while (pairs.length < count) {
    const a = random.int(n);
    const b = random.int(n);
    if (a === b || seen.has(`${a}:${b}`)) continue;
    seen.add(`${a}:${b}`);
    pairs.push([a, b]);
  }
  return pairs;
}
