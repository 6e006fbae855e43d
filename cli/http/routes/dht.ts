/**
 * DHT routes: `GET/PUT /dht/values/{key}`, `GET /dht/peers/{mid}`, `GET /dht/statistics`, `GET /dht/buckets`.
 * @module
 */
import { addressKey, toHex } from '../../../framework/index.js';
import type { FoundValue, LookupEvent } from '../../../communities/dht/index.js';
import { DHTError } from '../../../communities/dht/index.js';
import { encodeValue, parseKey, valueFromBody } from '../codec.js';
import type { ValueEncoding } from '../codec.js';
import { HttpError } from '../errors.js';
import { boolField, boolParam, encodingParam, hexId, intField, intParam, publisherParam } from '../params.js';
import type { Route } from '../router.js';
import type { ApiServices } from './services.js';

/** Most values one `GET /dht/values/{key}` returns. */
export const MAX_VALUES_LIMIT = 1_000;

/** The DHT routes. */
export function dhtRoutes(s: ApiServices): Route[] {
  const { dht, discovery } = s;
  return [
    {
      method: 'GET',
      path: '/dht/values/:key',
      handler: async ({ params, query, signal }) => {
        const key = parseKey(params.key!);
        const encoding = encodingParam(query);
        const limit = intParam(query, 'limit', 100, 1, MAX_VALUES_LIMIT);
        const publisher = publisherParam(query);
        const trace: LookupEvent[] | undefined = boolParam(query, 'trace') ? [] : undefined;
        const onEvent = trace === undefined ? undefined : (e: LookupEvent): void => void trace.push(e);
        let source: 'network' | 'local' = 'network';
        let found: FoundValue[];
        if (boolParam(query, 'local') || dht.routingTable.size === 0) {
          source = 'local';
          found = localValues(s, key.dhtKey, publisher).slice(0, limit);
        } else {
          try {
            const fresh = { latest: boolParam(query, 'latest'), first: boolParam(query, 'first'), cache: query.get('cache') === null || boolParam(query, 'cache') };
            found = await dht.findValues(key.dhtKey, { signal, limit, publisher, ...fresh, ...(onEvent === undefined ? {} : { onEvent }) });
          } catch (error) {
            if (!(error instanceof DHTError && error.reason === 'no-nodes')) throw error;
            source = 'local';
            found = localValues(s, key.dhtKey, publisher).slice(0, limit);
          }
        }
        if (found.length === 0) throw new HttpError(404, 'not-found', `no value found under ${toHex(key.dhtKey)}`);
        const now = dht.context.clock.now();
        const values = found.map((v) => valueJson(v, now, encoding));
        return { body: { key: toHex(key.dhtKey), source, values, ...(trace === undefined ? {} : { trace }) } };
      },
    },
    {
      method: 'PUT',
      path: '/dht/values/:key',
      handler: async ({ params, json, signal }) => {
        const key = parseKey(params.key!);
        const body = await json();
        const data = valueFromBody(body);
        const sign = boolField(body, 'sign') ?? false;
        const ttlMs = intField(body, 'ttlMs', 1, dht.settings.maxLifetimeMs);
        const expiresAt = intField(body, 'expiresAt', 1, Number.MAX_SAFE_INTEGER);
        const result = await s.publisher.publish(key.dhtKey, data, { sign, ttlMs, expiresAt, signal });
        return {
          body: {
            key: toHex(key.dhtKey),
            acks: result.acks,
            signed: sign,
            version: result.record.version,
            expiresAt: result.expiresAt,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/dht/peers/:mid',
      handler: async ({ params, query, signal }) => {
        const mid = hexId(params.mid!, 20, 'mid');
        const timeoutMs = intParam(query, 'timeoutMs', discovery.settings.connectTimeoutMs, 100, 60_000);
        // `path`: how the connection was made (direct, lan, punched or relayed; see docs/nat-traversal.md).
        const { peer: p, path, elapsedMs } = await discovery.connect(mid, { signal, timeoutMs });
        return {
          body: {
            mid: toHex(mid),
            peers: [{ mid: p.midHex, address: addressKey(p.address), publicKey: toHex(p.publicKey.toBinary()) }],
            path,
            elapsedMs,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/dht/statistics',
      handler: () => ({
        body: {
          dht: dht.statistics.toJSON(),
          store: {
            values: dht.store.size,
            keys: dht.store.locationCount,
            bytes: dht.store.bytes,
            evictions: dht.store.evictions,
            verdicts: dht.store.verdicts,
            quotas: dht.store.quotas,
            onDisk: s.db?.count('value') ?? null,
          },
          records: {
            value: dht.values.statistics.toJSON(),
            bag: s.bag.entries.statistics.toJSON(),
            namespace: s.namespace.records.statistics.toJSON(),
          },
          routingTable: { contacts: dht.routingTable.size, buckets: dht.routingTable.buckets().length },
        },
      }),
    },
    {
      method: 'GET',
      path: '/dht/buckets',
      handler: () => ({
        body: {
          nodeId: toHex(dht.nodeId),
          buckets: dht.routingTable.buckets().map((b) => ({
            depth: b.depth,
            prefix: b.prefixBits,
            containsSelf: b.containsSelf,
            lastChanged: b.lastChanged,
            contacts: b.contacts.map((c) => ({
              id: toHex(c.id),
              address: addressKey(c.address),
              lastSeen: c.lastSeen,
              failures: c.failures,
              rttMs: c.rttMs ?? null,
            })),
            replacements: b.replacements.map((c) => ({ id: toHex(c.id), address: addressKey(c.address) })),
          })),
        },
      }),
    },
  ];
}

/** The values this node itself holds under `key`, as `findValues` reports values. */
function localValues(s: ApiServices, key: Uint8Array, publisher: Uint8Array | undefined): FoundValue[] {
  return s.dht.values.localRecords(key, publisher).map((v) => ({
    data: v.record.data,
    publicKey: v.record.publicKey === undefined ? null : (s.dht.context.keys.get(v.record.publicKey) ?? null),
    version: v.record.version,
    expiresAt: v.expiresAt,
  }));
}

/** One found value as the API shows it. */
export function valueJson(v: FoundValue, now: number, encoding: ValueEncoding | undefined): Record<string, unknown> {
  return {
    ...encodeValue(v.data, encoding),
    signed: v.publicKey !== null,
    publicKey: v.publicKey === null ? null : toHex(v.publicKey.toBinary()),
    mid: v.publicKey?.midHex ?? null,
    version: v.version,
    expiresAt: v.expiresAt,
    ttlMs: Math.max(0, Math.floor(v.expiresAt - now)),
  };
}
