/**
 * A client of a running node's HTTP API, used by `peerlay put/get/connect/bag/ns/status`.
 * @module
 */
import { ApiError, NodeUnreachableError, UsageError } from '../errors.js';

/** The API a client talks to when neither `--api` nor `PEERLAY_API` says otherwise. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8091';
/** How long a client waits for an answer, in ms (longer than the node's own 30 s cap per request). */
export const CLIENT_TIMEOUT_MS = 40_000;

/** Options of an {@link ApiClient}. */
export interface ApiClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8091`. */
  readonly url: string;
  /** The API token, sent as `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** How long to wait for each answer, in ms. @default CLIENT_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/**
 * Talks JSON to a node's HTTP API.
 *
 * @example
 * ```ts
 * const api = new ApiClient({ url: 'http://127.0.0.1:8091' });
 * const health = await api.request<{ mid: string }>('GET', '/health');
 * ```
 */
export class ApiClient {
  private readonly base: URL;

  /**
   * @param options see {@link ApiClientOptions}.
   * @throws {@link UsageError} when the URL is not an `http://` URL.
   */
  constructor(private readonly options: ApiClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (cause) {
      throw new UsageError(`--api must be a URL such as ${DEFAULT_API_URL}, got ${JSON.stringify(options.url)}`, { cause });
    }
    if (base.protocol !== 'http:') throw new UsageError(`--api must be an http:// URL, got ${JSON.stringify(options.url)}`);
    this.base = base;
  }

  /**
   * Sends one request.
   * @param method the HTTP method.
   * @param path the path, with every segment already percent-encoded (see {@link segment}).
   * @param body a JSON body, if any.
   * @returns the parsed JSON answer.
   * @throws {@link NodeUnreachableError} when the node cannot be reached or does not answer in time;
   *   {@link ApiError} when it answers with an error.
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? CLIENT_TIMEOUT_MS),
      });
    } catch (cause) {
      const inner = (cause as { cause?: { code?: string; message?: string } }).cause;
      const why = inner?.code ?? inner?.message ?? (cause as Error).message;
      throw new NodeUnreachableError(`cannot reach the node's API at ${this.base.origin} (${why}); is \`peerlay node\` running?`, { cause });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length === 0 ? {} : JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'bad-response', `the node answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
      const code = typeof error?.code === 'string' ? error.code : `http-${response.status}`;
      const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
      throw new ApiError(response.status, code, message);
    }
    return parsed as T;
  }
}

/** Percent-encodes one path segment (a key, a value, a mid). */
export function segment(text: string): string {
  return encodeURIComponent(text);
}
