/**
 * A small router for the JSON HTTP API: routes are a method and a path pattern whose `:name` segments are
 * captured (percent-decoded), and a handler returning the JSON body (or a text body with its content type).
 * @module
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

/** What a route handler gets. */
export interface RequestContext {
  /** The captured path segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The query string. */
  readonly query: URLSearchParams;
  /** Fires when the client went away or the request ran out of time; pass it to network calls. */
  readonly signal: AbortSignal;
  /**
   * The JSON body, which must be an object.
   * @throws {@link HttpError} 400 `bad-json`, 413 `too-large`, 415 `bad-content-type`.
   */
  json(): Promise<Record<string, unknown>>;
}

/** A handler's answer: a status (default 200) and a JSON-ready body, or a text body with its content type. */
export interface RouteResponse {
  /** HTTP status. @default 200 */
  readonly status?: number;
  /** The JSON body; with {@link RouteResponse.contentType}, the text sent as it is. */
  readonly body: unknown;
  /** Sends `body` (a string) as it is with this `Content-Type`, e.g. Prometheus text. @default JSON */
  readonly contentType?: string;
  /** Extra response headers (e.g. a web page's `Content-Security-Policy`). @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Streams the response instead of sending `body` (server-sent events): called once with the response,
   * whose headers it writes, and a signal that fires when the client goes away. The request timeout does
   * not apply to it.
   */
  readonly stream?: (res: ServerResponse, closed: AbortSignal) => void;
}

/**
 * Who may call a route when the server has a token: `api` needs `Authorization: Bearer <token>`; `page`
 * (a web page or its event stream, which a browser opens without headers) takes `?token=<token>` too;
 * `public` needs none (static files holding no node data).
 */
export type RouteAccess = 'api' | 'page' | 'public';

/** One route of the API. */
export interface Route {
  /** HTTP method. */
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path pattern, e.g. `/dht/values/:key`. */
  readonly path: string;
  /** Who may call it when the server has a token. @default 'api' */
  readonly access?: RouteAccess;
  /** Produces the response; throws {@link HttpError}s (anything else becomes one). */
  readonly handler: (ctx: RequestContext) => Promise<RouteResponse> | RouteResponse;
}

/** A matched route and its captured parameters. */
export interface RouteMatch {
  /** The route. */
  readonly route: Route;
  /** The captured parameters. */
  readonly params: Record<string, string>;
}

/**
 * Finds the route for a request.
 * @param routes the API's routes.
 * @param method the request method.
 * @param pathname the request path (still percent-encoded).
 * @returns the match.
 * @throws {@link HttpError} 404 `unknown-route` when no pattern matches, 405 `method-not-allowed` when
 *   one matches for other methods, 400 `bad-path` when a segment is not valid percent-encoding.
 */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch {
  const segments = pathname.split('/').slice(1);
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.path, segments);
    if (params === undefined) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length > 0) {
    throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on ${pathname}; use ${allowed.join(' or ')}`);
  }
  throw new HttpError(404, 'unknown-route', `no route ${method} ${pathname} (see GET /health for the API's routes)`);
}

function matchPattern(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
      } catch (cause) {
        throw new HttpError(400, 'bad-path', `path segment ${JSON.stringify(segment)} is not valid percent-encoding`, { cause });
      }
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}
