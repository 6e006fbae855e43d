/**
 * Packet fuzzer: starts a live node (DHT + discovery) on the in-memory network, sends it mutated
 * versions of a valid packet of every message type, and checks that nothing escapes the event loop
 * (`uncaughtException`/`unhandledRejection` are counted as failures) and that the node keeps answering
 * an honest peer's ping and find every `probeEvery` packets. Prints a JSON summary and a table.
 *
 * ```text
 * npm run fuzz -- --iterations 1000000 --seed 7
 * ```
 * @module
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DHTCommunity, unsignedRecord } from '../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../communities/discovery/index.js';
import { ManualClock, MemoryNetwork, OverlayHost, PairKeys, PrivateKey, SeededRandom, utf8 } from '../framework/index.js';
import type { Address } from '../framework/index.js';
import { buildTemplates, mutate, MUTATIONS } from './fuzz-packets.js';
import { table } from './measure.js';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** Hostile packets to send. */
  iterations: number;
  /** Seed of every random choice (the run is replayable). @default 1 */
  seed?: number;
  /** Send an honest ping and find every this many packets. @default 1_000 */
  probeEvery?: number;
  /** Keep the node's per-source rate limiter on (it would ban the fuzzer within a few hundred packets). @default false */
  rateLimit?: boolean;
}

/** What a fuzz run found. */
export interface FuzzSummary {
  /** Hostile packets sent. */
  readonly iterations: number;
  /** The seed used. */
  readonly seed: number;
  /** Wall time, ms. */
  readonly elapsedMs: number;
  /** Packets sent per mutation. */
  readonly mutations: Record<string, number>;
  /** Drops by reason: the host's (`host:malformed`, ...) and each community's (`dht:bad-signature`, ...). */
  readonly drops: Record<string, number>;
  /** Packets that passed validation and reached a handler, by `community/message` (hostile ones plus the honest probes). */
  readonly handled: Record<string, number>;
  /** Handlers that threw or rejected (caught and counted by the community). */
  readonly handlerErrors: number;
  /** Packet listeners that threw (caught by the endpoint). */
  readonly listenerErrors: number;
  /** `uncaughtException` + `unhandledRejection` events during the run: must be 0. */
  readonly uncaught: number;
  /** Honest probes (a ping and a find each) sent and answered. */
  readonly probes: { readonly sent: number; readonly answered: number };
  /** True when nothing escaped and every probe was answered. */
  readonly ok: boolean;
}

/** The key the honest probe finds (the hostile templates store under another one, so they cannot crowd it). */
const PROBE_KEY = new Uint8Array(20).fill(0x42);
/** The key the hostile templates look up and store under. */
const TEMPLATE_KEY = new Uint8Array(20).fill(0x24);
const ROUTE_LATENCY_MS = 1;

/**
 * Runs the fuzzer.
 * @example
 * ```ts
 * const summary = await runFuzz({ iterations: 10_000, seed: 1 });
 * summary.ok; // true
 * ```
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const seed = options.seed ?? 1;
  const probeEvery = options.probeEvery ?? 1_000;
  const started = performance.now();
  let uncaught = 0;
  const onUncaught = (): void => void uncaught++;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: ROUTE_LATENCY_MS });
  const makeHost = async (rateLimit: boolean, bootstrap: Address[] = []): Promise<OverlayHost> => {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, bootstrap, rateLimit: rateLimit ? {} : false });
    host.register(DHTCommunity);
    host.register(DHTDiscoveryCommunity);
    await host.start();
    return host;
  };
  const target = await makeHost(options.rateLimit === true);
  const prober = await makeHost(true, [target.endpoint.address]);
  const dht = target.get(DHTCommunity);
  const disc = target.get(DHTDiscoveryCommunity);
  const probe = prober.get(DHTCommunity);
  await clock.settle(probe.bootstrap());
  dht.store.put(unsignedRecord(PROBE_KEY, utf8('probe value')), 86_400_000, { origin: 'local' });
  const attacker = network.createEndpoint();
  await attacker.open();
  const key = PrivateKey.generate(random);
  const peer = { id: target.key.publicKey.mid, address: target.endpoint.address };
  const token = dht.tokens.issue(attacker.address);
  const mac = new PairKeys(key).macFor(target.key.publicKey)!;
  const templates = buildTemplates({
    key,
    prefixes: { dht: dht.prefix, discovery: disc.prefix },
    token,
    key20: TEMPLATE_KEY,
    address: prober.endpoint.address,
    tagFor: mac,
  });
  const mutations: Record<string, number> = {};
  const handledBefore = handledCounts(target);
  let sent = 0;
  let answered = 0;
  try {
    for (let i = 1; i <= options.iterations; i++) {
      const mutation = MUTATIONS[random.int(MUTATIONS.length)]!;
      const t = templates[random.int(templates.length)]!;
      const other = templates[random.int(templates.length)]!;
      mutations[mutation] = (mutations[mutation] ?? 0) + 1;
      attacker.send(target.endpoint.address, mutate(mutation, t, other, random, key, mac));
      if (i % 100 === 0) await clock.advance(ROUTE_LATENCY_MS * 5);
      if (i % probeEvery === 0 || i === options.iterations) {
        sent++;
        const ok = await clock.settle(
          Promise.all([probe.ping(peer), probe.queryFind(peer, PROBE_KEY, true)]).then(
            ([, find]) => find.found?.some((w) => new TextDecoder().decode(w.record.data) === 'probe value') === true,
            () => false,
          ),
        );
        if (ok) answered++;
      }
    }
    await clock.advance(1_000);
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  const drops: Record<string, number> = {
    'host:malformed': target.stats.malformed,
    'host:unknown-community': target.stats.unknownCommunity,
    'host:rate-limited': target.stats.rateLimited,
  };
  for (const [prefix, c] of [['dht', dht], ['discovery', disc]] as const) {
    for (const [reason, n] of Object.entries(c.stats.dropped)) drops[`${prefix}:${reason}`] = n;
  }
  const handled = diff(handledCounts(target), handledBefore);
  const handlerErrors = dht.stats.handlerErrors + disc.stats.handlerErrors;
  await prober.stop();
  await target.stop();
  const listenerErrors = network.stats.listenerErrors;
  return {
    iterations: options.iterations,
    seed,
    elapsedMs: Math.round(performance.now() - started),
    mutations,
    drops,
    handled,
    handlerErrors,
    listenerErrors,
    uncaught,
    probes: { sent, answered },
    ok: uncaught === 0 && listenerErrors === 0 && answered === sent,
  };
}

function handledCounts(host: OverlayHost): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of [['dht', host.get(DHTCommunity)], ['discovery', host.get(DHTDiscoveryCommunity)]] as const) {
    for (const [message, n] of Object.entries(c.stats.received)) out[`${name}/${message}`] = n;
  }
  return out;
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** Renders a summary as a text table (one row per counter). */
export function formatFuzzSummary(s: FuzzSummary): string {
  const rows: Array<{ counter: string; value: number }> = [
    { counter: 'iterations', value: s.iterations },
    { counter: 'elapsed ms', value: s.elapsedMs },
    ...Object.entries(s.drops).sort().map(([k, v]) => ({ counter: `drop ${k}`, value: v })),
    ...Object.entries(s.handled).sort().map(([k, v]) => ({ counter: `handled ${k}`, value: v })),
    { counter: 'handler errors', value: s.handlerErrors },
    { counter: 'listener errors', value: s.listenerErrors },
    { counter: 'uncaught', value: s.uncaught },
    { counter: 'probes sent', value: s.probes.sent },
    { counter: 'probes answered', value: s.probes.answered },
  ];
  return table(rows, ['counter', 'value']);
}

function argValue(args: readonly string[], name: string): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer, got ${args[i + 1]}`);
  return v;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const summary = await runFuzz({ iterations: argValue(args, '--iterations') ?? 10_000, seed: argValue(args, '--seed') ?? 1 });
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n\n' + formatFuzzSummary(summary) + '\n');
  if (!summary.ok) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
