/**
 * `GET /events`: the lookups of one node (or of every node of the demo) as server-sent events, so a web page
 * can draw them as they happen. One `data: <json>` line per lookup event (see `communities/dht/lookup-events.ts`)
 * with the node that ran it added as `node`; a comment every {@link EVENT_STREAM_KEEPALIVE_MS} keeps proxies and
 * the browser from closing an idle stream. A client that reads too slowly loses events rather than growing
 * the node's memory: past {@link EVENT_STREAM_MAX_BUFFERED_BYTES} unsent, events are dropped and the next one
 * sent is preceded by `{ "type": "dropped", "count": n }`.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { LookupListener } from '../../../communities/dht/lookup-events.js';
import { HttpError } from '../errors.js';
import type { Route } from '../router.js';

/** A comment is sent on an idle stream this often, in ms. */
export const EVENT_STREAM_KEEPALIVE_MS = 15_000;
/** Events are dropped for a client while this many bytes wait to be sent to it. */
export const EVENT_STREAM_MAX_BUFFERED_BYTES = 256 * 1024;
/** Event streams open at once; more are refused with 503. */
export const MAX_EVENT_STREAMS = 16;
/** How long a browser waits before reconnecting a dropped stream, in ms (sent as the stream's `retry:`). */
const RECONNECT_MS = 2_000;

/** Whatever emits a node's lookup events: a `DHTCommunity` (`dht.on('lookup', listener)`). */
export interface LookupEmitter {
  /** Adds a listener. */
  on(event: 'lookup', listener: LookupListener): unknown;
  /** Removes it. */
  off(event: 'lookup', listener: LookupListener): unknown;
}

/** One node whose lookups are streamed. */
export interface LookupSource {
  /** The node's mid (hex), sent with each of its events as `node`. */
  readonly mid: string;
  /** Its DHT. */
  readonly dht: LookupEmitter;
}

/** Options of {@link eventRoutes}. */
export interface EventStreamOptions {
  /** See {@link EVENT_STREAM_KEEPALIVE_MS}. @default EVENT_STREAM_KEEPALIVE_MS */
  readonly keepaliveMs?: number;
  /** See {@link EVENT_STREAM_MAX_BUFFERED_BYTES}. @default EVENT_STREAM_MAX_BUFFERED_BYTES */
  readonly maxBufferedBytes?: number;
  /** See {@link MAX_EVENT_STREAMS}. @default MAX_EVENT_STREAMS */
  readonly maxStreams?: number;
}

/**
 * The event stream route, `GET /events` (a `page` route: with a token, `?token=` is accepted, as a
 * browser's `EventSource` cannot send headers).
 * @param sources the nodes whose lookups are streamed.
 * @param options limits, see {@link EventStreamOptions}.
 */
export function eventRoutes(sources: readonly LookupSource[], options: EventStreamOptions = {}): Route[] {
  let open = 0;
  const maxStreams = options.maxStreams ?? MAX_EVENT_STREAMS;
  return [
    {
      method: 'GET',
      path: '/events',
      access: 'page',
      handler: () => {
        if (open >= maxStreams) throw new HttpError(503, 'too-many-streams', `${open} event streams are open; at most ${maxStreams} are served`);
        open++;
        return { body: null, stream: (res, closed) => streamLookups(res, closed, sources, options, () => open--) };
      },
    },
  ];
}

function streamLookups(res: ServerResponse, closed: AbortSignal, sources: readonly LookupSource[], options: EventStreamOptions, onEnd: () => void): void {
  const maxBuffered = options.maxBufferedBytes ?? EVENT_STREAM_MAX_BUFFERED_BYTES;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${RECONNECT_MS}\n: peerlay lookup events\n\n`);
  let dropped = 0;
  const writable = (): boolean => !res.destroyed && !res.writableEnded;
  const removers = sources.map((source) => {
    const listener: LookupListener = (event) => {
      if (!writable()) return;
      if (res.writableLength > maxBuffered) {
        dropped++;
        return;
      }
      if (dropped > 0) {
        res.write(`data: ${JSON.stringify({ type: 'dropped', count: dropped })}\n\n`);
        dropped = 0;
      }
      res.write(`data: ${JSON.stringify({ node: source.mid, ...event })}\n\n`);
    };
    source.dht.on('lookup', listener);
    return () => source.dht.off('lookup', listener);
  });
  const keepalive = setInterval(() => {
    if (writable() && res.writableLength <= maxBuffered) res.write(': keepalive\n\n');
  }, options.keepaliveMs ?? EVENT_STREAM_KEEPALIVE_MS);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    for (const remove of removers) remove();
    onEnd();
  };
  res.once('error', end);
  if (closed.aborted) end();
  else closed.addEventListener('abort', end, { once: true });
}
