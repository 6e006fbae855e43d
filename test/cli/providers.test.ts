/**
 * Provider records through the node's HTTP API and the `peerlay provide` / `peerlay providers` commands:
 * in-process `PeerlayNode`s (the commands run in this process against their APIs; a node restarted with its
 * state directory), then `peerlay node` processes driven by the built CLI. Everything on 127.0.0.1 with free ports.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../framework/index.js';
import { hashKey } from '../../communities/dht/index.js';
import { main } from '../../cli/main.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { buildOnce } from '../helpers/build.js';
import { call, captureIo, runCli, spawnNode, startNodes, waitFor } from './helpers.js';
import type { SpawnedNode } from './helpers.js';

let nodes: PeerlayNode[] = [];
const spawned: SpawnedNode[] = [];
const apiOf = (n: PeerlayNode): string => `http://127.0.0.1:${n.apiAddress!.port}`;

beforeAll(async () => {
  nodes = await startNodes(4);
}, 30_000);

afterAll(async () => {
  for (const n of nodes) await n.stop();
  for (const n of spawned) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  await Promise.all(spawned.map((n) => n.exited));
});

describe('provider records over the HTTP API (4 in-process nodes)', () => {
  it('PUT /dht/providers/{key} announces; GET finds every provider at the observed address; DELETE stops', async () => {
    const put1 = await call(nodes[1]!, 'PUT', '/dht/providers/shared-file', { port: 4_242, ttlMs: 600_000 });
    expect(put1.status).toBe(200);
    expect(put1.body).toMatchObject({ key: toHex(hashKey('shared-file')), port: 4_242, acks: 3 });
    const put2 = await call(nodes[2]!, 'PUT', '/dht/providers/shared-file', {});
    expect(put2.body).toMatchObject({ port: 0, acks: 3 }); // implied by default: finders get the UDP port the storers saw
    const get = await call(nodes[0]!, 'GET', '/dht/providers/shared-file');
    expect(get.status).toBe(200);
    expect(get.body.key).toBe(toHex(hashKey('shared-file')));
    const providers = get.body.providers as Array<Record<string, unknown>>;
    expect(providers.map((p) => `${p.mid as string} ${p.address as string}`).sort()).toEqual(
      [`${nodes[1]!.host.midHex} 127.0.0.1:4242`, `${nodes[2]!.host.midHex} 127.0.0.1:${nodes[2]!.address.port}`].sort(),
    );
    for (const p of providers) {
      expect(p.publicKey).toMatch(/^[0-9a-f]{148}$/);
      expect(p.expiresAt as number).toBeGreaterThan(Date.now());
    }
    expect(((await call(nodes[3]!, 'GET', '/dht/providers/shared-file?limit=1')).body.providers as unknown[]).length).toBe(1);
    // The node's metrics count provider records as their own record type: node 0 holds both announcements.
    const metrics = await (await fetch(`${apiOf(nodes[0]!)}/metrics`)).text();
    expect(nodes[0]!.providers.records.store.size).toBe(2);
    expect(metrics).toMatch(/^peerlay_records_stored\{type="providers"\} 2$/m);
    expect((await call(nodes[3]!, 'GET', '/dht/providers/nobody-has-this')).body).toEqual({ key: toHex(hashKey('nobody-has-this')), providers: [] });
    expect((await call(nodes[1]!, 'DELETE', '/dht/providers/shared-file')).body).toMatchObject({ stopped: true });
    expect((await call(nodes[1]!, 'DELETE', '/dht/providers/shared-file')).body).toMatchObject({ stopped: false });
    expect(nodes[1]!.providers.providing()).toEqual([]);
    expect(nodes[2]!.providers.providing()).toHaveLength(1);
  });

  it('bad input is a 400 with a code', async () => {
    const badPort = await call(nodes[1]!, 'PUT', '/dht/providers/x', { port: 70_000 });
    expect(badPort.status).toBe(400);
    expect(badPort.body.error?.code).toBe('bad-field');
    expect((await call(nodes[1]!, 'PUT', '/dht/providers/x', { ttlMs: 5 })).body.error?.code).toBe('invalid-ttl');
    expect((await call(nodes[1]!, 'GET', '/dht/providers/x?limit=0')).status).toBe(400);
  });

  it('peerlay provide / providers (in this process, against the nodes\' APIs)', async () => {
    const provide = captureIo();
    expect(await main(['provide', 'cli-file', '--port', '7070', '--ttl', '30m', '--api', apiOf(nodes[3]!)], provide)).toBe(0);
    expect(provide.out()).toBe(`providing ${toHex(hashKey('cli-file'))} (port 7070) on 3 nodes\n`);
    const find = captureIo();
    expect(await main(['providers', 'cli-file', '--api', apiOf(nodes[0]!)], find)).toBe(0);
    expect(find.out()).toMatch(new RegExp(`^127\\.0\\.0\\.1:7070\\t${nodes[3]!.host.midHex.slice(0, 12)}…?\\texpires \\d{4}-`));
    const json = captureIo();
    expect(await main(['providers', 'cli-file', '--json', '--api', apiOf(nodes[1]!)], json)).toBe(0);
    expect(JSON.parse(json.out()).providers).toEqual([expect.objectContaining({ mid: nodes[3]!.host.midHex, address: '127.0.0.1:7070' })]);
    const none = captureIo();
    expect(await main(['providers', 'nobody', '--api', apiOf(nodes[1]!)], none)).toBe(0);
    expect(none.err()).toBe(`nobody provides ${toHex(hashKey('nobody'))}\n`);
    const stop = captureIo();
    expect(await main(['provide', 'cli-file', '--stop', '--api', apiOf(nodes[3]!)], stop)).toBe(0);
    expect(stop.out()).toBe(`stopped providing ${toHex(hashKey('cli-file'))}\n`);
    expect(await main(['provide', 'cli-file', '--port', 'x', '--api', apiOf(nodes[3]!)], captureIo())).toBe(2);
  });
});

describe('provider records in the state database', () => {
  it('an announcement a node holds as a storer is restored, with its observed address, when it restarts with the same --state', async () => {
    const root = mkdtempSync(join(tmpdir(), 'peerlay-providers-'));
    const dir = join(root, 'state');
    try {
      const first = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, stateDir: dir, bootstrap: [nodes[0]!.address] });
      try {
        await waitFor(() => first.dht.routingTable.size >= 4, 10_000, 'the node to join');
        const put = await call(nodes[1]!, 'PUT', '/dht/providers/kept-file', { port: 6_000 });
        expect(put.body.acks).toBe(4);
        expect(first.providers.records.store.size).toBe(1);
      } finally {
        await first.stop();
      }
      const again = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, stateDir: dir });
      try {
        const local = await call(again, 'GET', '/dht/providers/kept-file?local=true');
        expect(local.body.providers).toEqual([expect.objectContaining({ mid: nodes[1]!.host.midHex, address: '127.0.0.1:6000' })]);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('peerlay provide / providers against `peerlay node` processes', () => {
  beforeAll(async () => {
    await buildOnce(['dist/cli/main.js']);
    const first = await spawnNode([]);
    spawned.push(first, await spawnNode(['--bootstrap', first.address]), await spawnNode(['--bootstrap', first.address]));
  }, 180_000);

  it('a provider announced by one process is found through another', async () => {
    const [a, b, c] = spawned as [SpawnedNode, SpawnedNode, SpawnedNode];
    // Retried until both other nodes hold it (the processes join in the background).
    await waitFor(async () => (await runCli(['provide', 'process-file', '--port', '6881', '--api', b.api])).stdout.includes('on 2 nodes'), 15_000, 'provide');
    const found = await runCli(['providers', 'process-file', '--api', c.api]);
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1:6881\\t${b.mid.slice(0, 12)}`));
    const json = JSON.parse((await runCli(['providers', 'process-file', '--json', '--api', a.api])).stdout) as { providers: Array<{ mid: string; address: string }> };
    expect(json.providers).toEqual([expect.objectContaining({ mid: b.mid, address: '127.0.0.1:6881' })]);
  });
});
