/**
 * The HTTP API cannot be held by slow or idle clients: connections are capped, a request head must arrive
 * within `headersTimeoutMs`, a whole request (body included) within `requestTimeoutMs`, idle connections are
 * closed, and the token is checked before a body is read. Real sockets on 127.0.0.1 with short limits.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiServer } from '../../cli/http/server.js';
import type { Route } from '../../cli/http/router.js';

const servers: ApiServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

const routes: Route[] = [
  { method: 'GET', path: '/health', handler: () => ({ body: { ok: true } }) },
  { method: 'PUT', path: '/echo', handler: async ({ json }) => ({ body: await json() }) },
];

async function serve(options: Partial<ConstructorParameters<typeof ApiServer>[1]> = {}): Promise<{ port: number }> {
  const server = new ApiServer(routes, { host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  return { port: (await server.listen()).port };
}

/** A raw TCP connection; resolves once connected, records when the server closes it. */
function open(port: number): Promise<{ socket: Socket; closed: Promise<number>; data: () => string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - started)));
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed, data: () => received }));
    socket.once('error', reject);
  });
}

async function health(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
  return res.status;
}

describe('HTTP API limits', () => {
  it('connections that never send a request are closed after the head deadline, and the API keeps answering', async () => {
    const { port } = await serve({ headersTimeoutMs: 300, maxConnections: 100 });
    const idle = await Promise.all(Array.from({ length: 40 }, () => open(port)));
    const lifetimes = await Promise.all(idle.map((c) => c.closed));
    expect(Math.max(...lifetimes)).toBeLessThan(3_000);
    expect(await health(port)).toBe(200);
  });

  it('connections over the cap are refused at once, and served again once others close', async () => {
    const { port } = await serve({ maxConnections: 10, headersTimeoutMs: 5_000 });
    const held = await Promise.all(Array.from({ length: 10 }, () => open(port)));
    const extra = await open(port);
    expect(await extra.closed).toBeLessThan(1_000); // the server dropped it: no slot
    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    expect(await health(port)).toBe(200);
  });

  it('a body that does not arrive within the request deadline ends the request', async () => {
    const { port } = await serve({ requestTimeoutMs: 600, headersTimeoutMs: 300 });
    const c = await open(port);
    c.socket.write('PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    const lifetime = await c.closed;
    expect(lifetime).toBeLessThan(3_000);
    expect(c.data()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('with a token, a request without it is refused before its body is read', async () => {
    const { port } = await serve({ token: 'a-long-enough-token' });
    const c = await open(port);
    c.socket.write('PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"a":');
    // The 401 comes although 59,995 bytes of the body never arrive.
    for (let i = 0; i < 100 && !c.data().includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.data()).toMatch(/^HTTP\/1\.1 401/);
  });
});
