/**
 * A few real-UDP nodes on 127.0.0.1 (never any other address) running the DHT and communities built on it.
 */
import 'reflect-metadata';
import { DHTCommunity } from '../../communities/dht/index.js';
import type { DHTSettings } from '../../communities/dht/index.js';
import { OverlayHost, UdpEndpoint } from '../../framework/index.js';

/**
 * Starts `n` hosts on 127.0.0.1 (ephemeral ports), joins their DHTs through the first one (twice, so every
 * node has met the others).
 * @param setup registers further communities on each host.
 * @param dht the DHT's settings (default: short request timeouts, [100, 1000] ms).
 */
export async function udpOverlay(n: number, setup: (host: OverlayHost) => void = () => undefined, dht: DHTSettings = { requestTimeoutMs: [100, 1_000] }): Promise<OverlayHost[]> {
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < n; i++) {
    const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
    host.register(DHTCommunity, dht);
    setup(host);
    await host.start();
    hosts.push(host);
  }
  const first = hosts[0]!.endpoint.address;
  for (let round = 0; round < 2; round++) {
    for (const host of hosts.slice(1)) await host.get(DHTCommunity).bootstrap([first]);
  }
  return hosts;
}
