/**
 * The js-libp2p side of the `libp2p` comparison: N libp2p nodes (TCP on 127.0.0.1, Noise, Yamux,
 * identify, ping, kad-dht in server mode on a private protocol id, configured as a LAN DHT) in this process, each dialling 3 random
 * earlier nodes; node 0 puts K values and random other nodes get them (`contentRouting.get`, which returns
 * at the first value found). The libp2p packages are dev dependencies, imported lazily so the other
 * benchmarks never load them.
 * @module
 */
import { Recorder } from '../cli/recorder.js';
import { BenchError } from './report.js';

/** What one system's put/get scenario produced. */
export interface PutGetScenario {
  /** Options of the run. */
  readonly nodes: number;
  /** Values put by node 0. */
  readonly keys: number;
  /** Gets by random other nodes (bounded by `budgetMs`). */
  readonly gets: number;
  /** Wall seconds to start and connect the nodes. */
  readonly join_s: number;
  /** Every put and get, recorded as `put` and `get`. */
  readonly recorder: Recorder;
}

/** Options of {@link runLibp2pScenario}. */
export interface PutGetOptions {
  /** Nodes. */
  readonly nodes: number;
  /** Values put by node 0. */
  readonly keys: number;
  /** Gets of random keys by random nodes other than node 0. */
  readonly gets: number;
  /** Per-operation timeout, ms. @default 10_000 */
  readonly opTimeoutMs?: number;
  /** Gets stop after this much wall time, ms. @default 60_000 */
  readonly budgetMs?: number;
  /** Progress output. */
  readonly say: (line: string) => void;
}

const DHT_PROTOCOL = '/peerlay-bench/kad/1.0.0';
const KEY_NAMESPACE = 'bench';

/** Installs `Promise.withResolvers` (ES2024) on Node 20, which libp2p 3 uses. */
function polyfillWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/**
 * Runs the put/get scenario on js-libp2p kad-dht.
 * @throws {@link BenchError} when the libp2p packages cannot be loaded or the nodes cannot start.
 */
export async function runLibp2pScenario(o: PutGetOptions): Promise<PutGetScenario> {
  polyfillWithResolvers();
  let mods;
  try {
    mods = await Promise.all([
      import('libp2p'),
      import('@libp2p/tcp'),
      import('@chainsafe/libp2p-noise'),
      import('@chainsafe/libp2p-yamux'),
      import('@libp2p/identify'),
      import('@libp2p/ping'),
      import('@libp2p/kad-dht'),
    ]);
  } catch (error) {
    throw new BenchError(`cannot load the libp2p packages (npm install the dev dependencies): ${String(error)}`, { cause: error });
  }
  const [{ createLibp2p }, { tcp }, { noise }, { yamux }, { identify }, { ping }, { kadDHT, removePublicAddressesMapper }] = mods;
  const opTimeoutMs = o.opTimeoutMs ?? 10_000;
  const started = performance.now();
  const make = () =>
    createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT({
          protocol: DHT_PROTOCOL,
          clientMode: false,
          // the LAN-DHT setup: the default mapper drops private addresses, so 127.0.0.1 peers never
          // enter the routing table and every put/get times out
          peerInfoMapper: removePublicAddressesMapper,
          validators: { [KEY_NAMESPACE]: async () => {} },
          selectors: { [KEY_NAMESPACE]: () => 0 },
        }),
      },
    });
  const nodes: Array<Awaited<ReturnType<typeof make>>> = [];
  const rec = new Recorder();
  try {
    for (let i = 0; i < o.nodes; i++) nodes.push(await make());
    o.say(`libp2p: ${o.nodes} nodes started; connecting each to 3 random earlier ones`);
    for (let i = 1; i < nodes.length; i++) {
      const earlier = [...nodes.slice(0, i)].sort(() => Math.random() - 0.5).slice(0, 3);
      await Promise.allSettled(earlier.map((e) => nodes[i]!.dial(e.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(opTimeoutMs) })));
    }
    await waitForRoutingTables(nodes.map((n) => n.services.dht as unknown as RoutingTableHolder), Math.min(3, o.nodes - 1), 20_000);
    const joinS = (performance.now() - started) / 1_000;
    o.say(`libp2p: joined in ${joinS.toFixed(1)} s; node 0 puts ${o.keys} values`);
    const enc = new TextEncoder();
    const keys = Array.from({ length: o.keys }, (_, i) => ({ key: enc.encode(`/${KEY_NAMESPACE}/key-${i}`), value: enc.encode(`value ${i}`) }));
    for (const { key, value } of keys) {
      await rec.time('put', () => nodes[0]!.contentRouting.put(key, value, { signal: AbortSignal.timeout(opTimeoutMs) }).then(() => true));
    }
    const deadline = performance.now() + (o.budgetMs ?? 60_000);
    let gets = 0;
    for (; gets < o.gets && performance.now() < deadline; gets++) {
      const node = nodes[1 + (gets % (nodes.length - 1))]!;
      const { key, value } = keys[gets % keys.length]!;
      await rec.time(
        'get',
        () => node.contentRouting.get(key, { signal: AbortSignal.timeout(opTimeoutMs) }),
        (got) => new TextDecoder().decode(got) === new TextDecoder().decode(value),
      );
    }
    return { nodes: o.nodes, keys: o.keys, gets, join_s: Math.round(joinS * 1_000) / 1_000, recorder: rec };
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}

/** The kad-dht implementation's routing table (not part of its public `KadDHT` interface). */
interface RoutingTableHolder {
  readonly routingTable?: { readonly size: number };
}

/** Waits until every DHT's routing table holds at least `min` peers, or `maxMs` passes. */
async function waitForRoutingTables(dhts: readonly RoutingTableHolder[], min: number, maxMs: number): Promise<void> {
  const end = performance.now() + maxMs;
  const short = (d: RoutingTableHolder): boolean => (d.routingTable?.size ?? min) < min;
  while (performance.now() < end && dhts.some(short)) await new Promise((r) => setTimeout(r, 100));
}
