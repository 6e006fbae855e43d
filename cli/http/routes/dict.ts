/**
 * Dictionary routes: `PUT /dht/dict/{key}/{subkey}` (set a subkey: `{ value, encoding?, ttlMs? | expiresAt?,
 * open? }`) and `GET /dht/dict/{key}?limit&cursor&owner&local&encoding` (the merged dictionary, a page at a
 * time). The key and the subkey segments are written like every key: UTF-8 text, or `hex:`/`b64:`/`utf8:`.
 * @module
 */
import { computeMid, fromHex, toHex } from '../../../framework/index.js';
import type { DictEntry } from '../../../communities/dict/index.js';
import { MAX_GET_LIMIT } from '../../../communities/dict/index.js';
import { encodeValue, parseKey, valueFromBody } from '../codec.js';
import type { ValueEncoding } from '../codec.js';
import { HttpError } from '../errors.js';
import { boolField, boolParam, encodingParam, intField, intParam } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/** The dictionary routes. */
export function dictRoutes(s: Pick<ApiServices, 'dict'>): Route[] {
  const { dict } = s;
  return [
    {
      method: 'PUT',
      path: '/dht/dict/:key/:subkey',
      handler: async ({ params, json, signal }) => {
        const key = parseKey(params.key!);
        const subkey = parseKey(params.subkey!, 'subkey', 'bad-subkey').raw;
        const body = await json();
        const value = valueFromBody(body);
        const ttlMs = intField(body, 'ttlMs', 1, dict.settings.maxTtlMs);
        const expiresAt = intField(body, 'expiresAt', 0, Number.MAX_SAFE_INTEGER);
        const open = boolField(body, 'open') ?? false;
        const outcome = await dict.set(key.raw, subkey, value, { signal, open, ...(ttlMs === undefined ? {} : { ttlMs }), ...(expiresAt === undefined ? {} : { expiresAt }) });
        return {
          body: {
            key: toHex(key.dhtKey),
            subkey: shownSubkey(subkey),
            owner: outcome.owner === undefined ? null : toHex(outcome.owner.toBinary()),
            mid: outcome.owner?.midHex ?? null,
            expiresAt: outcome.expiresAt,
            acks: outcome.stored,
            verdicts: outcome.verdicts,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/dht/dict/:key',
      handler: async ({ params, query, signal }) => {
        const key = parseKey(params.key!);
        const limit = intParam(query, 'limit', dict.settings.defaultGetLimit, 1, MAX_GET_LIMIT);
        const encoding = encodingParam(query);
        const cursor = query.get('cursor') ?? undefined;
        const owner = ownerParam(query);
        const page = await dict.get(key.raw, { limit, cursor, signal, local: boolParam(query, 'local'), ...(owner === undefined ? {} : { owner }) });
        return { body: { key: toHex(key.dhtKey), entries: page.entries.map((e) => entryJson(e, encoding)), cursor: page.cursor ?? null } };
      },
    },
  ];
}

/** One entry as JSON: the subkey and the value each as `{ text, encoding }`, the expiration, the owner. */
function entryJson(e: DictEntry, encoding: ValueEncoding | undefined): Record<string, unknown> {
  const subkey = encodeValue(e.subkey);
  return {
    subkey: subkey.value,
    subkeyEncoding: subkey.encoding,
    ...encodeValue(e.value, encoding),
    expiresAt: e.expiresAt,
    owner: e.owner === undefined ? null : toHex(e.owner.toBinary()),
    mid: e.owner?.midHex ?? null,
  };
}

function shownSubkey(subkey: string | Uint8Array): string {
  return typeof subkey === 'string' ? subkey : `hex:${toHex(subkey)}`;
}

/**
 * The `?owner=` of a read: a mid (40 hex digits) or a public key (148 hex digits), as a mid.
 * @throws {@link HttpError} 400 `bad-owner` otherwise.
 */
function ownerParam(query: URLSearchParams): Uint8Array | undefined {
  const text = query.get('owner');
  if (text === null) return undefined;
  if (/^[0-9a-fA-F]{40}$/.test(text)) return fromHex(text.toLowerCase());
  if (/^[0-9a-fA-F]{148}$/.test(text)) return computeMid(fromHex(text.toLowerCase()));
  throw new HttpError(400, 'bad-owner', 'owner must be a mid (40 hex digits) or a public key (148 hex digits)');
}
