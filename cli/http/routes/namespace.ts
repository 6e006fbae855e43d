/**
 * Namespace routes: `PUT /namespace/{key}` (set `{ value, seq?, cas?, ttl? }` in this node's namespace) and
 * `GET /namespace/{publicKeyHex}/{key}` (read any publisher's). Namespace keys are not hashed: a string key is
 * its UTF-8 bytes, `hex:`/`b64:` give raw bytes (at most 64).
 * @module
 */
import { PUBLIC_KEY_BYTES, toHex } from '../../../framework/index.js';
import { encodeValue, parseKey, valueFromBody } from '../codec.js';
import type { ParsedKey } from '../codec.js';
import { HttpError } from '../errors.js';
import { boolParam, encodingParam, hexId, intField } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/** The namespace routes. */
export function namespaceRoutes(s: ApiServices): Route[] {
  const { namespace } = s;
  return [
    {
      method: 'PUT',
      path: '/namespace/:key',
      handler: async ({ params, json, signal }) => {
        const key = parseKey(params.key!);
        const body = await json();
        const value = valueFromBody(body);
        const seq = intField(body, 'seq', 0, Number.MAX_SAFE_INTEGER);
        const cas = intField(body, 'cas', 0, Number.MAX_SAFE_INTEGER);
        const ttlMs = intField(body, 'ttlMs', 1, namespace.settings.maxTtlMs);
        const outcome = await namespace.set(key.raw, value, { seq, cas, signal, ...(ttlMs === undefined ? {} : { ttlMs }) });
        return {
          body: {
            publicKey: toHex(s.host.key.publicKey.toBinary()),
            key: shownKey(key),
            seq: outcome.seq,
            acks: outcome.stored,
            verdicts: outcome.verdicts,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/namespace/:publicKey/:key',
      handler: async ({ params, query, signal }) => {
        const publicKey = hexId(params.publicKey!, PUBLIC_KEY_BYTES, 'public-key');
        const key = parseKey(params.key!);
        const encoding = encodingParam(query);
        const found = await namespace.get(publicKey, key.raw, { signal, local: boolParam(query, 'local') });
        if (found === undefined) throw new HttpError(404, 'not-found', `no value for ${shownKey(key)} in the namespace of ${params.publicKey!.slice(0, 16)}…`);
        return { body: { publicKey: toHex(found.publicKey.toBinary()), key: shownKey(key), ...encodeValue(found.value, encoding), seq: found.seq, expiresAt: found.expiresAt } };
      },
    },
  ];
}

function shownKey(key: ParsedKey): string {
  return typeof key.raw === 'string' ? key.raw : `hex:${toHex(key.raw)}`;
}
