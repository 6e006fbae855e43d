/**
 * Immutable value routes: `POST /dht/immutable` stores a value (body `{ "value": "...", "encoding":
 * "utf8" | "hex" | "base64url", "ttlMs"?: n }`, as `codec.ts` reads values) and answers `{ key, chunks,
 * acks, verdicts }`; `GET /dht/immutable/{key}?encoding&local` fetches the value under `imm:<64 hex>`,
 * checked against the key, as `{ key, value, encoding, bytes }` (404 `not-found` when no storer asked holds
 * it whole).
 * @module
 */
import { formatImmutableKey, parseImmutableKey } from '../../../communities/immutable/index.js';
import { encodeValue, valueFromBody } from '../codec.js';
import { HttpError } from '../errors.js';
import { boolParam, encodingParam, intField } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/** The immutable value routes. */
export function immutableRoutes(s: Pick<ApiServices, 'immutable'>): Route[] {
  const { immutable } = s;
  return [
    {
      method: 'POST',
      path: '/dht/immutable',
      handler: async ({ json, signal }) => {
        const body = await json();
        const value = valueFromBody(body);
        const ttlMs = intField(body, 'ttlMs', 1, immutable.settings.maxTtlMs);
        const put = await immutable.put(value, { signal, ...(ttlMs === undefined ? {} : { ttlMs }) });
        return { body: { key: put.key, chunks: put.chunks, acks: put.acks, stored: put.stored, verdicts: put.verdicts } };
      },
    },
    {
      method: 'GET',
      path: '/dht/immutable/:key',
      handler: async ({ params, query, signal }) => {
        const key = parseImmutableKey(params.key!);
        if (key === undefined) throw new HttpError(400, 'bad-key', 'an immutable key is "imm:" and 64 hex digits');
        const encoding = encodingParam(query);
        const value = await immutable.get(key, { signal, local: boolParam(query, 'local') });
        if (value === undefined) throw new HttpError(404, 'not-found', `no value found under ${formatImmutableKey(key)}`);
        return { body: { key: formatImmutableKey(key), ...encodeValue(value, encoding), bytes: value.length } };
      },
    },
  ];
}
