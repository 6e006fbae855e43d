/**
 * Absolute expiration, `latest`, the value cache and bulk operations through `peerlay node` (in-process
 * `PeerlayNode`s over real UDP on 127.0.0.1): the HTTP API (`expiresAt`, `?latest`, `?cache=false`,
 * `?first`, `POST /dht/find-many`, `POST /dht/store-many`) and the commands (`put --expires-at`, `put --many`,
 * `get --latest`, `get --first`, `get --no-cache`, `get K1 K2 ...`).
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { hashKey } from '../../communities/dht/index.js';
import { addressKey, toHex } from '../../framework/index.js';
import { call, captureIo, startNodes } from './helpers.js';

let nodes: PeerlayNode[] = [];
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerlay-dht-values-'));
  nodes = await startNodes(5, { dht: { valueCache: { enabled: true } } }); // peerlay node --cache
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const io = (node: PeerlayNode): ReturnType<typeof captureIo> => captureIo({ PEERLAY_API: `http://${addressKey(node.apiAddress!)}` });

describe('HTTP API', () => {
  it('PUT with expiresAt (beyond a day too), GET ?latest and ?cache=false, ttlMs and expiresAt together a 400', async () => {
    const at = Date.now() + 3 * 86_400_000;
    const put = await call(nodes[1]!, 'PUT', '/dht/values/http-long', { value: 'three days', sign: true, expiresAt: at });
    expect(put.status).toBe(200);
    expect(put.body.expiresAt).toBe(at);
    expect(nodes[1]!.dht.values.own.size).toBeGreaterThanOrEqual(1); // renewed while the node runs
    const both = await call(nodes[1]!, 'PUT', '/dht/values/http-both', { value: 'x', ttlMs: 1_000, expiresAt: Date.now() + 1_000 });
    expect(both.status).toBe(400);
    expect(both.body.error?.code).toBe('invalid-ttl');
    const first = await call(nodes[3]!, 'GET', '/dht/values/http-long');
    expect((first.body.values as Array<{ value: string }>).map((v) => v.value)).toEqual(['three days']);
    const hits = nodes[3]!.dht.statistics.cacheHits;
    await call(nodes[3]!, 'GET', '/dht/values/http-long');
    expect(nodes[3]!.dht.statistics.cacheHits).toBe(hits + 1);
    await call(nodes[3]!, 'GET', '/dht/values/http-long?cache=false');
    await call(nodes[3]!, 'GET', '/dht/values/http-long?latest');
    expect(nodes[3]!.dht.statistics.cacheHits).toBe(hits + 1);
    const quick = await call(nodes[4]!, 'GET', '/dht/values/http-long?first&cache=false');
    expect((quick.body.values as Array<{ value: string }>).map((v) => v.value)).toEqual(['three days']);
    const clash = await call(nodes[4]!, 'GET', '/dht/values/http-long?first&latest');
    expect(clash.status).toBe(400);
    expect(clash.body.error?.code).toBe('invalid-options');
    const stats = await call(nodes[3]!, 'GET', '/dht/statistics');
    expect((stats.body.dht as Record<string, number>).cacheHits).toBe(hits + 1);
  });

  it('POST /dht/store-many and /dht/find-many: one result per item, in order', async () => {
    const items = Array.from({ length: 6 }, (_, i) => ({ key: `bulk-http-${i}`, value: `v${i}`, sign: i % 2 === 0 }));
    const stored = await call(nodes[2]!, 'POST', '/dht/store-many', { items: [...items, { key: 'too big', value: 'x'.repeat(5_000) }] });
    expect(stored.status).toBe(200);
    const results = stored.body.results as Array<{ ok: boolean; acks?: number; error?: { code: string } }>;
    expect(results.slice(0, 6).every((r) => r.ok && r.acks! > 0)).toBe(true);
    expect(results[6]).toMatchObject({ ok: false, error: { code: 'too-large' } });
    const found = await call(nodes[4]!, 'POST', '/dht/find-many', { keys: [...items.map((i) => i.key), 'never stored'], latest: true });
    const rows = found.body.results as Array<{ key: string; ok: boolean; values: Array<{ value: string }> }>;
    expect(rows.map((r) => r.values.map((v) => v.value))).toEqual([...items.map((i) => [i.value]), []]);
    expect(rows[0]!.key).toBe(toHex(hashKey('bulk-http-0')));
    expect((await call(nodes[4]!, 'POST', '/dht/find-many', { keys: [] })).status).toBe(400);
    expect((await call(nodes[4]!, 'POST', '/dht/store-many', { items: [{ key: 'k' }] })).status).toBe(400);
  });
});

describe('commands', () => {
  it('put --expires-at, get --latest / --no-cache, and --ttl with --expires-at a usage error', async () => {
    const when = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const put = io(nodes[1]!);
    expect(await main(['put', 'cli-expiring', 'soon', '--sign', '--expires-at', when], put)).toBe(0);
    expect(put.out()).toContain(`expires ${when}`);
    const bad = io(nodes[1]!);
    expect(await main(['put', 'cli-expiring', 'x', '--ttl', '1h', '--expires-at', when], bad)).toBe(2);
    expect(bad.err()).toContain('not both');
    for (const flags of [['--latest'], ['--first'], ['--no-cache'], []]) {
      const get = io(nodes[3]!);
      expect(await main(['get', 'cli-expiring', ...flags], get)).toBe(0);
      expect(get.out()).toMatch(/^soon\t\(signed by/);
    }
  });

  it('put --many FILE and get K1 K2 K3', async () => {
    const file = join(dir, 'items.json');
    writeFileSync(file, JSON.stringify([{ key: 'cli-many-a', value: 'A' }, { key: 'cli-many-b', value: 'B', sign: true, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }]));
    const put = io(nodes[2]!);
    expect(await main(['put', '--many', file], put)).toBe(0);
    expect(put.out()).toMatch(/cli-many-a: stored on \d+ node/);
    const get = io(nodes[4]!);
    expect(await main(['get', 'cli-many-a', 'cli-many-b', 'cli-many-none'], get)).toBe(1); // one key has nothing
    expect(get.out()).toMatch(/^cli-many-a:\n {2}A\t\(unsigned, .*\)\ncli-many-b:\n {2}B\t\(signed by .*\)\ncli-many-none:\n {2}\(nothing found\)\n$/);
    const usage = io(nodes[2]!);
    expect(await main(['put', '--many', file, 'extra'], usage)).toBe(2);
    const firstMany = io(nodes[4]!);
    expect(await main(['get', 'cli-many-a', 'cli-many-b', '--first'], firstMany)).toBe(2);
    expect(firstMany.err()).toContain('--first take one KEY');
  });
});
