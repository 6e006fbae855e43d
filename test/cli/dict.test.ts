/**
 * Subkey dictionaries through `peerlay node` (in-process `PeerlayNode`s on 127.0.0.1): the HTTP routes
 * `PUT /dht/dict/{key}/{subkey}` and `GET /dht/dict/{key}`, the `peerlay dict set|get` commands run against
 * them, and a dictionary entry restored from the node's state database.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, toHex } from '../../framework/index.js';
import { hashKey } from '../../communities/dht/index.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { main } from '../../cli/main.js';
import { call, captureIo, startNodes } from './helpers.js';

const HOUR = 3_600_000;
let nodes: PeerlayNode[] = [];
let stateRoot: string;

const api = (n: PeerlayNode): string => `http://${addressKey(n.apiAddress!)}`;
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  nodes = await startNodes(3);
  stateRoot = mkdtempSync(join(tmpdir(), 'peerlay-dict-'));
});

afterAll(async () => {
  for (const n of nodes) await n.stop();
  rmSync(stateRoot, { recursive: true, force: true });
});

describe('dictionary routes', () => {
  it('PUT /dht/dict/{key}/{subkey} adds subkeys; GET /dht/dict/{key} returns them merged, with expirations and owners', async () => {
    const a = await call(nodes[0]!, 'PUT', '/dht/dict/team/alice', { value: 'online', ttlMs: 2 * HOUR });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ key: toHex(hashKey('team')), subkey: 'alice', owner: toHex(nodes[0]!.host.key.publicKey.toBinary()), mid: nodes[0]!.host.midHex });
    expect(a.body.acks).toBe(3);
    const at = Date.now() + HOUR;
    const b = await call(nodes[1]!, 'PUT', '/dht/dict/team/topic', { value: '7374616e647570', encoding: 'hex', expiresAt: at, open: true });
    expect(b.body).toMatchObject({ subkey: 'topic', owner: null, mid: null, expiresAt: at });
    const got = await call(nodes[2]!, 'GET', '/dht/dict/team');
    expect(got.status).toBe(200);
    expect(got.body.cursor).toBeNull();
    const entries = (got.body.entries as Array<Record<string, unknown>>).sort((x, y) => String(x.subkey).localeCompare(String(y.subkey)));
    expect(entries).toEqual([
      { subkey: 'alice', subkeyEncoding: 'utf8', value: 'online', encoding: 'utf8', expiresAt: a.body.expiresAt, owner: toHex(nodes[0]!.host.key.publicKey.toBinary()), mid: nodes[0]!.host.midHex },
      { subkey: 'topic', subkeyEncoding: 'utf8', value: 'standup', encoding: 'utf8', expiresAt: at, owner: null, mid: null },
    ]);
    // An earlier expiration for an open subkey others hold later: 409 stale.
    const stale = await call(nodes[2]!, 'PUT', '/dht/dict/team/topic', { value: 'older', ttlMs: 30 * 60_000, open: true });
    expect(stale.status).toBe(409);
    expect(stale.body.error!.code).toBe('stale');
    // Only one owner's subkeys; pages of one.
    const mine = await call(nodes[2]!, 'GET', `/dht/dict/team?owner=${nodes[0]!.host.midHex}`);
    expect((mine.body.entries as Array<{ subkey: string }>).map((e) => e.subkey)).toEqual(['alice']);
    const first = await call(nodes[2]!, 'GET', '/dht/dict/team?limit=1');
    expect((first.body.entries as unknown[]).length).toBe(1);
    const rest = await call(nodes[2]!, 'GET', `/dht/dict/team?limit=1&cursor=${first.body.cursor as string}`);
    expect((rest.body.entries as unknown[]).length).toBe(1);
    expect(rest.body.entries).not.toEqual(first.body.entries);
    // The node's metrics count dictionary entries as their own record type.
    const metrics = await (await fetch(`${api(nodes[2]!)}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^peerlay_records_stored\\{type="dict"\\} ${nodes[2]!.dict.entries.store.size}$`, 'm'));
    expect(nodes[2]!.dict.entries.store.size).toBe(2);
  });

  it.each([
    ['both ttlMs and expiresAt', 'PUT', '/dht/dict/k/s', { value: 'v', ttlMs: HOUR, expiresAt: Date.now() + HOUR }, 400, 'invalid-ttl'],
    ['expiresAt in the past', 'PUT', '/dht/dict/k/s', { value: 'v', expiresAt: 1 }, 400, 'invalid-ttl'],
    ['subkey too long', 'PUT', `/dht/dict/k/${'s'.repeat(65)}`, { value: 'v' }, 400, 'invalid-key'],
    ['value too large', 'PUT', '/dht/dict/k/s', { value: 'v'.repeat(513) }, 413, 'too-large'],
    ['open not a boolean', 'PUT', '/dht/dict/k/s', { value: 'v', open: 'yes' }, 400, 'bad-field'],
    ['bad cursor', 'GET', '/dht/dict/k?cursor=zz', undefined, 400, 'invalid-cursor'],
    ['bad owner', 'GET', '/dht/dict/k?owner=abc', undefined, 400, 'bad-owner'],
  ] as const)('%s: %s %s', async (_name, method, path, body, status, code) => {
    const r = await call(nodes[0]!, method, path, body);
    expect(r.status).toBe(status);
    expect(r.body.error!.code).toBe(code);
  });
});

describe('peerlay dict set|get', () => {
  it('sets owned and open subkeys and prints the merged dictionary', async () => {
    const set = await cli(['dict', 'set', 'cli dict', 'alice', 'here', '--ttl', '2h', '--api', api(nodes[0]!)]);
    expect(set.code).toBe(0);
    expect(set.out).toMatch(new RegExp(`^set alice \\(owned by ${nodes[0]!.host.midHex.slice(0, 12)}…\\) in the dictionary [0-9a-f]{40} until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z on 3 nodes\\n$`));
    const at = new Date(Date.now() + HOUR).toISOString();
    expect((await cli(['dict', 'set', 'cli dict', 'status', 'open', '--open', '--expires-at', at, '--api', api(nodes[1]!)])).code).toBe(0);
    const got = await cli(['dict', 'get', 'cli dict', '--api', api(nodes[2]!)]);
    expect(got.code).toBe(0);
    const lines = got.out.trimEnd().split('\n').sort();
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^alice\\there\\t\\(until \\S+Z, by ${nodes[0]!.host.midHex.slice(0, 12)}…\\)$`)),
      `status\topen\t(until ${at}, open)`,
    ]);
    const json = await cli(['dict', 'get', 'cli dict', '--json', '--owner', nodes[0]!.host.midHex, '--api', api(nodes[1]!)]);
    expect(JSON.parse(json.out).entries.map((e: { subkey: string }) => e.subkey)).toEqual(['alice']);
    // A later write of the open subkey wins; an earlier one fails (exit 1, stale).
    const earlier = await cli(['dict', 'set', 'cli dict', 'status', 'earlier', '--open', '--ttl', '30m', '--api', api(nodes[2]!)]);
    expect(earlier.code).toBe(1);
    expect(earlier.err).toContain('stale');
  });

  it('refuses bad input with exit 2', async () => {
    expect((await cli(['dict', 'set', 'k', 's', 'v', '--ttl', '1h', '--expires-at', '2030-01-01T00:00:00Z', '--api', api(nodes[0]!)])).code).toBe(2);
    expect((await cli(['dict', 'set', 'k', 's', 'v', '--expires-at', 'tomorrow', '--api', api(nodes[0]!)])).code).toBe(2);
    expect((await cli(['dict', 'set', 'k', 's', '--api', api(nodes[0]!)])).code).toBe(2);
    expect((await cli(['dict', 'get', 'k', '--limit', '0', '--api', api(nodes[0]!)])).code).toBe(2);
  });
});

describe('dictionary entries in the state database', () => {
  it('a subkey a node holds is restored when it restarts with the same --state', async () => {
    const dir = join(stateRoot, 'node');
    const first = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, stateDir: dir, bootstrap: [nodes[0]!.address] });
    try {
      const set = await call(first, 'PUT', '/dht/dict/kept/mine', { value: 'on disk' });
      expect(set.status).toBe(200);
    } finally {
      await first.stop();
    }
    const again = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, stateDir: dir });
    try {
      const local = await call(again, 'GET', '/dht/dict/kept?local=true');
      expect((local.body.entries as Array<{ subkey: string; value: string; mid: string }>).map((e) => [e.subkey, e.value, e.mid])).toEqual([['mine', 'on disk', again.host.midHex]]);
      expect(again.dict.entries.store.size).toBe(1);
    } finally {
      await again.stop();
    }
  });
});
