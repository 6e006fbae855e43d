/** Helpers of the CLI tests: in-process nodes, raw HTTP calls, spawned `peerlay` processes. */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { CommandIo } from '../../cli/commands/command.js';
import { addressKey } from '../../framework/index.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import type { PeerlayNodeOptions } from '../../cli/node/peerlay-node.js';

/** Repository root. */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The built CLI. */
export const CLI = `${ROOT}dist/cli/main.js`;

/** Polls `check` every 50 ms until it returns true or `ms` pass. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `n` in-process nodes on 127.0.0.1 (free ports), each joining through the first. */
export async function startNodes(n: number, options: PeerlayNodeOptions = {}): Promise<PeerlayNode[]> {
  const nodes: PeerlayNode[] = [];
  for (let i = 0; i < n; i++) {
    const bootstrap = i === 0 ? [] : [nodes[0]!.address];
    nodes.push(await PeerlayNode.start({ port: 0, http: { host: '127.0.0.1', port: 0 }, bootstrap, ...options }));
  }
  await waitFor(() => nodes.every((node) => node.dht.routingTable.size >= n - 1), 10_000, 'the nodes to know each other');
  return nodes;
}

/** The answer of {@link call}. */
export interface CallResult {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

/** One HTTP request to a node's API. `body` as a string is sent raw; anything else as JSON. */
export async function call(
  node: PeerlayNode,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<CallResult> {
  const url = `http://${addressKey(node.apiAddress!)}${path}`;
  const hasBody = body !== undefined;
  const response = await fetch(url, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers },
    body: hasBody ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
  });
  return { status: response.status, body: (await response.json()) as CallResult['body'] };
}

/** A spawned `peerlay node` and what it printed. */
export interface SpawnedNode {
  proc: ChildProcess;
  mid: string;
  address: string;
  api: string;
  lines: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/** Spawns `node dist/cli/main.js node ...args` and waits for it to print its API address. */
export async function spawnNode(args: readonly string[]): Promise<SpawnedNode> {
  const proc = spawn(process.execPath, [CLI, 'node', '--port', '0', '--http', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const rl = createInterface({ input: proc.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    rl.on('line', (line) => {
      lines.push(line);
      if (line.startsWith('http ')) resolve();
    });
    void exited.then((code) => reject(new Error(`peerlay node exited (${code}) before it was ready: ${stderr}`)));
    setTimeout(() => reject(new Error(`peerlay node not ready in 15 s: ${lines.join('\n')} ${stderr}`)), 15_000).unref();
  });
  await ready;
  const field = (name: string): string => lines.find((l) => l.startsWith(`${name} `))!.slice(name.length + 1);
  return { proc, mid: field('mid'), address: field('address'), api: field('http'), lines, exited };
}

/** What a `peerlay` run printed and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args` to completion. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, PEERLAY_API: '', PEERLAY_TOKEN: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    proc.stdin.end(stdin ?? '');
  });
}

/** A {@link CommandIo} that captures what a command run in this process writes. */
export function captureIo(env: Record<string, string> = {}): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  return {
    stdout: sink((t) => (out += t)),
    stderr: sink((t) => (err += t)),
    env,
    readStdin: async () => new Uint8Array(),
    out: () => out,
    err: () => err,
  };
}

/** A writable stream that keeps what is written to it (read with `text()`), for commands' output. */
export function collectingStream(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}
