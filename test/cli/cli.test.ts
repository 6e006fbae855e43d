/**
 * The `peerlay` command line end to end: the built CLI (`dist/cli/main.js`, built by {@link buildOnce}) run as
 * real processes on 127.0.0.1 with free ports. The nodes are always `peerlay node` processes; the client
 * commands against their APIs mostly run in this process through `main` (the function the built entry point
 * calls with `process.argv`), since each `peerlay` process costs about 0.6 s of CPU to load; the entry point
 * itself runs as a process for help, a usage error, the loopback refusal, exit codes 3 and 4, a put, and a
 * value read from stdin.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../cli/main.js';
import { buildOnce } from '../helpers/build.js';
import { captureIo, ROOT, runCli, spawnNode, waitFor } from './helpers.js';
import type { CliResult, SpawnedNode } from './helpers.js';

const exec = promisify(execFile);
const spawned: SpawnedNode[] = [];
let stateRoot = '';

async function start(args: readonly string[]): Promise<SpawnedNode> {
  const node = await spawnNode(args);
  spawned.push(node);
  return node;
}

/** Runs `peerlay ...args` in this process (through `main`, as the entry point does) with `env` as its environment. */
async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const io = captureIo(env);
  const code = await main(args, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

async function api(node: SpawnedNode, path: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${node.api}${path}`)).json()) as Record<string, unknown>;
}

beforeAll(async () => {
  await buildOnce(['dist/cli/main.js']);
  stateRoot = mkdtempSync(join(tmpdir(), 'peerlay-cli-'));
}, 240_000);

afterAll(async () => {
  for (const n of spawned) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  await Promise.all(spawned.map((n) => n.exited));
  rmSync(stateRoot, { recursive: true, force: true });
});

describe('usage and exit codes', () => {
  it('every command has --help (exit 0)', async () => {
    for (const c of COMMANDS) {
      const io = captureIo();
      expect(await main([...c.path, '--help'], io), c.path.join(' ')).toBe(0);
      expect(io.out()).toContain(`Usage: peerlay ${c.path.join(' ')}`);
    }
    const top = await runCli(['--help']); // and through the real entry point
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c.path.join(' '));
    const sub = await runCli(['bag', 'search', '-h']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('Usage: peerlay bag search KEY');
  });

  it('usage errors exit 2 with a message naming the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: peerlay/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['put', 'only-key'], /expected 2 arguments, got 1/],
      [['get', 'k', '--bogus'], /Unknown option '--bogus'/],
      [['put', 'k', 'v', '--ttl', 'soon'], /--ttl must be a duration with its unit/],
      [['put', 'k', 'v', '--ttl', '120'], /--ttl must be a duration with its unit \(e\.g\. 1500ms, 90s/],
      [['put', 'k', 'v', '--encoding', 'rot13'], /--encoding must be one of utf8, hex, base64url/],
      [['node', '--bootstrap', 'not-an-address'], /--bootstrap: expected HOST:PORT/],
      [['node', '--port', '70000'], /--port must be an integer in 0..65535/],
      [['node', '--token', 'short'], /--token must be at least 8 characters/],
      [['get', 'k', '--api', 'ftp://127.0.0.1:1'], /--api must be an http:\/\/ URL/],
    ];
    for (const [args, message] of cases) {
      const io = captureIo();
      expect(await main(args, io), args.join(' ')).toBe(2);
      expect(io.err()).toMatch(message);
    }
    const r = await runCli(['put', 'only-key']); // and through the real entry point
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected 2 arguments, got 1/);
  });

  it('refuses to serve the API beyond loopback without a token (exit 2, nothing bound)', async () => {
    const r = await runCli(['node', '--port', '0', '--http', '0.0.0.0:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not loopback: give --token T or --token auto/);
  });

  it('a client exits 3 when no node answers', async () => {
    const free = await start([]); // a node whose API we stop, so its port is known to be closed
    free.proc.kill('SIGTERM');
    expect(await free.exited).toBe(0);
    const r = await runCli(['status', '--api', free.api]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the node's API .*ECONNREFUSED/);
  });
});

describe('three nodes on 127.0.0.1, driven from the command line', () => {
  let n1: SpawnedNode;
  let n2: SpawnedNode;
  let n3: SpawnedNode;

  beforeAll(async () => {
    n1 = await start(['--state', join(stateRoot, 'n1')]);
    n2 = await start(['--bootstrap', n1.address, '--state', join(stateRoot, 'n2')]);
    n3 = await start(['--bootstrap', n1.address]);
    for (const n of [n1, n2, n3]) {
      await waitFor(async () => ((await api(n, '/health')).contacts as number) >= 2, 10_000, `node ${n.mid} to know the others`);
    }
  });

  it('prints its mid, a --bootstrap-able address and its API', () => {
    expect(n1.mid).toMatch(/^[0-9a-f]{40}$/);
    expect(n1.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(n1.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('put on one node, get from another (text and --json)', async () => {
    const put = await runCli(['put', 'greeting', 'hello world', '--api', n3.api]); // a client process
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/^stored on [12] nodes? \(key [0-9a-f]{40}, unsigned/);
    const get = await cli(['get', 'greeting', '--api', n2.api]);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^hello world\t\(unsigned, expires in 23h 59m\)\n$/);
    const json = JSON.parse((await cli(['get', 'greeting', '--json'], { PEERLAY_API: n1.api })).stdout);
    expect(json.values[0]).toMatchObject({ value: 'hello world', encoding: 'utf8' });
  });

  it('put --sign --ttl, a value from stdin, and a missing key (exit 1)', async () => {
    const put = await cli(['put', 'signed', 'v1', '--sign', '--ttl', '120s', '--api', n2.api]);
    expect(put.code).toBe(0);
    const get = await cli(['get', 'signed', '--api', n1.api]);
    expect(get.stdout).toContain(`v1\t(signed by ${n2.mid.slice(0, 12)}`);
    expect(get.stdout).toMatch(/expires in (1m \d+s|2m 0s)\)/);
    const binary = await runCli(['put', 'bytes', '-', '--api', n1.api], {}, '\u0000\u0001binary'); // a real stdin
    expect(binary.code).toBe(0);
    const hex = await cli(['get', 'bytes', '--encoding', 'hex', '--api', n3.api]);
    expect(hex.stdout).toMatch(/^hex:000162696e617279\t/);
    const missing = await cli(['get', 'never-stored', '--api', n1.api]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not-found: no value found/);
  });

  it('connect finds a node by its mid', async () => {
    await waitFor(async () => (await cli(['connect', n3.mid, '--timeout', '3s', '--api', n1.api])).code === 0, 15_000, 'connect');
    const r = await cli(['connect', n3.mid, '--api', n1.api]);
    expect(r.stdout).toBe(`connected to ${n3.mid} at ${n3.address} (direct)\n`);
    const bad = await cli(['connect', 'nope', '--api', n1.api]);
    expect(bad.code).toBe(2);
  });

  it('bag add, search (paged) and remove', async () => {
    expect((await cli(['bag', 'add', 'topic', 'hello', '--api', n1.api])).code).toBe(0);
    const added = await cli(['bag', 'add', 'topic', 'world', '--api', n2.api]);
    expect(added.stdout).toMatch(/^added to the bag [0-9a-f]{40} on [123] nodes?\n$/);
    const all = await cli(['bag', 'search', 'topic', '--api', n3.api]);
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort()).toEqual(['hello', 'world']);
    const page = await cli(['bag', 'search', 'topic', '--limit', '1', '--api', n3.api]);
    const cursor = /^cursor (\S+)$/m.exec(page.stdout)?.[1];
    expect(cursor).toBeDefined();
    const next = await cli(['bag', 'search', 'topic', '--limit', '1', '--cursor', cursor!, '--api', n3.api]);
    expect(next.stdout.split('\t')[0]).not.toBe(page.stdout.split('\t')[0]);
    expect((await cli(['bag', 'remove', 'topic', 'hello', '--api', n1.api])).code).toBe(0);
    const after = await cli(['bag', 'search', 'topic', '--json', '--api', n3.api]);
    expect(JSON.parse(after.stdout).values.map((v: { value: string }) => v.value)).toEqual(['world']);
  });

  it('ns set and ns get, with compare-and-swap', async () => {
    const set = await cli(['ns', 'set', 'name', 'alice', '--json', '--api', n2.api]);
    expect(set.code).toBe(0);
    const { publicKey, seq } = JSON.parse(set.stdout) as { publicKey: string; seq: number };
    const get = await cli(['ns', 'get', publicKey, 'name', '--api', n1.api]);
    expect(get.stdout).toBe(`alice\t(seq ${seq})\n`);
    const lost = await cli(['ns', 'set', 'name', 'mallory', '--cas', String(seq + 1_000), '--api', n2.api]);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(/conflict/);
    const swapped = await cli(['ns', 'set', 'name', 'bob', '--cas', String(seq), '--api', n2.api]);
    expect(swapped.code).toBe(0);
    expect((await cli(['ns', 'get', publicKey, 'name', '--api', n3.api])).stdout).toMatch(/^bob\t/);
  });

  it('status shows identity, contacts, values and overlays', async () => {
    const r = await cli(['status', '--api', n1.api]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`mid       ${n1.mid}`);
    expect(r.stdout).toMatch(/contacts  2 in \d+ buckets?/);
    for (const name of ['DHTCommunity', 'DHTDiscoveryCommunity', 'BagCommunity', 'NamespaceCommunity']) expect(r.stdout).toContain(`overlay   ${name}`);
    const json = JSON.parse((await cli(['status', '--json', '--api', n1.api])).stdout);
    expect(json.health.mid).toBe(n1.mid);
  });

  it('SIGTERM stops a node cleanly (exit 0) and a restart keeps its key', async () => {
    const dir = join(stateRoot, 'term');
    const a = await start(['--bootstrap', n1.address, '--state', dir]);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const b = await start(['--state', dir]);
    expect(b.mid).toBe(a.mid);
    b.proc.kill('SIGINT');
    expect(await b.exited).toBe(0);
  });

  it('a damaged node.mdb stops the node with exit 4 and says how to recover; --recover-state moves it aside and keeps the key', async () => {
    const dir = join(stateRoot, 'damaged');
    const a = await start(['--state', dir]);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    truncateSync(join(dir, 'node.mdb'), 0); // a zero-length database: started empty with exit 0 before
    const refused = await runCli(['node', '--port', '0', '--http', '127.0.0.1:0', '--state', dir]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/node\.mdb/);
    expect(refused.stderr).toMatch(/--recover-state/);
    const b = await start(['--state', dir, '--recover-state']);
    expect(b.mid).toBe(a.mid);
    expect(readdirSync(dir).some((f) => f.startsWith('node.mdb.damaged-'))).toBe(true);
    b.proc.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });

  it('kill -9 and restart with the same --state: same key, routing table, and every record it acknowledged, of every type', async () => {
    // Values node 1 holds: one it published itself, one it stored for node 3.
    expect((await cli(['put', 'survivor', 'still here', '--sign', '--api', n1.api])).code).toBe(0);
    expect((await cli(['put', 'for-others', 'kept for n3', '--api', n3.api])).code).toBe(0);
    const before = await cli(['get', 'for-others', '--local', '--api', n1.api]);
    expect(before.stdout).toMatch(/^kept for n3\t/);
    // A bag entry and a namespace record node 1 stores for node 3 (three nodes: every node is among the k closest).
    expect((await cli(['bag', 'add', 'survivors', 'from n3', '--api', n3.api])).code).toBe(0);
    expect((await cli(['ns', 'set', 'nickname', 'three', '--api', n3.api])).code).toBe(0);
    const n3Key = ((await api(n3, '/health')) as { publicKey: string }).publicKey;
    expect((await cli(['bag', 'search', 'survivors', '--local', '--api', n1.api])).stdout).toMatch(/^from n3\t/);
    expect((await cli(['ns', 'get', n3Key, 'nickname', '--local', '--api', n1.api])).stdout).toMatch(/^three\t\(seq 0\)/);
    await new Promise((r) => setTimeout(r, 1_500)); // the routing table is saved 1 s after it changes
    n1.proc.kill('SIGKILL');
    expect(await n1.exited).toBe('SIGKILL');

    const port = n1.address.split(':')[1]!;
    const again = await start(['--port', port, '--state', join(stateRoot, 'n1')]); // no --bootstrap
    expect(again.mid).toBe(n1.mid);
    const health = await api(again, '/health');
    expect(health.contacts).toBeGreaterThanOrEqual(2);
    for (const [key, value] of [['survivor', 'still here'], ['for-others', 'kept for n3'], ['greeting', 'hello world']]) {
      const local = await cli(['get', key!, '--local', '--api', again.api]);
      expect(local.code, key).toBe(0);
      expect(local.stdout.startsWith(`${value}\t`), `${key}: ${local.stdout}`).toBe(true);
    }
    const bag = await cli(['bag', 'search', 'survivors', '--local', '--api', again.api]);
    expect(bag.stdout, 'bag entry after kill -9').toMatch(/^from n3\t/);
    const ns = await cli(['ns', 'get', n3Key, 'nickname', '--local', '--api', again.api]);
    expect(ns.stdout, 'namespace record after kill -9').toMatch(/^three\t\(seq 0\)/);
    const network = await cli(['get', 'survivor', '--api', again.api]);
    expect(network.stdout).toMatch(/^still here\t\(signed by /);
    n1 = again;
  });
});

describe('npx peerlay', () => {
  it('runs the built CLI from the repository', async () => {
    const { stdout } = await exec('npx', ['--no-install', 'peerlay', '--version'], { cwd: ROOT });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
