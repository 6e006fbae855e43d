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
          relay: relayJson(s.relay),
          birthday: birthdayJson(s),
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
 * The `relay` object of `GET /health`: the allocation this node holds on another node's relay (the
 * address requesters reach it at, announced with its discovery record) and the client's counters; and,
 * on a node started with `--relay`, the server's counters (allocations, relayed packets and bytes, drops
 * by reason; see docs/relay.md). `null` when the node has no relay stack.
 */
function relayJson(relay: ApiServices['relay']): Record<string, unknown> | null {
  if (relay === undefined) return null;
  const { client, server } = relay;
  return {
    allocation: client.allocation === undefined ? null : { address: addressKey(client.allocation.address), relay: addressKey(client.allocation.relay) },
    relayedPeers: client.relayedPeers,
    client: { ...client.relayStats },
    server: server === undefined ? null : { ...server.relayStats, dropped: { ...server.relayStats.dropped } },
  };
}

/**
 * The `birthday` object of `GET /health`: whether birthday probing is on (the node has probe sockets), the
 * discovery community's counters (batches of probe sockets opened, sprays, probes sprayed, hits, refused
 * attempts) and the probing endpoint's (sockets open and opened, pins, strays; see docs/nat-traversal.md).
 */
function birthdayJson(s: ApiServices): Record<string, unknown> {
  const probing = s.relay?.probing;
  return { enabled: s.discovery.birthday.enabled, ...s.discovery.birthday.stats, sockets: probing === undefined ? null : { ...probing.probing } };
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
