/**
 * Every route of the node's HTTP API.
 * @module
 */
import type { Route } from '../router.js';
import { bagRoutes } from './bag.js';
import { dhtRoutes } from './dht.js';
import { dhtBulkRoutes } from './dht-bulk.js';
import { dictRoutes } from './dict.js';
import { immutableRoutes } from './immutable.js';
import { metricsRoutes } from './metrics.js';
import { namespaceRoutes } from './namespace.js';
import { nodeRoutes } from './node.js';
import { pingRoutes } from './ping.js';
import { providersRoutes } from './providers.js';
import type { ApiServices } from './services.js';
import { nodeViewRoutes } from './web.js';

export type { ApiServices } from './services.js';

/**
 * The API's routes.
 * @param services the node's services.
 * @returns the routes, matched in order.
 */
export function apiRoutes(services: ApiServices): Route[] {
  const routes: Route[] = [];
  routes.push(...nodeRoutes(services, () => routes), ...dhtRoutes(services), ...pingRoutes(services), ...bagRoutes(services), ...namespaceRoutes(services), ...metricsRoutes(services));
  routes.push(...dictRoutes(services)); // PUT /dht/dict/{key}/{subkey}, GET /dht/dict/{key}
  routes.push(...immutableRoutes(services)); // POST /dht/immutable, GET /dht/immutable/{key}
  routes.push(...providersRoutes(services)); // PUT, GET, DELETE /dht/providers/{key}
  routes.push(...dhtBulkRoutes(services)); // POST /dht/find-many, /dht/store-many
  routes.push(...nodeViewRoutes(services)); // the web view: GET /, /web/{file}, /events
  return routes;
}
