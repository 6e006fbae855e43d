/**
 * Immutable values through `peerlay node` (in-process `PeerlayNode`s over real UDP on 127.0.0.1): the HTTP
 * routes `POST /dht/immutable` and `GET /dht/immutable/{key}`, the commands `peerlay put --immutable
 * FILE|-` and `peerlay get imm:…`, and persistence in the state database.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CommandIo } from '../../cli/commands/command.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { addressKey } from '../../framework/index.js';
import { chunkValue, formatImmutableKey } from '../../communities/immutable/index.js';
import { call, startNodes } from './helpers.js';

let nodes: PeerlayNode[] = [];
let dir = '';

/** An io that keeps stdout as bytes, and serves `stdin` to a `-` argument. */
function binaryIo(node: PeerlayNode, stdin = new Uint8Array()): CommandIo & { out: () => Buffer; err: () => string } {
  const out: Buffer[] = [];
  let err = '';
  return {
    stdout: new Writable({ write: (chunk: Buffer | string, _e, done) => void (out.push(Buffer.from(chunk)), done()) }),
    stderr: new Writable({ write: (chunk: Buffer | string, _e, done) => void ((err += chunk.toString()), done()) }),
    env: { PEERLAY_API: `http://${addressKey(node.apiAddress!)}` },
    readStdin: async () => stdin,
    out: () => Buffer.concat(out),
    err: () => err,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerlay-immutable-'));
  nodes = await startNodes(4);
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('immutable values through the HTTP API', () => {
  it('POST /dht/immutable stores a value; GET /dht/immutable/{key} on another node returns it, checked', async () => {
    const value = randomBytes(8_192);
    const put = await call(nodes[1]!, 'POST', '/dht/immutable', { value: value.toString('base64url'), encoding: 'base64url', ttlMs: 600_000 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ key: formatImmutableKey(chunkValue(value).key), chunks: 16 });
    expect(put.body.stored).toBe(4);
    const got = await call(nodes[2]!, 'GET', `/dht/immutable/${put.body.key as string}?encoding=hex`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ key: put.body.key, value: value.toString('hex'), encoding: 'hex', bytes: 8_192 });
    const text = await call(nodes[3]!, 'POST', '/dht/immutable', { value: 'hello, immutable' });
    expect((await call(nodes[0]!, 'GET', `/dht/immutable/${text.body.key as string}`)).body).toMatchObject({ value: 'hello, immutable', encoding: 'utf8', bytes: 16 });
    // Every node of 4 (k = 8) holds both values: 16 + 1 chunks, in the metrics of the record type.
    const metrics = await (await fetch(`http://${addressKey(nodes[2]!.apiAddress!)}/metrics`)).text();
    expect(metrics).toMatch(/^peerlay_records_stored\{type="immutable"\} 17$/m);
  });

  it('refuses bad input with the error vocabulary: 413 too large, 400 bad key, 404 nothing under a key', async () => {
    const big = await call(nodes[0]!, 'POST', '/dht/immutable', { value: randomBytes(8_193).toString('base64url'), encoding: 'base64url' });
    expect(big.status).toBe(413);
    expect(big.body.error?.code).toBe('too-large');
    const bad = await call(nodes[0]!, 'GET', '/dht/immutable/imm:1234');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('bad-key');
    const missing = await call(nodes[0]!, 'GET', `/dht/immutable/${formatImmutableKey(chunkValue(randomBytes(10)).key)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('not-found');
  });
});

describe('peerlay put --immutable and peerlay get imm:…', () => {
  it('stores a file and prints its key; get writes the same bytes', async () => {
    const value = randomBytes(5_000);
    const file = join(dir, 'value.bin');
    writeFileSync(file, value);
    const putIo = binaryIo(nodes[1]!);
    expect(await main(['put', '--immutable', file], putIo)).toBe(0);
    const key = putIo.out().toString().trim();
    expect(key).toBe(formatImmutableKey(chunkValue(value).key));
    const getIo = binaryIo(nodes[3]!);
    expect(await main(['get', key], getIo)).toBe(0);
    expect(getIo.out()).toEqual(value);
    const hexIo = binaryIo(nodes[0]!);
    expect(await main(['get', key, '--encoding', 'hex'], hexIo)).toBe(0);
    expect(hexIo.out().toString()).toBe(`${value.toString('hex')}\n`);
  });

  it('reads standard input for -; --json prints the API answer', async () => {
    const putIo = binaryIo(nodes[2]!, new TextEncoder().encode('from stdin'));
    expect(await main(['put', '-', '--immutable', '--json'], putIo)).toBe(0);
    const answer = JSON.parse(putIo.out().toString()) as { key: string; chunks: number };
    expect(answer.chunks).toBe(1);
    const getIo = binaryIo(nodes[0]!);
    expect(await main(['get', answer.key], getIo)).toBe(0);
    expect(getIo.out().toString()).toBe('from stdin');
  });

  it('usage errors exit 2; a key nobody stored exits 1; normal keys keep their get', async () => {
    const io = binaryIo(nodes[0]!);
    expect(await main(['put', '--immutable', join(dir, 'missing.bin')], io)).toBe(2);
    expect(await main(['put', '--immutable', 'a', 'b'], io)).toBe(2);
    expect(await main(['put', '--immutable', '--sign', '-'], io)).toBe(2);
    writeFileSync(join(dir, 'big.bin'), randomBytes(8_193));
    expect(await main(['put', '--immutable', join(dir, 'big.bin')], io)).toBe(2);
    expect(await main(['put', 'only-key'], io)).toBe(2);
    expect(await main(['get', formatImmutableKey(chunkValue(randomBytes(3)).key), '--limit', '5'], io)).toBe(2);
    expect(await main(['get', formatImmutableKey(chunkValue(randomBytes(3)).key), '--encoding', 'latin1'], io)).toBe(2);
    expect(await main(['get', formatImmutableKey(chunkValue(randomBytes(3)).key)], io)).toBe(1);
    expect(io.err()).toMatch(/no value found under imm:/);
    const normal = binaryIo(nodes[1]!);
    expect(await main(['put', 'greeting', 'hello world'], normal)).toBe(0);
    const read = binaryIo(nodes[2]!);
    expect(await main(['get', 'greeting'], read)).toBe(0);
    expect(read.out().toString()).toMatch(/^hello world\t\(unsigned/);
  });
});

describe('immutable values in the state database', () => {
  it('a node restarted on its state directory still holds its value', async () => {
    const stateDir = join(dir, 'state');
    const first = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, stateDir });
    const put = await call(first, 'POST', '/dht/immutable', { value: 'kept on disk '.repeat(100) });
    expect(put.body.stored).toBe(1); // alone: on this node only
    await first.stop();
    const again = await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, stateDir });
    try {
      expect(again.immutable.chunks.store.size).toBe(3);
      const got = await call(again, 'GET', `/dht/immutable/${put.body.key as string}?local=true`);
      expect(got.body.value).toBe('kept on disk '.repeat(100));
    } finally {
      await again.stop();
    }
  });
});
