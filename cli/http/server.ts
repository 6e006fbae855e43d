/**
 * The node's JSON HTTP API server (node:http). Bound to loopback by default; with a token, every request
 * must carry `Authorization: Bearer <token>` (a route's `access` lets a web page and its event stream take
 * `?token=<token>` instead, and static files go without). Requests with a body must be `application/json` (so a web
 * page cannot send one without a CORS preflight, which this server never grants) and the `Host` header
 * must be an IP literal or `localhost` (so DNS rebinding cannot reach it). Bad input of any kind gets a
 * JSON error and never disturbs the node.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Address, Logger } from '../../framework/index.js';
import { silentLogger } from '../../framework/index.js';
import { HttpError, toHttpError } from './errors.js';
import type { RequestContext, Route, RouteAccess, RouteMatch } from './router.js';
import { matchRoute } from './router.js';

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;
/** A request still running after this long is aborted (its network calls are cancelled), in ms. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Most connections open at once (event streams included); more are refused until some close. */
export const MAX_CONNECTIONS = 256;
/** A client must send its whole request head within this long, in ms. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A connection with no traffic for this long is closed (event streams send a keepalive every 15 s), in ms. */
export const IDLE_TIMEOUT_MS = 30_000;

/** Options of an {@link ApiServer}. */
export interface ApiServerOptions {
  /** Address to bind (an IP literal). */
  readonly host: string;
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Diagnostics. @default silent */
  readonly logger?: Logger;
  /** Cap on a request, in ms: receiving all of it (headers and body) and the network operations it runs. @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Most connections open at once. @default MAX_CONNECTIONS */
  readonly maxConnections?: number;
  /** Time to receive a request's head, in ms. @default HEADERS_TIMEOUT_MS */
  readonly headersTimeoutMs?: number;
  /** A connection idle this long is closed, in ms. @default IDLE_TIMEOUT_MS */
  readonly idleTimeoutMs?: number;
}

/** Serves the API's routes. */
export class ApiServer {
  private readonly server: Server;
  private readonly tokenDigest: Buffer | undefined;
  private readonly logger: Logger;
  private bound: Address | undefined;

  /** @param routes the routes. @param options see {@link ApiServerOptions}. */
  constructor(
    private readonly routes: readonly Route[],
    private readonly options: ApiServerOptions,
  ) {
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    this.logger = options.logger ?? silentLogger;
    const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const headersTimeoutMs = Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeoutMs);
    // Slow or idle clients cannot hold the API: a capped number of connections, a deadline for the head
    // and for the whole request (body included), and idle connections closed.
    this.server = createServer({ headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs) }, (req, res) =>
      void this.serve(req, res),
    );
    this.server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
    this.server.setTimeout(options.idleTimeoutMs ?? IDLE_TIMEOUT_MS, (socket) => socket.destroy());
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
  }

  /** The bound address. @throws {@link HttpError} before {@link ApiServer.listen}. */
  get address(): Address {
    if (this.bound === undefined) throw new HttpError(500, 'not-listening', 'the API server is not listening');
    return this.bound;
  }

  /** Binds and starts serving. */
  async listen(): Promise<Address> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new HttpError(500, 'not-listening', 'the API server has no TCP address');
    this.bound = { host: a.address, port: a.port };
    return this.bound;
  }

  /** Stops accepting, closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const signal = AbortSignal.any([timeout, gone.signal]);
    const started = performance.now();
    let status = 500;
    try {
      this.checkHost(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      let match: RouteMatch | undefined;
      let unmatched: unknown;
      try {
        match = matchRoute(this.routes, req.method ?? 'GET', url.pathname);
      } catch (error) {
        unmatched = error;
      }
      this.checkToken(req, match?.route.access ?? 'api', url.searchParams); // before a 404, as before routes were matched
      if (match === undefined) throw unmatched;
      const { route, params } = match;
      const ctx: RequestContext = { params, query: url.searchParams, signal, json: () => readJson(req) };
      const result = await route.handler(ctx);
      status = result.status ?? 200;
      if (result.stream !== undefined) result.stream(res, gone.signal);
      else send(res, status, result.body, result.contentType, result.headers);
    } catch (error) {
      const e = toHttpError(error);
      status = e.status;
      if (e.status >= 500) this.logger.warn('API request failed', { url: loggedUrl(req), error: e.message });
      send(res, e.status, { error: { code: e.code, message: e.message } });
      if (e.status === 413) req.resume();
    } finally {
      this.logger.debug('API request', { method: req.method, url: loggedUrl(req), status, ms: Math.round(performance.now() - started) });
    }
  }

  private checkToken(req: IncomingMessage, access: RouteAccess, query: URLSearchParams): void {
    if (this.tokenDigest === undefined || access === 'public') return;
    const header = req.headers.authorization ?? '';
    const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? (access === 'page' ? (query.get('token') ?? undefined) : undefined);
    if (given === undefined || !timingSafeEqual(digest(given), this.tokenDigest)) {
      const how = access === 'page' ? 'open it with ?token=<token>' : 'send "Authorization: Bearer <token>"';
      throw new HttpError(401, 'unauthorized', `a valid API token is required: ${how}`);
    }
  }

  private checkHost(req: IncomingMessage): void {
    const host = req.headers.host ?? '';
    const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
    if (name !== 'localhost' && isIP(name) === 0) {
      throw new HttpError(403, 'bad-host', `Host ${JSON.stringify(host)} is not an IP address or localhost`);
    }
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The request's URL for the log, without a `?token=`. */
function loggedUrl(req: IncomingMessage): string {
  return (req.url ?? '/').replace(/([?&]token=)[^&]*/gi, '$1(hidden)');
}

/** Sends `body` as JSON, or as the text it is when `contentType` is given. */
function send(res: ServerResponse, status: number, body: unknown, contentType?: string, headers?: Readonly<Record<string, string>>): void {
  if (res.headersSent) return;
  const text = contentType === undefined ? `${JSON.stringify(body)}\n` : String(body);
  res.writeHead(status, {
    'content-type': contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
    ...(status === 413 ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(text);
}

/** Reads a JSON object body of at most {@link MAX_BODY_BYTES}. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, 'bad-content-type', `the body must be JSON with "Content-Type: application/json", got ${JSON.stringify(type)}`);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, 'too-large', `the body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'too-large', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new HttpError(400, 'bad-json', `the body is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'bad-json', 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
