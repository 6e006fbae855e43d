/**
 * The load generator of the `serve` benchmark, run in a child process (`node dist/bench/serve-client.js`,
 * forked by `bench/serve.ts`), so the server's process CPU time is the server's alone: C client nodes
 * introduce themselves to the server with real requests (a signed ping, then a find that earns a store
 * token), pre-encode their requests (find requests tagged for the server or signed, or tagged pings), then
 * close their nodes and send the packets from raw sockets bound to the same ports (connected to the
 * server), open-loop at a fixed rate. Each request of a client carries its own id, and a reply is matched to
 * the request whose id it echoes, so a latency is the latency of that request even when others were
 * dropped; a client that must send more requests in a run than it has packets cycles through them, a
 * reply then matching the latest request with its id.
 * @module
 */
import 'reflect-metadata';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { DHTCommunity } from '../communities/dht/index.js';
import type { FindRequestBody } from '../communities/dht/index.js';
import { FindRequest, FindResponse, PingRequest, PingResponse } from '../communities/dht/messages.js';
import { HEADER_BYTES, OverlayHost, PREFIX_BYTES, PrivateKey, PublicKey, UdpEndpoint } from '../framework/index.js';
import type { Address } from '../framework/index.js';

/** What the client is told at start. */
export interface ServeClientSetup {
  /** The server's UDP address. */
  readonly server: Address;
  /** The server's public key binary. */
  readonly serverKey: Uint8Array;
  /** Client sockets. */
  readonly clients: number;
  /** What the packets are. */
  readonly kind: ServeKind;
  /** Distinct packets (and request ids) per client; a run that needs more cycles through them. */
  readonly packetsPerClient: number;
  /**
   * The UDP port the requests go to, when not the server node's own: the bare echo socket of the
   * `echo-floor` kind (whose packets are made as `find-tagged` ones). @default the server's port
   */
  readonly sendPort?: number;
}

/** The request kinds the client makes packets of (`echo-floor` sends `find-tagged` packets to a bare echo socket). */
export type ServeKind = 'find-tagged' | 'find-signed' | 'ping-tagged';

/** One run at one rate, as the client saw it. */
export interface ServeClientResult {
  /** Requests sent. */
  readonly sent: number;
  /** Requests answered (each counted once, matched by the id its reply echoes). */
  readonly received: number;
  /** Seconds the sending took. */
  readonly seconds: number;
  /** Reply latency percentiles of the answered requests, in ms. */
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
}

/** A message to the client: set up, run at `rate` requests per second for `durationMs`, or stop. */
export type ServeClientCommand = { readonly setup: ServeClientSetup } | { readonly run: number; readonly durationMs: number } | { readonly stop: true };

interface Client {
  readonly port: number;
  readonly packets: Uint8Array[];
  socket?: Socket;
  next: number;
  /** Send time (performance.now()) of the request with id i + 1; NaN once answered or before it is sent. */
  sentAt: Float64Array;
  answered: number;
  latencies: number[];
}

async function prepare(setup: ServeClientSetup): Promise<Client[]> {
  const serverKey = PublicKey.fromBinary(setup.serverKey);
  const clients: Client[] = [];
  for (let c = 0; c < setup.clients; c++) {
    const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }), key: PrivateKey.generate() });
    const dht = host.register(DHTCommunity);
    await host.start();
    const packets: Uint8Array[] = [];
    if (setup.kind === 'find-signed') {
      // A stranger: the server has never heard this node; every packet is signed.
      for (let i = 0; i < setup.packetsPerClient; i++) packets.push(dht.encode(FindRequest, findBody(BigInt(i + 1), undefined), undefined));
    } else {
      await dht.ping({ address: setup.server }); // signed both ways: each side learns the other's key
      const reply = await dht.queryFind({ id: serverKey.mid, address: setup.server }, randomTarget(), true);
      for (let i = 0; i < setup.packetsPerClient; i++) {
        const id = BigInt(i + 1);
        packets.push(setup.kind === 'ping-tagged' ? dht.encode(PingRequest, { id }, serverKey) : dht.encode(FindRequest, findBody(id, reply.token), serverKey));
      }
    }
    const port = host.endpoint.address.port;
    await host.stop();
    clients.push({ port, packets, next: 0, sentAt: new Float64Array(packets.length).fill(Number.NaN), answered: 0, latencies: [] });
  }
  // Only answers count: the server may also send a client its own request (a verification ping to a
  // stranger's key), which is not a reply to anything sent here.
  const answerId = setup.kind === 'ping-tagged' ? PingResponse.id : FindResponse.id;
  for (const client of clients) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(client.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => socket.connect(setup.sendPort ?? setup.server.port, setup.server.host, resolve));
    socket.on('message', (msg: Buffer) => {
      if (msg[PREFIX_BYTES] !== answerId) return;
      const id = replyId(msg);
      const i = id - 1;
      if (i < 0 || i >= client.sentAt.length) return;
      const sentAt = client.sentAt[i]!;
      if (Number.isNaN(sentAt)) return; // a duplicate, or a late answer from an earlier run
      client.sentAt[i] = Number.NaN;
      client.answered++;
      client.latencies.push(performance.now() - sentAt);
    });
    client.socket = socket;
  }
  return clients;
}

/**
 * The request id a signed or tagged DHT answer echoes: the first field of its msgpack body (an array),
 * read in place; -1 when it is not a small unsigned integer (ids sent here are 1..2^32-1).
 */
export function replyId(packet: Uint8Array): number {
  if (packet.length < HEADER_BYTES + 2) return -1;
  const keyLength = ((packet[HEADER_BYTES]! << 8) | packet[HEADER_BYTES + 1]!) & 0x7fff;
  let at = HEADER_BYTES + 2 + keyLength;
  const head = packet[at++];
  if (head === undefined) return -1;
  if ((head & 0xf0) === 0x90) {
    // fixarray
  } else if (head === 0xdc) at += 2;
  else if (head === 0xdd) at += 4;
  else return -1;
  const tag = packet[at];
  if (tag === undefined) return -1;
  if (tag < 0x80) return tag;
  let bytes: number;
  if (tag === 0xcc) bytes = 1;
  else if (tag === 0xcd) bytes = 2;
  else if (tag === 0xce) bytes = 4;
  else return -1;
  if (at + 1 + bytes > packet.length) return -1;
  let value = 0;
  for (let j = 1; j <= bytes; j++) value = value * 256 + packet[at + j]!;
  return value;
}

function findBody(id: bigint, token: Uint8Array | undefined): FindRequestBody {
  return { id, target: randomTarget(), records: true, cursor: undefined, publisher: undefined, token, padding: token === undefined ? new Uint8Array(400) : undefined };
}

function randomTarget(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(20));
}

async function run(clients: Client[], rate: number, durationMs: number): Promise<ServeClientResult> {
  for (const c of clients) {
    c.sentAt.fill(Number.NaN);
    c.next = 0;
    c.answered = 0;
    c.latencies = [];
  }
  const total = Math.round((rate * durationMs) / 1_000);
  const started = performance.now();
  let sent = 0;
  let turn = 0;
  while (sent < total) {
    // Send what is due by now (open loop), then yield so replies are read.
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1_000) + 1);
    while (sent < due) {
      const client = clients[turn++ % clients.length]!;
      const i = client.next++ % client.packets.length;
      client.sentAt[i] = performance.now();
      client.socket!.send(client.packets[i]!);
      sent++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1_000;
  const drainUntil = performance.now() + 500;
  while (performance.now() < drainUntil && clients.reduce((n, c) => n + c.answered, 0) < sent) await new Promise((resolve) => setTimeout(resolve, 5));
  const latencies = clients.flatMap((c) => c.latencies).sort((a, b) => a - b);
  const at = (q: number): number => (latencies.length === 0 ? Number.NaN : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 100) / 100);
  return { sent, received: clients.reduce((n, c) => n + c.answered, 0), seconds, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1) };
}

if (process.send !== undefined && process.env['PEERLAY_SERVE_CLIENT'] === '1') {
  let clients: Client[] = [];
  let server: Address | undefined;
  process.on('message', (command: ServeClientCommand) => {
    if ('setup' in command) {
      server = command.setup.server;
      void prepare(command.setup).then((c) => {
        clients = c;
        process.send!('ready');
      });
    } else if ('stop' in command) {
      for (const c of clients) c.socket?.close();
      process.disconnect();
    } else if (server !== undefined) {
      void run(clients, command.run, command.durationMs).then((result) => process.send!(result));
    }
  });
}
