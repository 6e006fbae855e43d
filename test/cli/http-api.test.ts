import 'reflect-metadata';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../framework/index.js';
import { hashKey } from '../../communities/dht/index.js';
import type { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { MAX_BODY_BYTES } from '../../cli/http/server.js';
import { call, startNodes, waitFor } from './helpers.js';

let nodes: PeerlayNode[] = [];
let guarded: PeerlayNode[] = [];

beforeAll(async () => {
  nodes = await startNodes(3);
  guarded = await startNodes(1, { token: 'correct-horse-battery' });
});

afterAll(async () => {
  for (const n of [...nodes, ...guarded]) await n.stop();
});

describe('HTTP API over real HTTP against real nodes', () => {
  it('GET /health names the node and lists the routes', async () => {
    const { status, body } = await call(nodes[0]!, 'GET', '/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', mid: nodes[0]!.host.midHex, persistent: false });
    expect(body.routes).toContain('PUT /dht/values/:key');
    // Birthday probing is on by default: the counters start at 0, no probe socket is open yet.
    expect(body.birthday).toMatchObject({ enabled: true, batches: 0, sprays: 0, sprayed: 0, hits: 0, refused: 0 });
    expect((body.birthday as { sockets: unknown }).sockets).toMatchObject({ socketsOpen: 0, pins: 0 });
  });

  it('PUT then GET /dht/values/{key}: a string key, from another node', async () => {
    const put = await call(nodes[2]!, 'PUT', '/dht/values/greeting', { value: 'hello world' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ key: toHex(hashKey('greeting')), signed: false });
    expect(put.body.acks).toBeGreaterThanOrEqual(1);
    const get = await call(nodes[0]!, 'GET', '/dht/values/greeting');
    expect(get.status).toBe(200);
    expect(get.body.values).toEqual([expect.objectContaining({ value: 'hello world', encoding: 'utf8', signed: false, mid: null })]);
  });

  it('signed values carry their publisher and version; hex keys and encodings round-trip', async () => {
    const key = 'hex:' + 'ab'.repeat(20);
    const put = await call(nodes[1]!, 'PUT', `/dht/values/${key}`, { value: '00ff10', encoding: 'hex', sign: true, ttlMs: 600_000 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ key: 'ab'.repeat(20), signed: true });
    const get = await call(nodes[0]!, 'GET', `/dht/values/${key}?encoding=hex`);
    expect(get.body.values).toEqual([
      expect.objectContaining({ value: '00ff10', encoding: 'hex', signed: true, mid: nodes[1]!.host.midHex, version: put.body.version }),
    ]);
    const auto = await call(nodes[0]!, 'GET', `/dht/values/${key}`);
    expect(auto.body.values).toEqual([expect.objectContaining({ value: 'AP8Q', encoding: 'base64url' })]);
    expect(auto.body.trace).toBeUndefined();
    // ?trace returns the lookup's events with the values: started, the queries and answers, finished.
    const traced = await call(nodes[0]!, 'GET', `/dht/values/${key}?trace`);
    const trace = traced.body.trace as Array<{ type: string; queries?: number }>;
    expect(trace[0]).toMatchObject({ type: 'started', kind: 'find-values' });
    const finished = trace.at(-1)!;
    expect(finished.type).toBe('finished');
    expect(trace.filter((e) => e.type === 'query')).toHaveLength(finished.queries!);
    const b64 = await call(nodes[2]!, 'GET', `/dht/values/b64:${Buffer.from('ab'.repeat(20), 'hex').toString('base64url')}?local=true`);
    expect(b64.status).toBe(200);
  });

  it('GET /dht/values/{key}?local only answers from what the node holds; an unknown key is 404', async () => {
    await call(nodes[0]!, 'PUT', '/dht/values/only-here', { value: 'x' });
    const local = await call(nodes[0]!, 'GET', '/dht/values/only-here?local');
    expect(local.body).toMatchObject({ source: 'local' });
    const missing = await call(nodes[0]!, 'GET', '/dht/values/never-stored');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('not-found');
  });

  it('GET /dht/peers/{mid} connects to a peer by mid', async () => {
    const target = nodes[2]!.host.midHex;
    await waitFor(() => nodes[2]!.discovery.announcer.storers.size > 0, 10_000, 'node 2 to announce itself');
    const { status, body } = await call(nodes[0]!, 'GET', `/dht/peers/${target}`);
    expect(status).toBe(200);
    expect(body.peers).toEqual([expect.objectContaining({ mid: target, address: `127.0.0.1:${nodes[2]!.address.port}` })]);
    expect(body.path).toBe('direct'); // 127.0.0.1: no NAT between them
  });

  it('GET /dht/statistics and /dht/buckets report the DHT', async () => {
    const stats = await call(nodes[0]!, 'GET', '/dht/statistics');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ routingTable: { contacts: 3 - 1 }, store: { onDisk: null } });
    expect((stats.body.dht as { lookups: number }).lookups).toBeGreaterThan(0);
    const buckets = await call(nodes[0]!, 'GET', '/dht/buckets');
    const all = (buckets.body.buckets as Array<{ contacts: Array<{ id: string }> }>).flatMap((b) => b.contacts.map((c) => c.id));
    expect(all.sort()).toEqual([nodes[1]!.host.midHex, nodes[2]!.host.midHex].sort());
  });

  it('GET /overlays lists every community with its id, peers and message counters', async () => {
    const { body } = await call(nodes[0]!, 'GET', '/overlays');
    const overlays = body.overlays as Array<{ name: string; id: string; peers: number; messages: { received: Record<string, number> } }>;
    expect(overlays.map((o) => o.name)).toEqual(expect.arrayContaining(['DHTCommunity', 'DHTDiscoveryCommunity']));
    const dht = overlays.find((o) => o.name === 'DHTCommunity')!;
    expect(dht.id).toBe(nodes[0]!.dht.communityIdHex);
    expect(dht.peers).toBe(2);
    expect(Object.values(dht.messages.received).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});

describe('bag and namespace routes', () => {
  it('POST /bag/{key} adds, GET /bag/{key} pages through every entry, DELETE withdraws our own', async () => {
    expect((await call(nodes[0]!, 'POST', '/bag/topic', { value: 'from zero' })).status).toBe(200);
    const second = await call(nodes[1]!, 'POST', '/bag/topic', { value: '6f6e65', encoding: 'hex' });
    expect(second.status).toBe(200);
    expect(second.body.acks).toBeGreaterThanOrEqual(1);
    const all = await call(nodes[2]!, 'GET', '/bag/topic');
    expect(all.status).toBe(200);
    const values = (all.body.values as Array<{ value: string; mid: string }>).map((v) => `${v.value}@${v.mid}`).sort();
    expect(values).toEqual([`from zero@${nodes[0]!.host.midHex}`, `one@${nodes[1]!.host.midHex}`].sort());
    expect(all.body.cursor).toBeNull();
    const first = await call(nodes[2]!, 'GET', '/bag/topic?limit=1');
    expect(first.body.values).toHaveLength(1);
    expect(typeof first.body.cursor).toBe('string');
    const rest = await call(nodes[2]!, 'GET', `/bag/topic?limit=1&cursor=${first.body.cursor as string}`);
    expect(rest.body.values).toHaveLength(1);
    expect((rest.body.values as Array<{ value: string }>)[0]!.value).not.toBe((first.body.values as Array<{ value: string }>)[0]!.value);
    const removed = await call(nodes[0]!, 'DELETE', `/bag/topic/${encodeURIComponent('from zero')}`);
    expect(removed.status).toBe(200);
    const after = await call(nodes[2]!, 'GET', '/bag/topic');
    expect((after.body.values as Array<{ value: string }>).map((v) => v.value)).toEqual(['one']);
  });

  it('PUT /namespace/{key} sets in our namespace; GET /namespace/{publicKey}/{key} reads it from anywhere', async () => {
    const set = await call(nodes[1]!, 'PUT', '/namespace/profile', { value: 'alice' });
    expect(set.status).toBe(200);
    const publicKey = toHex(nodes[1]!.host.key.publicKey.toBinary());
    expect(set.body).toMatchObject({ publicKey, key: 'profile' });
    const seq = set.body.seq as number;
    const get = await call(nodes[0]!, 'GET', `/namespace/${publicKey}/profile`);
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ value: 'alice', encoding: 'utf8', seq });
    const update = await call(nodes[1]!, 'PUT', '/namespace/profile', { value: 'alice v2', cas: seq });
    expect(update.status).toBe(200);
    expect(update.body.seq).toBeGreaterThan(seq);
    const conflict = await call(nodes[1]!, 'PUT', '/namespace/profile', { value: 'lost update', cas: seq });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error?.code).toBe('conflict');
    expect((await call(nodes[2]!, 'GET', `/namespace/${publicKey}/profile`)).body).toMatchObject({ value: 'alice v2' });
    const missing = await call(nodes[0]!, 'GET', `/namespace/${publicKey}/no-such-key`);
    expect(missing.status).toBe(404);
  });
});

describe('bad input gets a clear JSON error and the node keeps serving', () => {
  const cases: Array<[string, string, string, unknown, number, string, Record<string, string>?]> = [
    ['malformed hex key', 'GET', '/dht/values/hex:zz', undefined, 400, 'bad-key'],
    ['empty key', 'GET', '/dht/values/', undefined, 400, 'bad-key'],
    ['bad percent-encoding', 'GET', '/dht/values/%E0%A4%A', undefined, 400, 'bad-path'],
    ['oversized value', 'PUT', '/dht/values/big', { value: 'a'.repeat(2_000) }, 413, 'too-large'],
    ['oversized body', 'PUT', '/dht/values/big', { value: 'a'.repeat(MAX_BODY_BYTES) }, 413, 'too-large'],
    ['bad JSON', 'PUT', '/dht/values/k', '{"value": ', 400, 'bad-json'],
    ['JSON that is not an object', 'PUT', '/dht/values/k', '[1,2]', 400, 'bad-json'],
    ['missing value', 'PUT', '/dht/values/k', { sign: true }, 400, 'bad-value'],
    ['bad value encoding', 'PUT', '/dht/values/k', { value: 'zz', encoding: 'hex' }, 400, 'bad-value'],
    ['unknown encoding', 'PUT', '/dht/values/k', { value: 'zz', encoding: 'rot13' }, 400, 'bad-encoding'],
    ['bad ttl', 'PUT', '/dht/values/k', { value: 'v', ttlMs: -5 }, 400, 'bad-field'],
    ['sign not a boolean', 'PUT', '/dht/values/k', { value: 'v', sign: 'yes' }, 400, 'bad-field'],
    ['bad limit', 'GET', '/dht/values/k?limit=0', undefined, 400, 'bad-parameter'],
    ['bad mid', 'GET', '/dht/peers/1234', undefined, 400, 'bad-mid'],
    ['bad bag cursor', 'GET', '/bag/k?cursor=zz', undefined, 400, 'invalid-cursor'],
    ['bad bag value segment', 'DELETE', '/bag/k/hex:zz', undefined, 400, 'bad-value'],
    ['bad namespace public key', 'GET', '/namespace/abcd/k', undefined, 400, 'bad-public-key'],
    ['namespace key too long', 'PUT', `/namespace/${'k'.repeat(65)}`, { value: 'v' }, 400, 'invalid-key'],
    ['unknown route', 'GET', '/no/such/route', undefined, 404, 'unknown-route'],
    ['wrong method', 'DELETE', '/dht/values/k', undefined, 405, 'method-not-allowed'],
    ['body without JSON content type', 'PUT', '/dht/values/k', '{"value":"v"}', 415, 'bad-content-type', { 'content-type': 'text/plain' }],
  ];
  for (const [name, method, path, body, status, code, headers] of cases) {
    it(`${name}: ${status} ${code}`, async () => {
      const result = await call(nodes[0]!, method, path, body, headers);
      expect(result.status).toBe(status);
      expect(result.body.error).toEqual({ code, message: expect.any(String) });
      expect(result.body.error!.message.length).toBeGreaterThan(5);
      expect((await call(nodes[0]!, 'GET', '/health')).status).toBe(200);
    });
  }

  it('a Host that is not an IP literal or localhost is refused (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: nodes[0]!.apiAddress!.port, path: '/health', headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('a node with a token answers 401 without it or with a wrong one, 200 with it', async () => {
    const node = guarded[0]!;
    const none = await call(node, 'GET', '/health');
    expect(none.status).toBe(401);
    expect(none.body.error?.code).toBe('unauthorized');
    expect((await call(node, 'GET', '/health', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call(node, 'GET', '/health', undefined, { authorization: 'Bearer correct-horse-battery' })).status).toBe(200);
  });

  it('a lone node stores nowhere else: 200 with 0 acks, and keeps the value itself', async () => {
    const lone = guarded[0]!;
    const auth = { authorization: 'Bearer correct-horse-battery' };
    const put = await call(lone, 'PUT', '/dht/values/alone', { value: 'v' }, auth);
    expect(put.status).toBe(200);
    expect(put.body.acks).toBe(0);
    const get = await call(lone, 'GET', '/dht/values/alone', undefined, auth);
    expect(get.body).toMatchObject({ source: 'local', values: [expect.objectContaining({ value: 'v' })] });
  });
});
