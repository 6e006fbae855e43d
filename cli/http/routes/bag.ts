/**
 * Bag routes: `POST /bag/{key}` (add), `GET /bag/{key}?limit&cursor` (search, a page at a time) and
 * `DELETE /bag/{key}/{value}` (withdraw this node's own entry; the value segment is written like a key:
 * UTF-8 text, or `hex:`/`b64:`/`utf8:`).
 * @module
 */
import { toHex } from '../../../framework/index.js';
import { parseKey, encodeValue, valueFromBody } from '../codec.js';
import { boolParam, intField, intParam, encodingParam, publisherParam } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/** Most entries one `GET /bag/{key}` returns. */
export const MAX_BAG_PAGE = 1_000;

/** The bag routes. */
export function bagRoutes(s: ApiServices): Route[] {
  const { bag } = s;
  return [
    {
      method: 'POST',
      path: '/bag/:key',
      handler: async ({ params, json, signal }) => {
        const key = parseKey(params.key!);
        const body = await json();
        const value = valueFromBody(body);
        const ttlMs = intField(body, 'ttlMs', 1, bag.settings.maxTtlMs);
        const outcome = await bag.add(key.raw, value, { signal, ...(ttlMs === undefined ? {} : { ttlMs }) });
        return { body: { key: toHex(key.dhtKey), acks: outcome.stored, verdicts: outcome.verdicts } };
      },
    },
    {
      method: 'GET',
      path: '/bag/:key',
      handler: async ({ params, query, signal }) => {
        const key = parseKey(params.key!);
        const limit = intParam(query, 'limit', bag.settings.defaultSearchLimit, 1, MAX_BAG_PAGE);
        const encoding = encodingParam(query);
        const cursor = query.get('cursor') ?? undefined;
        const publisher = publisherParam(query);
        const page = await bag.search(key.raw, { limit, cursor, signal, local: boolParam(query, 'local'), ...(publisher === undefined ? {} : { publisher }) });
        return {
          body: {
            key: toHex(key.dhtKey),
            values: page.entries.map((e) => ({
              ...encodeValue(e.value, encoding),
              publicKey: toHex(e.publisher.toBinary()),
              mid: e.publisher.midHex,
              version: e.version,
              expiresAt: e.expiresAt,
            })),
            cursor: page.cursor ?? null,
          },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/bag/:key/:value',
      handler: async ({ params, signal }) => {
        const key = parseKey(params.key!);
        const value = parseKey(params.value!, 'value', 'bad-value').raw;
        const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
        const outcome = await bag.remove(key.raw, new Uint8Array(bytes), { signal });
        return { body: { key: toHex(key.dhtKey), acks: outcome.stored, verdicts: outcome.verdicts } };
      },
    },
  ];
}
