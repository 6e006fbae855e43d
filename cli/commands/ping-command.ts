/**
 * `peerlay ping MID|HOST:PORT`: pings a peer by its mid or a node by its address through a running node's
 * HTTP API (`GET /dht/ping/{target}`), once per `--count`, and prints each reply's round-trip time.
 * @module
 */
import { isIP } from 'node:net';
import { segment } from '../client/api-client.js';
import { ApiError, EXIT, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { durationOption, intOption, println } from './command.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFor, printJson } from './client-common.js';

/** Most pings one `peerlay ping` sends. */
export const MAX_PING_COUNT = 1_000;

/** One answer of `GET /dht/ping/{target}`. */
interface PingReply {
  mid: string;
  address: string;
  rttMs: number;
}

/**
 * True for a ping target the API accepts: a mid (40 hex digits), `HOST:PORT` or `[IPV6]:PORT` with a
 * literal IP.
 */
function isPingTarget(text: string): boolean {
  if (/^[0-9a-fA-F]{40}$/.test(text)) return true;
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  return m !== null && isIP(m[1]!) !== 0 && Number(m[2]) <= 65_535;
}

/** A time in ms to a tenth of a ms, for people. */
function ms(value: number): number {
  return Math.round(value * 10) / 10;
}

/** `peerlay ping TARGET`. */
export const pingCommand: Command = {
  path: ['ping'],
  summary: 'ping a peer by its mid or a node by its address, with the round-trip time',
  help: `Usage: peerlay ping MID|HOST:PORT [--count N] [--timeout DURATION] [client options]

Pings the peer whose mid (40 hex digits) is MID, found and verified through the DHT first as
\`peerlay connect\` does, or the node at HOST:PORT; prints one line per reply with its round-trip time, then
a summary. The pings are sent one after the other.
  --count N      send N pings (default 1, at most ${MAX_PING_COUNT})
  --timeout D    give up finding MID after D, e.g. 10s, 1500ms (default 10s, at most 60s)${CLIENT_HELP}

Exit: 0 at least one reply, 1 no reply, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, count: { type: 'string' }, timeout: { type: 'string' } },
  positionals: [1, 1],
  async run(values, [target], io) {
    if (!isPingTarget(target!)) throw new UsageError(`the target must be a mid (40 hex digits) or HOST:PORT, got ${JSON.stringify(target)}`);
    const count = intOption(values, 'count', 1, 1, MAX_PING_COUNT)!;
    const timeoutMs = durationOption(values, 'timeout', undefined, 100, 60_000);
    const qs = timeoutMs === undefined ? '' : `?timeoutMs=${timeoutMs}`;
    const api = clientFor(values, io);
    const replies: PingReply[] = [];
    const failures: Array<{ code: string; message: string }> = [];
    for (let i = 1; i <= count; i++) {
      try {
        const reply = await api.request<PingReply>('GET', `/dht/ping/${segment(target!)}${qs}`);
        replies.push(reply);
        if (values.json !== true) println(io.stdout, `reply from ${reply.mid} at ${reply.address}: seq=${i} rtt=${ms(reply.rttMs)} ms`);
      } catch (error) {
        // A refused target is the command line's fault: stop at once (exit 2). A node we cannot reach
        // ends the command (exit 3). Anything else is one lost ping.
        if (!(error instanceof ApiError) || error.status === 400) throw error;
        failures.push({ code: error.code, message: error.message });
        if (values.json !== true) println(io.stdout, `no reply: seq=${i} ${error.code}: ${error.message}`);
      }
    }
    const rtts = replies.map((r) => ms(r.rttMs));
    const summary = {
      sent: count,
      received: replies.length,
      ...(rtts.length === 0 ? {} : { minMs: Math.min(...rtts), avgMs: ms(rtts.reduce((a, b) => a + b, 0) / rtts.length), maxMs: Math.max(...rtts) }),
    };
    if (values.json === true) printJson(io, { target, replies, failures, ...summary });
    else {
      const loss = Math.round(((count - replies.length) / count) * 100);
      const times = summary.minMs === undefined ? '' : `, rtt min/avg/max ${summary.minMs}/${summary.avgMs}/${summary.maxMs} ms`;
      println(io.stdout, `--- ${target} ping: ${count} sent, ${replies.length} received, ${loss}% lost${times}`);
    }
    return replies.length > 0 ? EXIT.ok : EXIT.failed;
  },
};
