/**
 * The code of the DHT guide (`docs/dht.md`): setting up nodes, storing and finding values, signed values
 * and versions, errors and retries, options, batches and statistics. Every function runs on UDP loopback
 * (the default) or on an in-memory network; `test/communities/dht/guide.test.ts` runs them all and checks
 * that each `#region` below appears verbatim in the guide.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DHTCommunity, DHTError } from '../../communities/dht/index.js';
import type { LookupEvent } from '../../communities/dht/index.js';
import type { DHTSettings, FoundValue } from '../../communities/dht/index.js';
import { OverlayHost, UdpEndpoint, utf8 } from '../../framework/index.js';
import type { Address, Endpoint, MemoryNetwork } from '../../framework/index.js';

/** Where a line of output goes (the guide prints; the test collects). */
export type Log = (line: string) => void;

/** Decodes UTF-8 bytes. */
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** A small DHT: the nodes, their communities, and a way to stop them all. */
export interface GuideNetwork {
  /** One host per node; `hosts[0]` is the seed the others bootstrapped from. */
  readonly hosts: OverlayHost[];
  /** Each host's DHT community, in the same order. */
  readonly dhts: DHTCommunity[];
  /** Adds one more node that bootstraps from the seed. */
  addNode(): Promise<DHTCommunity>;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Options of {@link startNodes}. */
export interface StartOptions {
  /** How many nodes. @default 8 */
  count?: number;
  /** Run on this in-memory network instead of UDP on 127.0.0.1. */
  network?: MemoryNetwork;
  /** DHT settings for every node. @default {} */
  settings?: DHTSettings;
}

/** Starts `count` DHT nodes: a seed, then nodes that bootstrap from it. */
export async function startNodes(options: StartOptions = {}): Promise<GuideNetwork> {
  const { count = 8, network, settings = {} } = options;
  const endpoint = (): Endpoint => network?.createEndpoint() ?? new UdpEndpoint({ host: '127.0.0.1', port: 0 });
  const hosts: OverlayHost[] = [];
  const dhts: DHTCommunity[] = [];

  // #region setup
  // The first node: one OverlayHost (key, endpoint, communities) with a DHTCommunity registered on it.
  const seed = new OverlayHost({ endpoint: endpoint() });
  const seedDht = seed.register(DHTCommunity, settings);
  await seed.start();

  // Every other node bootstraps from the seed's address (any live node will do).
  async function addNode(): Promise<DHTCommunity> {
    const host = new OverlayHost({ endpoint: endpoint(), bootstrap: [seed.endpoint.address] });
    const dht = host.register(DHTCommunity, settings);
    await host.start(); // starts joining in the background...
    await dht.bootstrap(); // ...and this waits until we know our neighbourhood
    hosts.push(host);
    dhts.push(dht);
    return dht;
  }
  // #endregion setup

  hosts.push(seed);
  dhts.push(seedDht);
  for (let i = 1; i < count; i++) await addNode();
  return {
    hosts,
    dhts,
    addNode,
    async stop() {
      for (const host of hosts) await host.stop();
    },
  };
}

/** Stores the signed value `my value` under `my key` (the py-ipv8 doc's first example). */
export async function storeMyValue(dht: DHTCommunity, log: Log = console.log): Promise<boolean> {
  // #region store
  try {
    const acks = await dht.storeValue('my key', utf8('my value'), { sign: true });
    log(`stored value: my value (on ${acks} nodes)`);
  } catch (error) {
    if (!(error instanceof DHTError)) throw error;
    log(`failed to store value (${error.reason}): ${error.message}`); // try again later
    return false;
  }
  // #endregion store
  return true;
}

/** Finds the values under `my key` from any node (the py-ipv8 doc's second example). */
export async function findMyValue(dht: DHTCommunity, log: Log = console.log): Promise<FoundValue[]> {
  // #region find
  try {
    const values = await dht.findValues('my key');
    for (const value of values) {
      log(`found value: ${text(value.data)}, signed by ${value.publicKey?.midHex ?? 'nobody'}`);
    }
    return values;
  } catch (error) {
    if (!(error instanceof DHTError)) throw error;
    log(`failed to find values (${error.reason}): ${error.message}`); // try again later
    return [];
  }
  // #endregion find
}

/** What {@link signedAndUnsigned} found: each value's text and its publisher's mid (null when unsigned). */
export interface StatusValue {
  /** The value. */
  readonly data: string;
  /** The publisher's mid in hex; `null` for unsigned values. */
  readonly publisher: string | null;
  /** The publisher's version (0 for unsigned values). */
  readonly version: number;
}

/**
 * Alice publishes two versions of her status, Bob publishes his, Carol and Dave both add the same unsigned
 * value; the reader sees Alice's newest version, Bob's, and the unsigned value once.
 */
export async function signedAndUnsigned(
  alice: DHTCommunity,
  bob: DHTCommunity,
  carol: DHTCommunity,
  dave: DHTCommunity,
  reader: DHTCommunity,
): Promise<StatusValue[]> {
  // #region versions
  // Signed values: one per publisher and key; a newer version replaces the older one everywhere.
  await alice.storeValue('status', utf8('away'), { sign: true });
  await alice.storeValue('status', utf8('online'), { sign: true }); // a higher version: replaces "away"
  await bob.storeValue('status', utf8('busy'), { sign: true });
  // Unsigned values: anyone may add one; equal data is kept once.
  await carol.storeValue('status', utf8('hello'));
  await dave.storeValue('status', utf8('hello'));

  const values = await reader.findValues('status');
  // [online (Alice, newest version only), busy (Bob), hello (unsigned, once)]
  const seen = values.map((v) => ({ data: text(v.data), publisher: v.publicKey?.midHex ?? null, version: v.version }));
  // #endregion versions
  return seen;
}

/** Errors that may go away when tried again later (the others need a different call). */
// #region retryable
export const RETRYABLE: ReadonlySet<DHTError['reason']> = new Set(['no-nodes', 'unreachable', 'timeout']);
// #endregion retryable

/**
 * Stores a signed value, retrying while the failure is one that time can fix, or while only this node holds
 * it (0 acks: it knows no other node yet); between attempts the node rejoins through `join`.
 */
export async function storeWithRetry(
  dht: DHTCommunity,
  key: string,
  data: Uint8Array,
  join: readonly Address[],
  attempts = 5,
  delayMs = 200,
): Promise<{ acks: number; attempts: number; errors: string[] }> {
  const errors: string[] = [];
  // #region retry
  for (let attempt = 1; ; attempt++) {
    try {
      const acks = await dht.storeValue(key, data, { sign: true });
      if (acks > 0 || attempt >= attempts) return { acks, attempts: attempt, errors };
      errors.push('held only here'); // 0 acks: this node knows no other node yet, but keeps the value
    } catch (error) {
      if (!(error instanceof DHTError) || !RETRYABLE.has(error.reason) || attempt >= attempts) throw error;
      errors.push(error.reason);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs)); // try again later...
    await dht.bootstrap(join); // ...after rejoining through known addresses
  }
  // #endregion retry
}

/** The reasons of the errors {@link errorReasons} provoked. */
export interface ErrorReasons {
  /** From a 1,025-byte value. */
  readonly tooLarge: string;
  /** From a node that knows nobody. */
  readonly noNodes: string;
  /** From an aborted lookup. */
  readonly aborted: string;
}

/** Provokes three DHT errors and returns their reasons. */
export async function errorReasons(dht: DHTCommunity, lonely: DHTCommunity): Promise<ErrorReasons> {
  const reasonOf = (error: unknown): string => (error instanceof DHTError ? error.reason : `not a DHTError: ${String(error)}`);
  // #region errors
  const tooLarge = await dht.storeValue('big', new Uint8Array(1_025)).catch(reasonOf); // 'too-large': nothing sent
  const noNodes = await lonely.findValues('my key').catch(reasonOf); // 'no-nodes': bootstrap first
  const aborted = await dht.findValues('my key', { signal: AbortSignal.abort() }).catch(reasonOf); // 'aborted'
  // #endregion errors
  return { tooLarge: String(tooLarge), noNodes: String(noNodes), aborted: String(aborted) };
}

/** Stores a value that lives one minute and finds it with a limit and a timeout. */
export async function withOptions(writer: DHTCommunity, reader: DHTCommunity): Promise<{ acks: number; value: FoundValue | undefined }> {
  // #region options
  // ttlMs is in milliseconds (default 24 h, at most maxTtlMs); the value is gone everywhere after it.
  const acks = await writer.storeValue('short-lived', utf8('gone in a minute'), { sign: true, ttlMs: 60_000 });
  const [value] = await reader.findValues('short-lived', { limit: 10, signal: AbortSignal.timeout(5_000) });
  // value.expiresAt is about Date.now() + 60_000
  // #endregion options
  return { acks, value };
}

/** Stores and finds three values in one call each. */
export async function batches(writer: DHTCommunity, reader: DHTCommunity): Promise<{ stored: number[]; found: string[][] }> {
  // #region batches
  const fruits = ['apple', 'banana', 'cherry'];
  const stored = await writer.storeMany(
    fruits.map((fruit) => ({ key: `fruit:${fruit}`, data: utf8(fruit), sign: true })),
    { concurrency: 4 },
  );
  const found = await reader.findMany(fruits.map((fruit) => `fruit:${fruit}`));
  // One result per item, in order: { ok: true, value } or { ok: false, error: DHTError }; never throws for one item.
  // #endregion batches
  return {
    stored: stored.map((r) => (r.ok ? r.value : -1)),
    found: found.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : [`error: ${r.error.reason}`])),
  };
}

/** Finds a value and prints its lookup hop by hop. */
export async function traceAFind(dht: DHTCommunity, log: Log = console.log): Promise<LookupEvent[]> {
  const events: LookupEvent[] = [];
  // #region trace
  await dht.findValues('my key', {
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'query') log(`hop ${e.hop}: ask ${e.peer.id.slice(0, 8)} (distance ${e.distance.slice(0, 6)}...) on path ${e.path}`);
      if (e.type === 'response') log(`  ${e.peer.id.slice(0, 8)} answered in ${e.rttMs.toFixed(1)} ms: ${e.closer.length} closer nodes, ${e.records} values`);
      if (e.type === 'finished') log(`done: ${e.queries} queries, ${e.hops} hops, ${e.durationMs.toFixed(1)} ms`);
    },
  });
  // Every lookup of the node, as it runs: dht.on('lookup', (e) => ...); only the summaries: dht.on('lookup:finished', ...)
  // #endregion trace
  return events;
}

/** What a status page would show. */
export interface StatusPage {
  /** Counters (`DHTStatistics.toJSON()`). */
  readonly statistics: Record<string, unknown>;
  /** Live contacts in the routing table. */
  readonly contacts: number;
  /** Each bucket: its prefix bits, contacts and replacement candidates. */
  readonly buckets: ReadonlyArray<{ prefix: string; contacts: number; replacements: number }>;
  /** Values this node holds for others. */
  readonly valuesHeld: number;
}

/** Reads a node's statistics and routing table. */
export function statusPage(dht: DHTCommunity): StatusPage {
  // #region statistics
  const statistics = dht.statistics.toJSON(); // lookups, averageHops, timeouts, storeVerdicts, ...
  const contacts = dht.routingTable.size;
  const buckets = dht.routingTable.buckets().map((b) => ({
    prefix: b.prefixBits || '(root)',
    contacts: b.contacts.length,
    replacements: b.replacements.length,
  }));
  const valuesHeld = dht.store.size;
  // #endregion statistics
  return { statistics, contacts, buckets, valuesHeld };
}

// Run on its own: `node dist/docs/examples/dht-guide.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Eight nodes on UDP loopback: store a signed value from one, find it from another.
  const net = await startNodes({ count: 8 });
  try {
    const stored = await storeMyValue(net.dhts[1]!);
    const found = await findMyValue(net.dhts[7]!);
    console.log(`stored: ${stored}; found ${found.length} value(s) from another node`);
  } finally {
    await net.stop();
  }
}
