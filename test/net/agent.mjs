#!/usr/bin/env node
// The agent of one network namespace for `npm run test:net` (test/net/run.mjs starts it with
// `ip netns exec NS node test/net/agent.mjs`). A node's HTTP API listens on its namespace's own loopback,
// which the runner in the root namespace cannot reach, so the agent does everything that needs the
// namespace: starts and stops `peerlay node` processes there, calls their APIs, and runs UDP probes.
//
// Protocol: one JSON object per line. Request `{ id, op, ...args }` on stdin, answer
// `{ id, ok: true, result }` or `{ id, ok: false, error }` on stdout. When stdin closes (the runner ended,
// even by a crash) the agent kills every node it started and exits.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = process.env.PLNET_CLI || resolve(ROOT, 'dist/cli/main.js');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 3_000;
const HTTP_SLACK_MS = 5_000;
const POLL_MS = 50;

/** @type {Map<number, { child: import('node:child_process').ChildProcess, http: string, mid: string, stderr: string[], startedAt: number }>} */
const nodes = new Map();
/** @type {Set<import('node:dgram').Socket>} */
const sockets = new Set();
let nextNode = 1;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function node(id) {
  const n = nodes.get(id);
  if (n === undefined) throw new Error(`no node ${id} in this namespace`);
  return n;
}

/** Starts `peerlay node ARGS --http 127.0.0.1:0` and resolves once it printed its mid, address and API. */
function start({ args }) {
  return new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, [CLI, 'node', ...args, '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const id = nextNode++;
    const info = { child, http: '', mid: '', address: '', stderr: [], startedAt: 0 };
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node did not start within ${START_TIMEOUT_MS} ms: ${info.stderr.join('').slice(-400)}`));
    }, START_TIMEOUT_MS);
    child.stderr.on('data', (d) => {
      info.stderr.push(String(d));
      if (info.stderr.length > 2_000) info.stderr.shift();
    });
    child.stdout.on('data', (d) => {
      out += String(d);
      for (const line of out.split('\n')) {
        const [k, v] = line.trim().split(/\s+/, 2);
        if (k === 'mid') info.mid = v;
        if (k === 'address') info.address = v;
        if (k === 'http') info.http = v;
      }
      if (info.mid && info.http && info.address && info.startedAt === 0) {
        clearTimeout(timer);
        info.startedAt = performance.now();
        nodes.set(id, info);
        resolveStart({ node: id, mid: info.mid, address: info.address, pid: child.pid });
      }
    });
    child.on('exit', (code, signal) => {
      nodes.delete(id);
      if (info.startedAt === 0) {
        clearTimeout(timer);
        reject(new Error(`node exited (${code ?? signal}) before starting: ${info.stderr.join('').slice(-400)}`));
      }
    });
  });
}

async function stop({ node: id }) {
  const n = nodes.get(id);
  if (n === undefined) return { stopped: false };
  const exited = new Promise((r) => n.child.once('exit', r));
  n.child.kill('SIGTERM');
  const t = setTimeout(() => n.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(t);
  return { stopped: true };
}

/** One API call: `{ status, body, ms }`; a network error or timeout is `{ status: 0, error }`. */
async function http({ node: id, method = 'GET', path, body, timeoutMs = 15_000 }) {
  const n = node(id);
  const t0 = performance.now();
  try {
    const res = await fetch(`${n.http}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs + HTTP_SLACK_MS),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, ms: Math.round(performance.now() - t0) };
  } catch (error) {
    return { status: 0, error: String(error?.message ?? error), ms: Math.round(performance.now() - t0) };
  }
}

/** Polls GET /health until `contacts > 0`: `{ ms }` since the node printed its identity, or `{ ms: null }`. */
async function waitContacts({ node: id, timeoutMs }) {
  const n = node(id);
  const deadline = n.startedAt + timeoutMs;
  let last = null;
  while (performance.now() < deadline) {
    const r = await http({ node: id, path: '/health', timeoutMs: 1_000 });
    if (r.status === 200) {
      last = r.body;
      if (r.body.contacts > 0) return { ms: Math.round(performance.now() - n.startedAt), health: r.body };
    }
    await sleep(POLL_MS);
  }
  return { ms: null, health: last };
}

/** A UDP server answering each datagram with the sender's address as "ip:port". */
function echo({ host, port }) {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    sockets.add(s);
    s.on('message', (_m, from) => s.send(`${from.address}:${from.port}`, from.port, from.address));
    s.once('error', rej);
    s.bind(port, host, () => res({ listening: `${host}:${port}` }));
  });
}

/** From one socket bound to host:port, asks each echo server in `targets` what address it saw. */
function probe({ host, port, targets, timeoutMs = 2_000 }) {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    const seen = {};
    const done = () => {
      s.close();
      res({ seen });
    };
    const timer = setTimeout(done, timeoutMs);
    s.on('message', (m, from) => {
      seen[`${from.address}:${from.port}`] = String(m);
      if (Object.keys(seen).length === targets.length) {
        clearTimeout(timer);
        done();
      }
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    s.bind(port, host, () => {
      for (const t of targets) {
        const [ip, p] = t.split(':');
        for (let i = 0; i < 3; i++) s.send('probe', Number(p), ip);
      }
    });
  });
}

/** The last `chars` characters (default 2,000) the node wrote to stderr (its `--verbose` log). */
function stderrTail({ node: id, chars = 2_000 }) {
  return { stderr: node(id).stderr.join('').slice(-chars) };
}

const OPS = { start, stop, http, waitContacts, echo, probe, stderrTail };

let shuttingDown = false;
async function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const s of sockets) s.close();
  sockets.clear();
  await Promise.all([...nodes.keys()].map((id) => stop({ node: id })));
  process.exit(0);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  if (msg.op === 'exit') return void shutdown();
  const op = OPS[msg.op];
  try {
    if (op === undefined) throw new Error(`unknown op ${msg.op}`);
    send({ id: msg.id, ok: true, result: await op(msg) });
  } catch (error) {
    send({ id: msg.id, ok: false, error: String(error?.message ?? error) });
  }
});
rl.on('close', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
send({ id: 0, ok: true, result: { ready: true, pid: process.pid } });
