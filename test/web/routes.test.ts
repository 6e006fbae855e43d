/**
 * The web routes without a browser: the page and its files (content types, nothing outside `web/`), the
 * event stream (format, keepalive, cleanup, bounded buffering, stream cap) and the token rules of both.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import { addressKey } from '../../framework/index.js';
import type { LookupEvent, LookupListener } from '../../communities/dht/lookup-events.js';
import { ApiServer } from '../../cli/http/server.js';
import type { Route } from '../../cli/http/router.js';
import { eventRoutes } from '../../cli/http/routes/events.js';
import { webDir, webRoutes } from '../../cli/http/routes/web.js';
import { ROOT, waitFor } from '../cli/helpers.js';

const TOKEN = 'route-test-token';
const servers: ApiServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(routes: Route[], token?: string): Promise<string> {
  const server = new ApiServer(routes, { host: '127.0.0.1', port: 0, token });
  servers.push(server);
  return `http://${addressKey(await server.listen())}`;
}

/** A DHT stand-in emitting lookup events. */
class FakeDht extends EventEmitter<{ lookup: [event: LookupEvent] }> {
  emitLookup(lookupId: number, pad = ''): void {
    this.emit('lookup', { type: 'path-ended', lookupId, target: `ab${pad}`, at: 1, path: 0 });
  }
}

/** Opens an event stream and collects what it sends; `pause` leaves it unread. */
function openStream(url: string, pause = false): Promise<{ res: IncomingMessage; text: () => string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      if (pause) res.pause();
      res.on('data', (d: string) => (text += d));
      resolve({ res, text: () => text, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

const dataLines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

describe('the page and its files', () => {
  it('are served with their content types from web/, the page with a content security policy', async () => {
    const base = await serve(webRoutes('node'));
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toBe(readFileSync(`${ROOT}web/index.html`, 'utf8'));
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
    for (const [, path] of html.matchAll(/(?:src|href)="(\/web\/[^"]+)"/g)) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(types[path!.split('.').pop()!]);
    }
    const common = await fetch(`${base}/web/common.js`);
    expect(await common.text()).toBe(readFileSync(`${ROOT}web/common.js`, 'utf8'));
  });

  it('every module a page imports is in web/, and the network page is the demo view', async () => {
    const base = await serve(webRoutes('network'));
    expect(await (await fetch(`${base}/`)).text()).toContain('network-view.js');
    for (const file of ['node-view.js', 'network-view.js']) {
      for (const [, name] of readFileSync(`${ROOT}web/${file}`, 'utf8').matchAll(/from '\.\/([^']+)'/g)) {
        expect((await fetch(`${base}/web/${name}`)).status, name).toBe(200);
      }
    }
  });

  it('nothing outside web/ and no unknown file is served', async () => {
    const base = await serve(webRoutes('node'));
    for (const path of ['/web/..%2Fpackage.json', '/web/%2E%2E%2Fpackage.json', '/web/nope.js', '/web/index.ts', '/web/.hidden.js']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not-found');
    }
  });

  it('the web folder is found from the sources and from the build (dist/cli/http/routes/)', () => {
    expect(webDir()).toBe(`${ROOT}web/`);
    expect(webDir(pathToFileURL(`${ROOT}dist/cli/http/routes/web.js`).href)).toBe(`${ROOT}web/`);
    expect(() => webDir(pathToFileURL('/nowhere/a/b/c/web.js').href)).toThrow(/web folder was not found/);
  });
});

describe('GET /events', () => {
  it('streams each lookup event as one data line naming its node, with keepalive comments', async () => {
    const a = new FakeDht();
    const b = new FakeDht();
    const base = await serve(eventRoutes([{ mid: 'aa', dht: a }, { mid: 'bb', dht: b }], { keepaliveMs: 50 }));
    const stream = await openStream(`${base}/events`);
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    a.emitLookup(1);
    b.emitLookup(7);
    await waitFor(() => dataLines(stream.text()).length === 2 && stream.text().includes(': keepalive'), 5_000, 'two events and a keepalive');
    expect(dataLines(stream.text())).toEqual([
      { node: 'aa', type: 'path-ended', lookupId: 1, target: 'ab', at: 1, path: 0 },
      { node: 'bb', type: 'path-ended', lookupId: 7, target: 'ab', at: 1, path: 0 },
    ]);
    expect(stream.text()).toMatch(/^retry: \d+\n/);
    stream.close();
  });

  it('removes its listeners when the client goes away, and when the server closes', async () => {
    const dht = new FakeDht();
    const base = await serve(eventRoutes([{ mid: 'aa', dht }]));
    const first = await openStream(`${base}/events`);
    const second = await openStream(`${base}/events`);
    expect(dht.listenerCount('lookup')).toBe(2);
    first.close();
    await waitFor(() => dht.listenerCount('lookup') === 1, 5_000, 'the listener to go');
    await servers[0]!.close();
    await waitFor(() => dht.listenerCount('lookup') === 0, 5_000, 'the last listener to go');
    second.close();
  });

  it('drops events for a client that does not read instead of buffering them, then says how many', async () => {
    const dht = new FakeDht();
    const maxBufferedBytes = 16 * 1024;
    const base = await serve(eventRoutes([{ mid: 'aa', dht }], { maxBufferedBytes }));
    const stream = await openStream(`${base}/events`, true);
    const pad = 'x'.repeat(1_000);
    const sent = 20_000; // about 21 MB of events: more than the socket buffers hold
    for (let i = 1; i <= sent; i++) dht.emitLookup(i, pad);
    stream.res.resume();
    // Once the backlog drained, the next event goes through, preceded by the count of those dropped.
    let probes = 0;
    await waitFor(() => {
      dht.emitLookup(sent + ++probes);
      return dataLines(stream.text()).some((e) => (e.lookupId as number) > sent);
    }, 20_000, 'an event after the backlog');
    await waitFor(() => dataLines(stream.text()).some((e) => e.lookupId === sent + probes), 5_000, 'the last probe');
    const events = dataLines(stream.text());
    const dropped = events.filter((e) => e.type === 'dropped').reduce((n, e) => n + (e.count as number), 0);
    const delivered = events.filter((e) => e.type === 'path-ended').length;
    expect(dropped).toBeGreaterThan(sent / 2);
    expect(delivered + dropped).toBe(sent + probes);
    stream.close();
  });

  it('serves at most maxStreams clients at once (503 beyond), and frees a slot when one leaves', async () => {
    const dht = new FakeDht();
    const base = await serve(eventRoutes([{ mid: 'aa', dht }], { maxStreams: 2 }));
    const streams = [await openStream(`${base}/events`), await openStream(`${base}/events`)];
    const refused = await fetch(`${base}/events`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too-many-streams');
    streams[0]!.close();
    await waitFor(() => dht.listenerCount('lookup') === 1, 5_000, 'the slot to free');
    const again = await openStream(`${base}/events`);
    expect(again.res.statusCode).toBe(200);
    again.close();
    streams[1]!.close();
  });
});

describe('with a token', () => {
  const listener: LookupListener = () => undefined;
  it('the page and the event stream take ?token= (or the header), the files need none, the API needs the header', async () => {
    const dht = new FakeDht();
    dht.on('lookup', listener);
    const health: Route = { method: 'GET', path: '/health', handler: () => ({ body: { ok: true } }) };
    const base = await serve([...webRoutes('node'), ...eventRoutes([{ mid: 'aa', dht }]), health], TOKEN);
    const status = async (path: string, headers: Record<string, string> = {}): Promise<number> => {
      const res = await fetch(`${base}${path}`, { headers });
      await res.body?.cancel();
      return res.status;
    };
    expect(await status('/')).toBe(401);
    expect(await status('/?token=wrong')).toBe(401);
    expect(await status(`/?token=${TOKEN}`)).toBe(200);
    expect(await status('/', { authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await status('/events')).toBe(401);
    expect(await status(`/events?token=${TOKEN}`)).toBe(200);
    expect(await status('/web/style.css')).toBe(200);
    expect(await status(`/health?token=${TOKEN}`)).toBe(401);
    expect(await status('/health', { authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await status('/no-such-route')).toBe(401);
    const refused = await fetch(`${base}/`);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('?token=');
  });
});
