/**
 * `GET /dht/ping/{target}`: pings a peer by its mid (found and verified first, as `GET /dht/peers/{mid}`
 * does) or a node by its `host:port`, and answers with its mid, address and round-trip time.
 * @module
 */
import { addressKey, fromHex, parseAddress } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';
import { HttpError } from '../errors.js';
import { intParam } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/** Longest `timeoutMs` a ping by mid may ask for (its search), in ms. */
export const MAX_PING_TIMEOUT_MS = 60_000;

/** What a ping target names: a peer by its mid, or a node by its address. */
export type PingTarget = { readonly mid: Uint8Array } | { readonly address: Address };

/**
 * Parses a ping target.
 * @param text a mid (40 hex digits) or `HOST:PORT` / `[IPV6]:PORT` with a literal IP.
 * @returns the mid or the address.
 * @throws {@link HttpError} 400 `bad-target` for anything else.
 */
export function pingTarget(text: string): PingTarget {
  if (/^[0-9a-fA-F]{40}$/.test(text)) return { mid: fromHex(text.toLowerCase()) };
  try {
    return { address: parseAddress(text) };
  } catch (cause) {
    throw new HttpError(400, 'bad-target', `target must be a mid (40 hex digits) or HOST:PORT, got ${JSON.stringify(text.slice(0, 80))}`, { cause });
  }
}

/**
 * The ping route. `?timeoutMs=` bounds the search for a mid (default the discovery community's
 * `connectTimeoutMs`, 100 to 60 000); the ping itself times out as every DHT request does.
 * Answers 200 `{ mid, address, rttMs }`, 404 `not-found` (no peer with that mid answered), 504 `timeout`
 * (the ping was not answered), 400 `bad-target`.
 * @param s the node's services.
 */
export function pingRoutes(s: ApiServices): Route[] {
  return [
    {
      method: 'GET',
      path: '/dht/ping/:target',
      handler: async ({ params, query, signal }) => {
        const target = pingTarget(params.target!);
        const timeoutMs = intParam(query, 'timeoutMs', s.discovery.settings.connectTimeoutMs, 100, MAX_PING_TIMEOUT_MS);
        const result = 'mid' in target ? await s.discovery.ping(target.mid, { signal, timeoutMs }) : { ...(await s.dht.ping(target, signal)), address: target.address };
        return { body: { mid: result.publicKey.midHex, address: addressKey(result.address), rttMs: result.rttMs } };
      },
    },
  ];
}
