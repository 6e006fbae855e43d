/**
 * The load generator of the `serve` benchmark, run in a worker thread (the other core): C client nodes
 * introduce themselves to the server with real requests (a signed ping, then a find that earns a store
 * token), pre-encode their requests (find requests tagged for the server or signed, or tagged pings), then
 * close their nodes and send the packets from raw sockets bound to the same ports, open-loop at a fixed
 * rate. Replies are matched to requests in order per socket (the server answers one packet at a time and
 * loopback keeps order), so a latency is only meaningful while nothing is dropped; drops are counted.
 * @module
 */
import 'reflect-metadata';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { DHTCommunity } from '../communities/dht/index.js';
import type { FindRequestBody } from '../communities/dht/index.js';
import { FindRequest, FindResponse, PingRequest, PingResponse } from '../communities/dht/messages.js';
import { OverlayHost, PREFIX_BYTES, PrivateKey, PublicKey, UdpEndpoint } from '../framework/index.js';
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
  /** Distinct packets per client (cycled). */
  readonly packetsPerClient: number;
}

/** The request kinds the bench measures. */
export type ServeKind = 'find-tagged' | 'find-signed' | 'ping-tagged';

/** One run at one rate, as the client saw it. */
export interface ServeClientResult {
  /** Requests sent. */
  readonly sent: number;
  /** Replies received. */
  readonly received: number;
  /** Seconds the sending took. */
  readonly seconds: number;
  /** Reply latency percentiles in ms (meaningful when `received === sent`). */
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
}

/** A message to the client: run at `rate` requests per second for `durationMs`, or stop. */
export type ServeClientCommand = { readonly run: number; readonly durationMs: number } | { readonly stop: true };

interface Client {
  readonly port: number;
  readonly packets: Uint8Array[];
  socket?: Socket;
  next: number;
  sentAt: number[];
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
    clients.push({ port, packets, next: 0, sentAt: [], answered: 0, latencies: [] });
  }
  for (const client of clients) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(client.port, '127.0.0.1', () => resolve());
    });
    // Only answers count: the server may also send a client its own request (a verification ping to a
    // stranger's key), which is not a reply to anything sent here.
    const answerId = setup.kind === 'ping-tagged' ? PingResponse.id : FindResponse.id;
    socket.on('message', (msg: Buffer) => {
      if (msg[PREFIX_BYTES] !== answerId) return;
      const sentAt = client.sentAt[client.answered++];
      if (sentAt !== undefined) client.latencies.push(performance.now() - sentAt);
    });
    client.socket = socket;
  }
  return clients;
}

function findBody(id: bigint, token: Uint8Array | undefined): FindRequestBody {
  return { id, target: randomTarget(), records: true, cursor: undefined, publisher: undefined, token, padding: token === undefined ? new Uint8Array(400) : undefined };
}

function randomTarget(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(20));
}

async function run(clients: Client[], server: Address, rate: number, durationMs: number): Promise<ServeClientResult> {
  for (const c of clients) {
    c.sentAt = [];
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
      const packet = client.packets[client.next++ % client.packets.length]!;
      client.sentAt.push(performance.now());
      client.socket!.send(packet, server.port, server.host);
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

if (parentPort !== null) {
  const port = parentPort;
  const setup = workerData as ServeClientSetup;
  const clients = await prepare(setup);
  port.on('message', (command: ServeClientCommand) => {
    if ('stop' in command) {
      for (const c of clients) c.socket?.close();
      port.close();
      return;
    }
    void run(clients, setup.server, command.run, command.durationMs).then((result) => port.postMessage(result));
  });
  port.postMessage('ready');
}
