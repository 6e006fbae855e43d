/**
 * Bulk DHT routes: `POST /dht/find-many` and `POST /dht/store-many`, the node's `findMany`/`storeMany`
 * (one operation sharing its lookups; see docs/dht-values.md).
 * @module
 */
import { toHex } from '../../../framework/index.js';
import type { DHTError, FoundValue, ManyResult, StoreItem } from '../../../communities/dht/index.js';
import { parseEncoding, parseKey, valueFromBody } from '../codec.js';
import { HttpError } from '../errors.js';
import { boolField, intField } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';
import { valueJson } from './dht.js';

/** Most keys or items one bulk request takes. */
export const MAX_BULK_ITEMS = 1_000;

/** The bulk routes. */
export function dhtBulkRoutes(s: ApiServices): Route[] {
  const { dht } = s;
  return [
    {
      method: 'POST',
      path: '/dht/find-many',
      handler: async ({ json, signal }) => {
        const body = await json();
        const keys = list(body, 'keys').map((k, i) => {
          if (typeof k !== 'string') throw new HttpError(400, 'bad-key', `"keys[${i}]" must be a string`);
          return parseKey(k, `keys[${i}]`);
        });
        const limit = intField(body, 'limit', 1, 1_000) ?? 100;
        const encoding = body.encoding === undefined ? undefined : parseEncoding(body.encoding, '"encoding"');
        const latest = boolField(body, 'latest') ?? false;
        const cache = boolField(body, 'cache') ?? true;
        const results = await dht.findMany(
          keys.map((k) => k.dhtKey),
          { signal, limit, latest, cache },
        );
        const now = dht.context.clock.now();
        return {
          body: {
            results: results.map((r: ManyResult<FoundValue[]>, i) => ({
              key: toHex(keys[i]!.dhtKey),
              ...(r.ok ? { ok: true, values: r.value.map((v) => valueJson(v, now, encoding)) } : failure(r.error)),
            })),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/dht/store-many',
      handler: async ({ json, signal }) => {
        const body = await json();
        const items: StoreItem[] = list(body, 'items').map((raw, i) => {
          if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new HttpError(400, 'bad-field', `"items[${i}]" must be an object`);
          const item = raw as Record<string, unknown>;
          if (typeof item.key !== 'string') throw new HttpError(400, 'bad-key', `"items[${i}].key" must be a string`);
          const ttlMs = intField(item, 'ttlMs', 1, dht.settings.maxLifetimeMs);
          const expiresAt = intField(item, 'expiresAt', 1, Number.MAX_SAFE_INTEGER);
          return {
            key: parseKey(item.key, `items[${i}].key`).dhtKey,
            data: valueFromBody(item),
            sign: boolField(item, 'sign') ?? false,
            ...(ttlMs === undefined ? {} : { ttlMs }),
            ...(expiresAt === undefined ? {} : { expiresAt }),
          };
        });
        const results = await dht.storeMany(items, { signal });
        return {
          body: {
            results: results.map((r, i) => ({ key: toHex(items[i]!.key as Uint8Array), ...(r.ok ? { ok: true, acks: r.value } : failure(r.error)) })),
          },
        };
      },
    },
  ];
}

function list(body: Record<string, unknown>, name: string): unknown[] {
  const v = body[name];
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_BULK_ITEMS) {
    throw new HttpError(400, 'bad-field', `"${name}" must be an array of 1..${MAX_BULK_ITEMS} entries`);
  }
  return v;
}

function failure(error: DHTError): { ok: false; error: { code: string; message: string } } {
  return { ok: false, error: { code: error.reason, message: error.message } };
}
