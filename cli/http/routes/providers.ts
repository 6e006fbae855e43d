/**
 * Provider routes: `PUT /dht/providers/{key}` (announce that this node provides the key, body
 * `{ port?, ttlMs? }`; port 0 or none: implied, the node's UDP port as the storers see it), `GET /dht/providers/{key}?limit&local` (find its providers) and
 * `DELETE /dht/providers/{key}` (stop providing it).
 * @module
 */
import { addressKey, toHex } from '../../../framework/index.js';
import type { Provider } from '../../../communities/providers/index.js';
import { MAX_FIND_LIMIT } from '../../../communities/providers/index.js';
import { parseKey } from '../codec.js';
import { boolParam, intField, intParam } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/** One provider as the API shows it. */
export interface ProviderJson {
  /** Its mid (hex). */
  readonly mid: string;
  /** Its public key (hex). */
  readonly publicKey: string;
  /** `ip:port` (`[ipv6]:port`): the IP its storers saw, the port it named. */
  readonly address: string;
  /** When its announcement expires, ms since the epoch. */
  readonly expiresAt: number;
  /** The announcement's version. */
  readonly version: number;
}

/** @returns the API form of `p`. */
export function providerJson(p: Provider): ProviderJson {
  return { mid: p.mid, publicKey: toHex(p.publicKey.toBinary()), address: addressKey(p.address), expiresAt: p.expiresAt, version: p.version };
}

/** The provider routes. */
export function providersRoutes(s: ApiServices): Route[] {
  const { providers } = s;
  return [
    {
      method: 'PUT',
      path: '/dht/providers/:key',
      handler: async ({ params, json, signal }) => {
        const key = parseKey(params.key!);
        const body = await json();
        const port = intField(body, 'port', 0, 65_535);
        const ttlMs = intField(body, 'ttlMs', 1, providers.settings.maxTtlMs);
        const outcome = await providers.provide(key.raw, { signal, ...(port === undefined ? {} : { port }), ...(ttlMs === undefined ? {} : { ttlMs }) });
        return { body: { key: outcome.key, port: outcome.port, expiresAt: outcome.expiresAt, acks: outcome.stored, verdicts: outcome.verdicts } };
      },
    },
    {
      method: 'GET',
      path: '/dht/providers/:key',
      handler: async ({ params, query, signal }) => {
        const key = parseKey(params.key!);
        const limit = intParam(query, 'limit', providers.settings.defaultFindLimit, 1, MAX_FIND_LIMIT);
        const found = await providers.findProviders(key.raw, { limit, signal, local: boolParam(query, 'local') });
        return { body: { key: toHex(key.dhtKey), providers: found.map(providerJson) } };
      },
    },
    {
      method: 'DELETE',
      path: '/dht/providers/:key',
      handler: ({ params }) => {
        const key = parseKey(params.key!);
        return { body: { key: toHex(key.dhtKey), stopped: providers.stopProviding(key.raw) } };
      },
    },
  ];
}
