/**
 * `peerlay put`, `get`, `connect` and `status`: clients of a running node's HTTP API.
 * @module
 */
import { segment } from '../client/api-client.js';
import { ApiError, EXIT, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { durationOption, intOption, println } from './command.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFor, duration, printJson, short, valueArgument } from './client-common.js';
import { getImmutable, IMMUTABLE_HELP, isImmutableKey, putImmutable } from './immutable-commands.js';
import { expiresAtOption, GET_BULK_HELP, getMany, PUT_BULK_HELP, putMany } from './dht-bulk-commands.js';

const KEY_HELP = `
KEY is a UTF-8 string (hashed to a 20-byte DHT key as the DHT hashes strings), or hex:<hex> / b64:<base64url>
for raw bytes (20 bytes are used as the DHT key itself); utf8:<text> forces a string key.`;

interface ValueJson {
  value: string;
  encoding: string;
  signed: boolean;
  mid: string | null;
  version: number;
  ttlMs: number;
}

/** `peerlay put KEY VALUE`. */
export const putCommand: Command = {
  path: ['put'],
  summary: 'store a value in the DHT through a running node',
  help: `Usage: peerlay put KEY VALUE [--sign] [--ttl DURATION] [--encoding utf8|hex|base64url] [client options]

Stores VALUE under KEY on the k nodes closest to it (and on the node itself, which keeps it across restarts
with --state). VALUE "-" reads standard input.
  --sign         sign with the node's key: only the newest version per publisher is kept
  --ttl D        lifetime with its unit, e.g. 90s, 30m, 2h, 7d (default 24h, at most 30d; beyond 24h the
                 node renews it every day while it runs)
${PUT_BULK_HELP}
  --encoding E   how VALUE is written: utf8 (default), hex or base64url${CLIENT_HELP}
${KEY_HELP}
${IMMUTABLE_HELP}
A node that knows no other node yet keeps the value itself ("stored on this node only") and offers it to
the others once it knows some.
Exit: 0 stored (on this node only when it knows no other node), 1 no known node acknowledged it, 2 bad
input, 3 node unreachable.`,
  options: {
    ...CLIENT_OPTIONS,
    sign: { type: 'boolean' },
    ttl: { type: 'string' },
    encoding: { type: 'string' },
    immutable: { type: 'boolean' },
    'expires-at': { type: 'string' },
    many: { type: 'string' },
  },
  positionals: [0, 2],
  async run(values, [key, text], io) {
    if (values.many !== undefined) {
      if (key !== undefined) throw new UsageError('--many takes its items from the file: no KEY VALUE');
      return putMany(values, io);
    }
    if (key === undefined) throw new UsageError('expected 2 arguments, got 0 (KEY VALUE, --immutable FILE, or --many FILE)');
    if (values.immutable === true) return putImmutable(values, text === undefined ? [key] : [key, text], io);
    if (text === undefined) throw new UsageError('expected 2 arguments, got 1 (KEY VALUE, or --immutable FILE)');
    const ttlMs = durationOption(values, 'ttl', undefined, 1, 30 * 86_400_000);
    const expiresAt = expiresAtOption(values);
    const lifetime = { ...(ttlMs === undefined ? {} : { ttlMs }), ...(expiresAt === undefined ? {} : { expiresAt }) };
    const body = { ...(await valueArgument(text, values, io)), sign: values.sign === true, ...lifetime };
    const result = await clientFor(values, io).request<{ key: string; acks: number; signed: boolean; version: number; expiresAt: number }>(
      'PUT',
      `/dht/values/${segment(key!)}`,
      body,
    );
    if (values.json === true) printJson(io, result);
    else {
      const where = result.acks === 0 ? 'on this node only (no other node is known yet)' : `on ${result.acks} node${result.acks === 1 ? '' : 's'}`;
      println(io.stdout, `stored ${where} (key ${result.key}, ${result.signed ? `signed, version ${result.version}` : 'unsigned'}, expires ${new Date(result.expiresAt).toISOString()})`);
    }
    return EXIT.ok;
  },
};

/** `peerlay get KEY`. */
export const getCommand: Command = {
  path: ['get'],
  summary: 'find the values stored under a key',
  help: `Usage: peerlay get KEY... [--latest | --first] [--no-cache] [--local] [--limit N] [--publisher MID] [--encoding utf8|hex|base64url] [client options]

Prints every value found under KEY, one per line, followed by who signed it and how long it lives.
  --local        only what the node itself holds (no network lookup)
  --limit N      at most N values (default 100)
  --publisher P  only the values signed by P (a mid, 40 hex digits, or a public key, 148 hex digits)
  --encoding E   print values in this encoding (default: as text when they are UTF-8, else base64url)
  --first        return at the first answer of a storer near the key (about one round trip sooner; one
                 storer's word for which version is the newest), one KEY only
${GET_BULK_HELP}${CLIENT_HELP}
${KEY_HELP}
${IMMUTABLE_HELP}
Nothing found (the nodes asked hold no value under KEY) and no answer (no node answered the lookup: try again
later) are told apart in the message.
Exit: 0 found, 1 nothing found or the lookup failed, 2 bad input, 3 node unreachable.`,
  options: {
    ...CLIENT_OPTIONS,
    local: { type: 'boolean' },
    limit: { type: 'string' },
    publisher: { type: 'string' },
    encoding: { type: 'string' },
    latest: { type: 'boolean' },
    first: { type: 'boolean' },
    'no-cache': { type: 'boolean' },
  },
  positionals: [1, 1_000],
  async run(values, keys, io) {
    const key = keys[0];
    if (keys.length === 1 && isImmutableKey(key!)) return getImmutable(values, key!, io);
    const query = new URLSearchParams();
    if (values.latest === true) query.set('latest', 'true');
    if (values.first === true) query.set('first', 'true');
    if (values['no-cache'] === true) query.set('cache', 'false');
    if (values.local === true) query.set('local', 'true');
    const limit = intOption(values, 'limit', undefined, 1, 1_000);
    if (limit !== undefined) query.set('limit', String(limit));
    if (typeof values.publisher === 'string') query.set('publisher', values.publisher);
    if (typeof values.encoding === 'string') query.set('encoding', values.encoding);
    if (keys.length > 1) {
      if (values.local === true || values.publisher !== undefined || values.first === true) throw new UsageError('--local, --publisher and --first take one KEY');
      return getMany(keys, query, values, io);
    }
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    let result: { key: string; source: string; values: ValueJson[] };
    try {
      result = await clientFor(values, io).request<{ key: string; source: string; values: ValueJson[] }>('GET', `/dht/values/${segment(key!)}${qs}`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'unreachable') {
        throw new ApiError(error.status, error.code, `no node answered, so whether a value is stored under ${key!} is unknown (not "nothing found"); try again later`);
      }
      throw error;
    }
    if (values.json === true) {
      printJson(io, result);
      return EXIT.ok;
    }
    for (const v of result.values) {
      const who = v.signed ? `signed by ${short(v.mid ?? '')} v${v.version}` : 'unsigned';
      const shown = v.encoding === 'utf8' ? v.value : `${v.encoding}:${v.value}`;
      println(io.stdout, `${shown}\t(${who}, expires in ${duration(v.ttlMs)})`);
    }
    return EXIT.ok;
  },
};

/** `peerlay connect MID`. */
export const connectCommand: Command = {
  path: ['connect'],
  summary: 'find a peer by its mid and connect to it',
  help: `Usage: peerlay connect MID [--timeout DURATION] [client options]

Finds the peer whose mid (40 hex digits, as \`peerlay node\` prints it) is MID through the DHT and
verifies it with a signed handshake; prints its address and the path the connection took (direct,
lan, punched or relayed; see docs/nat-traversal.md).
  --timeout D    give up after D, e.g. 10s, 1500ms (default 10s, at most 60s)${CLIENT_HELP}

Exit: 0 connected, 1 not found, 2 bad MID, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, timeout: { type: 'string' } },
  positionals: [1, 1],
  async run(values, [mid], io) {
    const timeoutMs = durationOption(values, 'timeout', undefined, 100, 60_000);
    const qs = timeoutMs === undefined ? '' : `?timeoutMs=${timeoutMs}`;
    const result = await clientFor(values, io).request<{ mid: string; peers: Array<{ mid: string; address: string }>; path?: string }>('GET', `/dht/peers/${segment(mid!)}${qs}`);
    if (values.json === true) printJson(io, result);
    else for (const p of result.peers) println(io.stdout, `connected to ${p.mid} at ${p.address}${result.path === undefined ? '' : ` (${result.path})`}`);
    return EXIT.ok;
  },
};

interface Health {
  mid: string;
  address: string;
  version: string;
  uptimeMs: number;
  contacts: number;
  persistent: boolean;
  /** Absent from nodes older than the NAT status. */
  nat?: HealthNat;
}
/** `GET /health`'s `nat` (see cli/http/routes/node.ts). */
export interface HealthNat {
  publicAddress: string | null;
  publicHost: string | null;
  mapping: 'none' | 'endpoint-independent' | 'address-dependent' | 'unknown';
  behindNat: boolean;
  stale: boolean;
  observations: number;
}
interface Overlays {
  overlays: Array<{ name: string; id: string; peers: number; messages: { received: Record<string, number>; sent: Record<string, number>; dropped: Record<string, number> } }>;
}
interface Statistics {
  dht: Record<string, number>;
  store: { values: number; keys: number; bytes: number; onDisk: number | null };
  routingTable: { contacts: number; buckets: number };
}

/** `peerlay status`'s NAT line: what the node learned of its public address from its pings. */
export function natLine(nat: HealthNat): string {
  const stale = nat.stale ? '; the latest answers disagree, asking more nodes' : '';
  switch (nat.mapping) {
    case 'none':
      return `not behind a NAT, public address ${nat.publicAddress ?? '?'}${stale}`;
    case 'endpoint-independent':
      return `behind a cone NAT (endpoint-independent mapping), public address ${nat.publicAddress ?? '?'}${stale}`;
    case 'address-dependent':
      return `behind a symmetric NAT (address-dependent mapping: a new public port per peer), public IP ${nat.publicHost ?? '?'}${stale}`;
    default:
      return `unknown yet (${nat.observations} observation${nat.observations === 1 ? '' : 's'}: it takes 2 nodes that answered its pings)`;
  }
}

/** `peerlay status`. */
export const statusCommand: Command = {
  path: ['status'],
  summary: "show a running node's identity, contacts, values and overlays",
  help: `Usage: peerlay status [client options]

Prints the node's mid, address, public address and NAT (as other nodes saw it), uptime, routing table,
stored values, DHT counters and overlays.${CLIENT_HELP}

Exit: 0 ok, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS },
  positionals: [0, 0],
  async run(values, _positionals, io) {
    const api = clientFor(values, io);
    const [health, stats, overlays] = await Promise.all([
      api.request<Health>('GET', '/health'),
      api.request<Statistics>('GET', '/dht/statistics'),
      api.request<Overlays>('GET', '/overlays'),
    ]);
    if (values.json === true) {
      printJson(io, { health, statistics: stats, overlays: overlays.overlays });
      return EXIT.ok;
    }
    const d = stats.dht;
    const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
    const lines = [
      ['mid', health.mid],
      ['address', health.address],
      ...(health.nat === undefined ? [] : [['nat', natLine(health.nat)]]),
      ['version', `${health.version}, up ${duration(health.uptimeMs)}${health.persistent ? ', persistent state' : ''}`],
      ['contacts', `${stats.routingTable.contacts} in ${stats.routingTable.buckets} bucket${stats.routingTable.buckets === 1 ? '' : 's'}`],
      ['values', `${stats.store.values} held under ${stats.store.keys} key${stats.store.keys === 1 ? '' : 's'} (${stats.store.bytes} bytes)${stats.store.onDisk === null ? '' : `, ${stats.store.onDisk} on disk`}`],
      ['dht', `${d.lookups} lookups (${d.averageHops} hops avg), ${d.storesSucceeded} stores ok / ${d.storesFailed} failed, ${d.finds} finds, ${d.timeouts} timeouts`],
      ...overlays.overlays.map((o) => [
        'overlay',
        `${o.name} ${short(o.id)}: ${o.peers} peer${o.peers === 1 ? '' : 's'}, ${sum(o.messages.received)} in / ${sum(o.messages.sent)} out, ${sum(o.messages.dropped)} dropped`,
      ]),
    ];
    for (const [k, v] of lines) println(io.stdout, `${k!.padEnd(9)} ${v}`);
    return EXIT.ok;
  },
};
