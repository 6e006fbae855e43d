/**
 * `GET /dht/ping/{target}` and `peerlay ping` (issue #15): a peer pinged by its mid or a node by its
 * address answers with its mid, address and round-trip time; a mid nobody holds is not-found at once; the
 * command prints one line per reply and a summary, and exits 0 / 1 / 2 / 3 as its help says.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../../framework/index.js';
import type { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { buildOnce } from '../helpers/build.js';
import { call, runCli, startNodes } from './helpers.js';

/** A mid no node has. */
const NOBODY = 'ab'.repeat(20);

let nodes: PeerlayNode[] = [];
let api = '';

beforeAll(async () => {
  await buildOnce(['dist/cli/main.js']);
  nodes = await startNodes(3);
  api = `http://${addressKey(nodes[0]!.apiAddress!)}`;
}, 240_000);

afterAll(async () => {
  for (const n of nodes) await n.stop();
});

describe('GET /dht/ping/{target}', () => {
  it('by mid: the peer, where it answered, and the round-trip time', async () => {
    const target = nodes[2]!;
    const { status, body } = await call(nodes[0]!, 'GET', `/dht/ping/${target.host.midHex}`);
    expect(status).toBe(200);
    expect(body.mid).toBe(target.host.midHex);
    expect(body.address).toBe(addressKey(target.address));
    expect(typeof body.rttMs).toBe('number');
    expect(body.rttMs as number).toBeGreaterThanOrEqual(0);
    expect(body.rttMs as number).toBeLessThan(2_000);
  });

  it('by host:port: the mid of the node there', async () => {
    const target = nodes[1]!;
    const { status, body } = await call(nodes[0]!, 'GET', `/dht/ping/${encodeURIComponent(addressKey(target.address))}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ mid: target.host.midHex, address: addressKey(target.address) });
    expect(body.rttMs as number).toBeGreaterThanOrEqual(0);
  });

  it('a mid nobody holds is 404 not-found long before the timeout; a malformed target is 400 bad-target', async () => {
    const started = Date.now();
    const missing = await call(nodes[0]!, 'GET', `/dht/ping/${NOBODY}?timeoutMs=20000`);
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('not-found');
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const bad of ['abc', 'example.org:80', '127.0.0.1:99999']) {
      const r = await call(nodes[0]!, 'GET', `/dht/ping/${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error?.code, bad).toBe('bad-target');
    }
  });
});

describe('peerlay ping', () => {
  it('MID --count 3: three replies with their rtt and a summary, exit 0', async () => {
    const target = nodes[2]!;
    const r = await runCli(['ping', target.host.midHex, '--count', '3', '--timeout', '5s', '--api', api]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const [i, line] of lines.slice(0, 3).entries()) {
      expect(line).toMatch(new RegExp(`^reply from ${target.host.midHex} at ${addressKey(target.address).replace(/\./g, '\\.')}: seq=${i + 1} rtt=\\d+(\\.\\d+)? ms$`));
    }
    expect(lines[3]).toMatch(/3 sent, 3 received, 0% lost, rtt min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms$/);
  });

  it('HOST:PORT --json: the replies and the summary as JSON', async () => {
    const target = nodes[1]!;
    const r = await runCli(['ping', addressKey(target.address), '--json', '--api', api]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { replies: Array<{ mid: string }>; sent: number; received: number };
    expect(out).toMatchObject({ sent: 1, received: 1 });
    expect(out.replies[0]!.mid).toBe(target.host.midHex);
  });

  it('no reply (a mid nobody holds) exits 1; a bad target or a duration without its unit exits 2; an unreachable node exits 3', async () => {
    const none = await runCli(['ping', NOBODY, '--count', '2', '--api', api]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/no reply: seq=1 not-found/);
    expect(none.stdout).toMatch(/2 sent, 0 received, 100% lost\n$/);

    const bad = await runCli(['ping', 'not-a-target', '--api', api]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/mid \(40 hex digits\) or HOST:PORT/);
    expect((await runCli(['ping', NOBODY, '--timeout', '5', '--api', api])).code).toBe(2);

    const down = await runCli(['ping', NOBODY, '--api', 'http://127.0.0.1:1']);
    expect(down.code).toBe(3);
  });
});
