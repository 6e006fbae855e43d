/**
 * A simulated network of DHT nodes that also run communities built on the DHT (bag, namespace, ...).
 */
import 'reflect-metadata';
import { DHTCommunity } from '../../communities/dht/index.js';
import type { DHTSettings } from '../../communities/dht/index.js';
import type { OverlayHost } from '../../framework/index.js';
import { simNet } from './memory-nodes.js';
import type { SimNet } from './memory-nodes.js';

/** A joined DHT network whose hosts run extra communities registered by `setup`. */
export interface OverlayNet extends SimNet {
  dhts: DHTCommunity[];
}

/** Builds and joins an n-node network; `setup` registers the extra communities on each host after the DHT. */
export async function overlayNet(
  n: number,
  seed: number,
  setup: (host: OverlayHost) => void,
  options: { dht?: DHTSettings; dhtFor?: (index: number) => DHTSettings; latencyMs?: number } = {},
): Promise<OverlayNet> {
  const latencyMs = options.latencyMs ?? 10;
  const net = simNet(seed, { latencyMs, jitterMs: Math.floor(latencyMs / 2) });
  const dhts: DHTCommunity[] = [];
  let first: OverlayHost | undefined;
  for (let i = 0; i < n; i++) {
    const boot = first === undefined ? [] : [first.endpoint.address];
    const host = await net.addHost({
      bootstrap: boot,
      setup: (h) => {
        h.register(DHTCommunity, { ...options.dht, ...options.dhtFor?.(i) });
        setup(h);
      },
    });
    first ??= host;
    const dht = host.get(DHTCommunity);
    dhts.push(dht);
    if (boot.length > 0) await net.clock.settle(dht.bootstrap());
  }
  return Object.assign(net, { dhts });
}
