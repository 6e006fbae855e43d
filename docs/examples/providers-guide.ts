/**
 * Example: provider records (who provides a key, and where to reach it). `providersOverUdp` runs a few
 * nodes on 127.0.0.1 and is the code docs/providers.md quotes; `providersPerLookup` measures on a
 * simulated network how many providers one lookup finds and with how many queries. The test
 * `test/communities/providers/guide.test.ts` runs both and checks that every code block of the guide is
 * here, word for word.
 * @module
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DHTCommunity } from '../../communities/dht/index.js';
import type { LookupEvent } from '../../communities/dht/index.js';
import { ProvidersCommunity, ProvidersError } from '../../communities/providers/index.js';
import type { Provider } from '../../communities/providers/index.js';
import { addressKey, ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom, UdpEndpoint } from '../../framework/index.js';

/** What {@link providersOverUdp} saw. */
export interface UdpGuideResult {
  /** `mid-prefix address` of every provider Carol found, sorted. */
  readonly found: string[];
  /** The first provider the streaming form gave. */
  readonly first: string;
  /** The providers after Alice stopped providing and Bob moved to another port. */
  readonly later: string[];
  /** Alice's, Bob's and Carol's mids (first 8 hex digits), and Bob's UDP port. */
  readonly names: { alice: string; bob: string; carol: string; bobUdpPort: number };
  /** The reason of the error a bad port gives. */
  readonly badPort: string;
}

/** Alice and Bob provide a key, Carol finds them, over real UDP on 127.0.0.1 (5 nodes). */
export async function providersOverUdp(): Promise<UdpGuideResult> {
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < 5; i++) {
    const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
    host.register(DHTCommunity); // first: the providers community injects it
    host.register(ProvidersCommunity);
    await host.start();
    hosts.push(host);
  }
  for (const host of hosts.slice(1)) await host.get(DHTCommunity).bootstrap([hosts[0]!.endpoint.address]);
  const [alice, bob, carol] = hosts.slice(1, 4).map((h) => h.get(ProvidersCommunity)) as [ProvidersCommunity, ProvidersCommunity, ProvidersCommunity];
  const short = (p: Provider): string => `${p.mid.slice(0, 8)} ${addressKey(p.address)}`;
  try {
    await alice.provide('ubuntu-24.04.iso', { port: 6881 });
    await bob.provide('ubuntu-24.04.iso'); // no port: implied, the UDP port the storers see Bob's announcement come from
    const found = await carol.findProviders('ubuntu-24.04.iso', { limit: 20 });
    // p.address: the IP the storers saw Alice's announcement come from, with the port she named

    let first = '';
    for await (const p of carol.findProvidersAsync('ubuntu-24.04.iso')) {
      first = short(p); // as soon as a storer answers
      break; // ends the lookup
    }

    alice.stopProviding('ubuntu-24.04.iso'); // no more renewals: her record expires on the storers
    await bob.provide('ubuntu-24.04.iso', { port: 7000 }); // a new version replaces the old one

    let badPort = '';
    try {
      await bob.provide('ubuntu-24.04.iso', { port: 70_000 });
    } catch (error) {
      if (error instanceof ProvidersError) badPort = error.reason; // 'invalid-value', nothing sent
    }
    const later = (await carol.findProviders('ubuntu-24.04.iso')).filter((p) => p.mid === bob.context.key.publicKey.midHex);
    return {
      found: found.map(short).sort(),
      first,
      later: later.map(short),
      names: {
        alice: alice.context.key.publicKey.midHex.slice(0, 8),
        bob: bob.context.key.publicKey.midHex.slice(0, 8),
        carol: carol.context.key.publicKey.midHex.slice(0, 8),
        bobUdpPort: hosts[2]!.endpoint.address.port,
      },
      badPort,
    };
  } finally {
    for (const h of hosts) await h.stop();
  }
}

/** What one `findProviders` cost: providers found, lookup queries and record pages. */
export interface LookupCost {
  /** Distinct providers returned. */
  readonly found: number;
  /** Lookup queries sent (each one also asks for the key's records). */
  readonly queries: number;
  /** Record pages received (the first page of every query, and the further pages of storers holding more). */
  readonly pages: number;
}

/** What {@link providersPerLookup} measured. */
export interface PerLookupResult {
  /** Nodes in the network. */
  readonly nodes: number;
  /** Nodes that provide the key. */
  readonly providers: number;
  /** One `findProviders` with a limit above the number of providers (the lookup runs until it converges), averaged over the finders. */
  readonly all: LookupCost;
  /** One `findProviders` with the default limit (20): the lookup ends once it has 20. */
  readonly defaultLimit: LookupCost;
  /** How many finders were measured. */
  readonly finders: number;
}

/**
 * Providers found per lookup: `providers` of `nodes` simulated nodes provide one key; each of `finders`
 * other nodes runs one `findProviders`, counting its lookup queries and record pages.
 */
export async function providersPerLookup(nodes = 50, providers = 20, finders = 10, seed = 15): Promise<PerLookupResult> {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 10, jitterMs: 5 });
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < nodes; i++) {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, bootstrap: i === 0 ? [] : [hosts[0]!.endpoint.address] });
    host.register(DHTCommunity);
    host.register(ProvidersCommunity);
    await host.start();
    if (i > 0) await clock.settle(host.get(DHTCommunity).bootstrap());
    hosts.push(host);
  }
  const p = hosts.map((h) => h.get(ProvidersCommunity));
  try {
    await clock.settle(Promise.all(p.slice(1, 1 + providers).map((c, i) => c.provide('popular', { port: 5000 + i }))));
    const measure = async (finder: ProvidersCommunity, limit: number): Promise<LookupCost> => {
      let queries = 0;
      const pagesBefore = finder.records.statistics.pagesRequested;
      const found = await clock.settle(finder.findProviders('popular', { limit, onEvent: (e: LookupEvent) => void (e.type === 'query' && queries++) }));
      return { found: found.length, queries, pages: finder.records.statistics.pagesRequested - pagesBefore };
    };
    const mean = (costs: LookupCost[]): LookupCost => ({
      found: costs.reduce((s, c) => s + c.found, 0) / costs.length,
      queries: costs.reduce((s, c) => s + c.queries, 0) / costs.length,
      pages: costs.reduce((s, c) => s + c.pages, 0) / costs.length,
    });
    const chosen = p.slice(nodes - finders);
    const all: LookupCost[] = [];
    const limited: LookupCost[] = [];
    for (const f of chosen) all.push(await measure(f, 1_000));
    for (const f of chosen) limited.push(await measure(f, 20));
    return { nodes, providers, all: mean(all), defaultLimit: mean(limited), finders };
  } finally {
    for (const h of hosts) await h.stop();
  }
}

// Run on its own: `node dist/docs/examples/providers-guide.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const udp = await providersOverUdp();
  console.log(`over UDP: Carol found ${JSON.stringify(udp.found)}; after Alice stopped and Bob moved: ${JSON.stringify(udp.later)}`);
  const cost = await providersPerLookup();
  console.log(`providers per lookup (${cost.nodes} nodes, ${cost.providers} providers): ${JSON.stringify(cost.all)} until converged, ${JSON.stringify(cost.defaultLimit)} with limit 20`);
}
