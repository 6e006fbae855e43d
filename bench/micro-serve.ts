/**
 * The server side of `npm run bench -- serve` without the sockets: the node the serve bench builds (a DHT
 * with 200 contacts and 100 stored values, rate limits off), its 32 clients introduced over real UDP on
 * 127.0.0.1 as the serve bench's are (a signed ping, then a find that earns a store token), then N
 * pre-built find requests tagged for the server fed straight to its receive path, with an endpoint whose
 * `send` does nothing. What it measures is the node's own work per tagged find (decode, tag check, routing
 * table, answer, tag, encode), with no syscall, as CPU time per request (not wall time, so a loaded machine
 * taking the core away now and then does not count): the repeatable figure to cut before the serve bench.
 * Run `node --expose-gc dist/bench/micro-serve.js [--packets 20000] [--runs 7]` for min and median; `micro`
 * reports it as one row.
 * @module
 */
import 'reflect-metadata';
import { DHTCommunity } from '../communities/dht/index.js';
import type { FindRequestBody } from '../communities/dht/index.js';
import { FindRequest } from '../communities/dht/messages.js';
import { EndpointWrapper, OverlayHost, PrivateKey, SeededRandom, UdpEndpoint, utf8 } from '../framework/index.js';
import type { Address } from '../framework/index.js';

/** Options of {@link measureServeInProcess}. */
export interface ServeInProcessOptions {
  /** Tagged find requests fed per run. @default 20000 */
  readonly packets?: number;
  /** Runs; the min and the median are reported. @default 7 */
  readonly runs?: number;
  /** Clients the requests come from. @default 32 */
  readonly clients?: number;
}

/** What {@link measureServeInProcess} measured. */
export interface ServeInProcessResult {
  /** CPU time (this process, user + system, all threads) per request of the fastest run, µs. */
  readonly minUs: number;
  /** Median over the runs, µs. */
  readonly medianUs: number;
  /** Every run, µs per request, in order. */
  readonly runsUs: number[];
  /** Answers the node sent in the last run (each request must be answered: equals `packets`). */
  readonly answered: number;
}

/**
 * An endpoint around a real one whose sends can be muted: while `muted`, `send` only counts, and
 * {@link MutableEndpoint.feed} hands a packet to the listeners as if it had arrived.
 */
class MutableEndpoint extends EndpointWrapper {
  muted = false;
  mutedSends = 0;

  constructor(inner: UdpEndpoint) {
    super(inner);
    this.attach();
  }

  override send(to: Address, data: Uint8Array): void {
    if (this.muted) this.mutedSends++;
    else super.send(to, data);
  }

  feed(data: Uint8Array, from: Address): void {
    this.deliver(data, from);
  }
}

/**
 * Builds the serve bench's node and clients, then feeds `packets` tagged find requests to the node's
 * receive path `runs` times (after one warm-up run).
 */
export async function measureServeInProcess(options: ServeInProcessOptions = {}): Promise<ServeInProcessResult> {
  const total = options.packets ?? 20_000;
  const runs = options.runs ?? 7;
  const clientCount = options.clients ?? 32;
  const random = new SeededRandom(20);
  const endpoint = new MutableEndpoint(new UdpEndpoint({ host: '127.0.0.1', port: 0 }));
  const server = new OverlayHost({ endpoint, rateLimit: false, key: PrivateKey.generate(random) });
  const dht = server.register(DHTCommunity);
  await server.start();
  const hosts: OverlayHost[] = [];
  try {
    for (let i = 0; i < 100; i++) await dht.storeValue(`k${i}`, utf8(`v${i}`));
    for (let i = 0; i < 200; i++) dht.addContact(PrivateKey.generate(random).publicKey, { host: '127.0.0.1', port: 1 + i });
    const serverKey = server.key.publicKey;
    const feeds: Array<{ packet: Uint8Array; from: Address }> = [];
    const perClient = Math.ceil(total / clientCount);
    const perClientPackets: Array<{ packets: Uint8Array[]; from: Address }> = [];
    for (let c = 0; c < clientCount; c++) {
      const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }), key: PrivateKey.generate(random) });
      hosts.push(host);
      const client = host.register(DHTCommunity);
      await host.start();
      await client.ping({ address: server.endpoint.address });
      const reply = await client.queryFind({ id: serverKey.mid, address: server.endpoint.address }, random.bytes(20), true);
      const packets: Uint8Array[] = [];
      for (let i = 0; i < perClient; i++) {
        const body: FindRequestBody = { id: BigInt(i + 1), target: random.bytes(20), records: true, cursor: undefined, publisher: undefined, token: reply.token, padding: undefined };
        packets.push(client.encode(FindRequest, body, serverKey));
      }
      perClientPackets.push({ packets, from: host.endpoint.address });
    }
    // Give the server time to finish its own verification pings of the clients.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; feeds.length < total; i++) {
      const c = perClientPackets[i % clientCount]!;
      feeds.push({ packet: c.packets[Math.floor(i / clientCount)]!, from: c.from });
    }
    endpoint.muted = true;
    const gc = (globalThis as { gc?: () => void }).gc;
    const runsUs: number[] = [];
    let answered = 0;
    for (let run = 0; run <= runs; run++) {
      gc?.();
      await new Promise((resolve) => setImmediate(resolve));
      const before = endpoint.mutedSends;
      const cpu = process.cpuUsage();
      for (const { packet, from } of feeds) endpoint.feed(packet, from);
      const used = process.cpuUsage(cpu);
      const us = (used.user + used.system) / total;
      answered = endpoint.mutedSends - before;
      if (run > 0) runsUs.push(Math.round(us * 100) / 100); // run 0 warms up
    }
    const sorted = [...runsUs].sort((a, b) => a - b);
    return { minUs: sorted[0]!, medianUs: sorted[Math.floor(sorted.length / 2)]!, runsUs, answered };
  } finally {
    endpoint.muted = false;
    for (const host of hosts) await host.stop();
    await server.stop();
  }
}

if (process.argv[1]?.endsWith('micro-serve.js') === true) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? fallback : Number(process.argv[i + 1]);
  };
  const result = await measureServeInProcess({ packets: arg('packets', 20_000), runs: arg('runs', 7) });
  console.log(JSON.stringify(result));
}
