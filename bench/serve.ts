/**
 * `npm run bench -- serve [--clients 32] [--duration 2000] [--rates 5000,10000,...] [--kinds find-tagged,...]`:
 * how many requests one node answers per second on one core before it drops any. The server is a real
 * node (UDP on 127.0.0.1, a DHT with 200 contacts and 100 stored values) in this process; the load comes
 * from a child process (the other core, `bench/serve-client.ts`) as open-loop streams of real packets:
 * find requests tagged for the server by clients it knows (`find-tagged`), find requests signed by
 * strangers (`find-signed`), and tagged pings (`ping-tagged`). The server's per-source rate limits are off
 * (they would cap each client at 50 packets/s; this measures capacity, not policy), and with them its
 * node-wide verification budget (by default 10,000 packets/s routed to communities, tagged ones included). `server_cpu_us` is this process's CPU time
 * (user + system, all its threads: the node, libuv, GC) per answered request; the client's time is not in
 * it. A CPU profile of the server at the highest rate of each kind says where the time goes.
 *
 * The kind `echo-floor` is the floor under all of it: the same `find-tagged` packets, from the same clients,
 * sent to a bare `node:dgram` socket in the server process that answers each with its own bytes (the
 * message id turned into a find response's, padded to the size of the node's real find answers). No
 * protocol work at all: one receive and one send per request, so its capacity is what Node's UDP can do on
 * this machine, the ceiling of any node written on it.
 * @module
 */
import 'reflect-metadata';
import { Session } from 'node:inspector/promises';
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { DHTCommunity } from '../communities/dht/index.js';
import { FindResponse } from '../communities/dht/messages.js';
import { OverlayHost, PREFIX_BYTES, PrivateKey, UdpEndpoint, utf8 } from '../framework/index.js';
import { summarizeProfile } from './cpuprofile.js';
import { table } from './measure.js';
import { BenchError } from './report.js';
import type { ProfileRow } from './cpuprofile.js';
import type { ServeClientCommand, ServeClientResult, ServeClientSetup, ServeKind } from './serve-client.js';

/** What the serve bench measures: the client's request kinds at the node, and `echo-floor` (see the module). */
export type ServeBenchKind = ServeKind | 'echo-floor';

/** Every kind {@link runServe} knows, in its default order. */
export const SERVE_KINDS: readonly ServeBenchKind[] = ['find-tagged', 'find-signed', 'ping-tagged', 'echo-floor'];

/** Options of {@link runServe}. */
export interface ServeOptions {
  /** Client sockets. @default 32 */
  readonly clients?: number;
  /** Ms per rate. @default 2000 */
  readonly durationMs?: number;
  /** Request rates to try, per second, ascending. @default 5k..40k */
  readonly rates?: readonly number[];
  /** Kinds of request. @default all of {@link SERVE_KINDS} */
  readonly kinds?: readonly ServeBenchKind[];
  /** Progress lines. @default nothing */
  readonly log?: (line: string) => void;
}

/** One rate of one kind. */
export interface ServeRow extends ServeClientResult {
  /** The request kind. */
  readonly kind: ServeBenchKind;
  /** The rate asked for, requests/s. */
  readonly rate: number;
  /** Replies per second achieved. */
  readonly replies_per_s: number;
  /** Requests that got no reply. */
  readonly dropped: number;
  /** Server CPU (this process, user + system) per answered request over the run, µs. */
  readonly server_cpu_us: number;
  /** Server CPU over the run's wall time (sending plus drain), percent of one core. */
  readonly server_busy_percent: number;
}

/** The result of the serve benchmark. */
export interface ServeResult {
  readonly benchmark: 'serve';
  readonly rows: ServeRow[];
  /** Per kind: the highest rate with no drop and p99 under 10 ms. */
  readonly capacity: Record<string, number>;
  /** Per kind: the server's busiest functions at its highest rate. */
  readonly profiles: Record<string, ProfileRow[]>;
  /** Size of the `echo-floor` answers (the mean of the node's find answers), bytes; absent without that kind. */
  readonly echo_reply_bytes?: number;
}

/** Most distinct packets a client pre-encodes per kind (a longer run cycles through them). */
const MAX_PACKETS_PER_CLIENT = 8_192;

/** The default rates tried. */
export const DEFAULT_SERVE_RATES: readonly number[] = [5_000, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000];

/** Runs the benchmark. */
export async function runServe(options: ServeOptions = {}): Promise<ServeResult> {
  const log = options.log ?? (() => undefined);
  const kinds = options.kinds ?? SERVE_KINDS;
  const rates = options.rates ?? DEFAULT_SERVE_RATES;
  const durationMs = options.durationMs ?? 2_000;
  const clients = options.clients ?? 32;
  const server = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }), rateLimit: false });
  const dht = server.register(DHTCommunity);
  await server.start();
  // Values it holds (stored while it is alone, so kept here), then a realistic table: 200 contacts, never
  // contacted during the run. Finds ask for random keys: each answer carries the 8 closest contacts.
  for (let i = 0; i < 100; i++) await dht.storeValue(`k${i}`, utf8(`v${i}`));
  for (let i = 0; i < 200; i++) dht.addContact(PrivateKey.generate().publicKey, { host: '127.0.0.1', port: 1 + i });
  const rows: ServeRow[] = [];
  const profiles: Record<string, ProfileRow[]> = {};
  let echoBytes: number | undefined;
  const session = new Session();
  session.connect();
  try {
    for (const kind of kinds) {
      if (kind === 'echo-floor') echoBytes = replyBytes(dht);
      const echo = echoBytes !== undefined && kind === 'echo-floor' ? await echoSocket(echoBytes) : undefined;
      const setup: ServeClientSetup = {
        server: server.endpoint.address,
        serverKey: server.key.publicKey.toBinary(),
        clients,
        kind: kind === 'echo-floor' ? 'find-tagged' : kind,
        sendPort: echo?.address().port,
        // Enough distinct packets (and request ids) that no client repeats one within a run, up to a bound.
        packetsPerClient: Math.min(MAX_PACKETS_PER_CLIENT, Math.max(64, Math.ceil((Math.max(...rates) * durationMs) / 1_000 / clients))),
      };
      const child = fork(new URL('./serve-client.js', import.meta.url), [], { serialization: 'advanced', env: { ...process.env, PEERLAY_SERVE_CLIENT: '1' }, execArgv: [] });
      const messages: Array<(m: unknown) => void> = [];
      child.on('message', (m) => messages.shift()?.(m));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const next = (): Promise<unknown> =>
        new Promise((resolve, reject) => {
          messages.push(resolve);
          void exited.then(() => reject(new BenchError('the serve client exited early')));
        });
      child.send({ setup } satisfies ServeClientCommand);
      await next(); // ready
      for (const [i, rate] of rates.entries()) {
        const last = i === rates.length - 1;
        if (last) {
          await session.post('Profiler.enable');
          await session.post('Profiler.start');
        }
        const cpuBefore = process.cpuUsage();
        const wallBefore = performance.now();
        child.send({ run: rate, durationMs } satisfies ServeClientCommand);
        const result = (await next()) as ServeClientResult;
        const cpu = process.cpuUsage(cpuBefore);
        const wallUs = (performance.now() - wallBefore) * 1_000;
        if (last) {
          const { profile } = await session.post('Profiler.stop');
          profiles[kind] = summarizeProfile(profile as Parameters<typeof summarizeProfile>[0], 12).functions;
        }
        const row: ServeRow = {
          kind,
          rate,
          ...result,
          replies_per_s: Math.round(result.received / result.seconds),
          dropped: result.sent - result.received,
          server_cpu_us: Math.round(((cpu.user + cpu.system) / Math.max(1, result.received)) * 10) / 10,
          server_busy_percent: Math.round(((cpu.user + cpu.system) / wallUs) * 100),
        };
        rows.push(row);
        log(`serve ${kind} @ ${rate}/s: ${row.replies_per_s} replies/s, dropped ${row.dropped}, p99 ${row.p99_ms} ms, ${row.server_cpu_us} µs CPU/request`);
      }
      child.send({ stop: true } satisfies ServeClientCommand);
      await exited;
      echo?.close();
    }
  } finally {
    session.disconnect();
    await server.stop();
  }
  const capacity: Record<string, number> = {};
  for (const kind of kinds) capacity[kind] = Math.max(0, ...rows.filter((r) => r.kind === kind && r.dropped === 0 && r.p99_ms < 10).map((r) => r.rate));
  return { benchmark: 'serve', rows, capacity, profiles, ...(echoBytes === undefined ? {} : { echo_reply_bytes: echoBytes }) };
}

/** Mean size of the find answers `dht` has sent (the clients' introductions include finds); 1,000 before any. */
function replyBytes(dht: DHTCommunity): number {
  const name = FindResponse.name;
  const sent = dht.stats.sent[name] ?? 0;
  return sent === 0 ? 1_000 : Math.round((dht.stats.bytesSent[name] ?? 0) / sent);
}

/** The `echo-floor` server: a bare socket on 127.0.0.1 answering each packet with its bytes as a find answer of `bytes` bytes. */
async function echoSocket(bytes: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  socket.on('message', (msg: Buffer, from) => {
    const reply = Buffer.alloc(Math.max(bytes, msg.length));
    msg.copy(reply);
    reply[PREFIX_BYTES] = FindResponse.id;
    socket.send(reply, from.port, from.address);
  });
  return socket;
}

/** `npm run bench -- serve`: parses the options, runs {@link runServe}, prints the tables, returns the JSON. */
export async function benchServe(args: { clients?: string | undefined; duration?: string | undefined; rates?: string | undefined; kinds?: string | undefined; quiet?: boolean | undefined }): Promise<ServeResult> {
  const list = (value: string | undefined, name: string): number[] | undefined => {
    if (value === undefined) return undefined;
    const out = value.split(',').map(Number);
    if (out.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new BenchError(`--${name} must be positive integers separated by commas, got ${JSON.stringify(value)}`);
    return out;
  };
  const one = (value: string | undefined, name: string): number | undefined => list(value, name)?.[0];
  const kinds = args.kinds?.split(',') as ServeBenchKind[] | undefined;
  for (const k of kinds ?? []) if (!SERVE_KINDS.includes(k)) throw new BenchError(`--kinds: unknown kind ${JSON.stringify(k)}`);
  const result = await runServe({
    clients: one(args.clients, 'clients'),
    durationMs: one(args.duration, 'duration'),
    rates: list(args.rates, 'rates'),
    kinds,
    log: args.quiet === true ? undefined : (line) => console.error(line),
  });
  console.log(table(result.rows, ['kind', 'rate', 'replies_per_s', 'dropped', 'p50_ms', 'p99_ms', 'max_ms', 'server_cpu_us', 'server_busy_percent']));
  console.log(`\ncapacity (no drop, p99 < 10 ms): ${Object.entries(result.capacity).map(([k, v]) => `${k} ${v}/s`).join(', ')}`);
  if (result.echo_reply_bytes !== undefined) console.log(`echo-floor answers: ${result.echo_reply_bytes} bytes each (the mean find answer), no protocol work`);
  for (const [kind, rows] of Object.entries(result.profiles)) {
    console.log(`\nserver profile, ${kind} at its highest rate (self time):`);
    console.log(table(rows, ['name', 'self_ms', 'percent']));
  }
  return result;
}
