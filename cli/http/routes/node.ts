/**
 * Node routes: `GET /health` and `GET /overlays`.
 * @module
 */
import { addressKey, toHex } from '../../../framework/index.js';
import { DHTCommunity } from '../../../communities/dht/index.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/**
 * The node routes.
 * @param s the node's services.
 * @param listRoutes the API's routes, listed by `/health` so a client can discover them.
 */
export function nodeRoutes(s: ApiServices, listRoutes: () => readonly Route[]): Route[] {
  return [
    {
      method: 'GET',
      path: '/health',
      handler: () => ({
        body: {
          status: s.host.isRunning ? 'ok' : 'stopping',
          version: s.version,
          mid: s.host.midHex,
          publicKey: toHex(s.host.key.publicKey.toBinary()),
          address: addressKey(s.host.endpoint.address),
          uptimeMs: Math.floor(s.host.clock.now() - s.startedAt),
          contacts: s.dht.routingTable.size,
          persistent: s.db !== undefined,
          routes: listRoutes().map((r) => `${r.method} ${r.path}`),
        },
      }),
    },
    {
      method: 'GET',
      path: '/overlays',
      handler: () => ({
        body: {
          host: { ...s.host.stats },
          overlays: s.host.communities().map((c) => ({
            name: c.name,
            id: c.communityIdHex,
            running: c.isRunning,
            peers: c instanceof DHTCommunity ? c.routingTable.size : c.peers.size,
            verifiedPeers: c.peers.size,
            messages: c.stats.toJSON(),
          })),
        },
      }),
    },
  ];
}
