/**
 * Node routes: `GET /health` and `GET /overlays`.
 * @module
 */
import { addressKey, toHex } from '../../../framework/index.js';
import { DHTCommunity } from '../../../communities/dht/index.js';
import type { NatStatus } from '../../../communities/dht/index.js';
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
          nat: natJson(s.dht.nat.status),
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

/**
 * The `nat` object of `GET /health`: the node's public address as other nodes saw it, its NAT mapping
 * (`none`, `endpoint-independent`, `address-dependent`, `unknown`), and the observations behind them
 * (see `communities/dht/nat-status.ts`). Times are ms since the epoch, or null.
 */
function natJson(status: NatStatus): Record<string, unknown> {
  return {
    publicAddress: status.publicAddress === undefined ? null : addressKey(status.publicAddress),
    publicHost: status.publicHost ?? null,
    mapping: status.mapping,
    behindNat: status.behindNat,
    stale: status.stale,
    observations: status.observations,
    reporterGroups: status.groups,
    changedAt: status.changedAt ?? null,
    updatedAt: status.updatedAt ?? null,
  };
}
