/**
 * Metrics route: `GET /metrics`, the node's metrics in the Prometheus text exposition format (see
 * `docs/metrics.md`). Same access rules as every route: the token, when the node has one.
 * @module
 */
import { NodeMetrics } from '../../node/metrics.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/**
 * The metrics route. Creates the node's {@link NodeMetrics} (its own registry, subscribed to the DHT's
 * lookup events from now on).
 * @param s the node's services.
 */
export function metricsRoutes(s: ApiServices): Route[] {
  const metrics = new NodeMetrics({
    host: s.host,
    dht: s.dht,
    records: { value: s.dht.values, bag: s.bag.entries, namespace: s.namespace.records, immutable: s.immutable.chunks, dict: s.dict.entries, providers: s.providers.records },
  });
  return [
    {
      method: 'GET',
      path: '/metrics',
      handler: async () => ({ contentType: metrics.contentType, body: await metrics.scrape() }),
    },
  ];
}
