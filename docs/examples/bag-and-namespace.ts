/**
 * Example: the bag (a set of signed values per key) and the namespace (values under a publisher's key).
 * Each function builds a small simulated network on a virtual clock, runs one scenario and returns what
 * happened; `test/communities/bag/guide.test.ts` runs them and checks the results. To run on real
 * sockets, give each `OverlayHost` a `new UdpEndpoint({ host, port })` and drop `clock.settle`.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { BagCommunity, BagError, BagMessages } from '../../communities/bag/index.js';
import { DHTCommunity, hashKey } from '../../communities/dht/index.js';
import { NamespaceCommunity, NamespaceError } from '../../communities/namespace/index.js';
import { equalBytes, ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom, utf8 } from '../../framework/index.js';

/** A simulated network: every node runs the DHT, the bag and the namespace. */
export interface GuideNetwork {
  /** The virtual clock: `clock.settle(promise)` runs the network until `promise` settles. */
  readonly clock: ManualClock;
  /** The nodes. */
  readonly hosts: OverlayHost[];
  /** Each node's bag. */
  readonly bags: BagCommunity[];
  /** Each node's namespace. */
  readonly namespaces: NamespaceCommunity[];
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Builds an `n`-node network; every node joins through the first one. */
export async function startGuideNetwork(n = 30, seed = 1): Promise<GuideNetwork> {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 10 });
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < n; i++) {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({
      endpoint: network.createEndpoint(),
      key: PrivateKey.generate(nodeRandom),
      clock,
      random: nodeRandom,
      bootstrap: i === 0 ? [] : [hosts[0]!.endpoint.address],
    });
    host.register(DHTCommunity); // first: the bag and the namespace inject it
    host.register(BagCommunity); // optional communities: register only what the app uses
    host.register(NamespaceCommunity);
    await host.start();
    if (i > 0) await clock.settle(host.get(DHTCommunity).bootstrap());
    hosts.push(host);
  }
  return {
    clock,
    hosts,
    bags: hosts.map((h) => h.get(BagCommunity)),
    namespaces: hosts.map((h) => h.get(NamespaceCommunity)),
    stop: async () => {
      for (const h of hosts) await h.stop();
    },
  };
}

/** Bag basics: add from two publishers, search, page with a cursor, remove. */
export async function bagBasics(): Promise<{ found: string[]; paged: string[]; pages: number; afterRemove: string[] }> {
  const net = await startGuideNetwork();
  const [alice, bob, carol] = [net.bags[3]!, net.bags[11]!, net.bags[25]!];
  const text = (v: Uint8Array): string => new TextDecoder().decode(v);
  try {
    await net.clock.settle(alice.add('recipes', utf8('pancakes')));
    await net.clock.settle(alice.add('recipes', utf8('waffles'), { ttlMs: 2 * 3_600_000 }));
    await net.clock.settle(bob.add('recipes', utf8('pancakes'))); // same value, other publisher: its own entry
    const { entries } = await net.clock.settle(carol.search('recipes'));
    const found = entries.map((e) => `${e.publisher.midHex.slice(0, 4)}:${text(e.value)}`).sort();

    // Paging: pass the cursor back until there is none; every entry comes exactly once.
    const paged: string[] = [];
    let pages = 0;
    let cursor: string | undefined;
    do {
      const page = await net.clock.settle(carol.search('recipes', { limit: 2, cursor }));
      paged.push(...page.entries.map((e) => text(e.value)));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);

    await net.clock.settle(alice.remove('recipes', utf8('waffles'))); // only alice can remove alice's entry
    const after = await net.clock.settle(carol.search('recipes'));
    return { found, paged: paged.sort(), pages, afterRemove: after.entries.map((e) => text(e.value)).sort() };
  } finally {
    await net.stop();
  }
}

/** Bag misuse and caps: named errors before sending, storer verdicts when every storer refuses. */
export async function bagLimits(): Promise<{ tooLarge: string; badTtl: string; overQuota: string; verdicts: string[] }> {
  const net = await startGuideNetwork(30, 2);
  const bag = net.bags[7]!;
  const reason = async (p: Promise<unknown>): Promise<string> => {
    try {
      await net.clock.settle(p);
      return 'ok';
    } catch (error) {
      return error instanceof BagError ? error.reason : String(error);
    }
  };
  try {
    const tooLarge = await reason(bag.add('k', new Uint8Array(257))); // maxValueBytes: 256
    const badTtl = await reason(bag.add('k', utf8('v'), { ttlMs: 48 * 3_600_000 })); // maxTtlMs: 24 h
    await net.clock.settle(Promise.all(Array.from({ length: 100 }, (_, i) => bag.add('busy', utf8(`v${i}`)))));
    let verdicts: string[] = [];
    let overQuota = 'ok';
    try {
      await net.clock.settle(bag.add('busy', utf8('one too many'))); // 100 per IP group per key
    } catch (error) {
      if (error instanceof BagError) {
        overQuota = error.reason;
        verdicts = Object.keys(error.verdicts);
      }
    }
    return { tooLarge, badTtl, overQuota, verdicts };
  } finally {
    await net.stop();
  }
}

/** The amplification bound: a search without a token gets at most 3x its own size back. */
export async function amplificationBound(): Promise<{ request: number; tokenless: number; withToken: number; maxPacket: number }> {
  const net = await startGuideNetwork(30, 3);
  try {
    for (let p = 0; p < 3; p++) {
      const bag = net.bags[p + 1]!;
      await net.clock.settle(Promise.all(Array.from({ length: 10 }, (_, i) => bag.add('worst', new Uint8Array(256).fill(i)))));
    }
    const asker = net.bags[20]!;
    const key = hashKey('worst');
    const [storer] = await net.clock.settle(net.hosts[20]!.get(DHTCommunity).findClosestNodes(key)); // each comes with its token for us
    const holder = net.bags[net.hosts.findIndex((h) => equalBytes(h.get(DHTCommunity).nodeId, storer!.peer.id))]!;
    const sizes = async (token: Uint8Array | undefined): Promise<{ request: number; response: number }> => {
      const req = asker.stats.bytesSent[BagMessages.FindRequest.name] ?? 0;
      const res = holder.stats.bytesSent[BagMessages.FindResponse.name] ?? 0;
      const find = { target: key, records: true, cursor: undefined, publisher: undefined, token, padding: undefined };
      await net.clock.settle(asker.sendRequest(storer!.peer.address, BagMessages.FindRequest, find));
      return {
        request: (asker.stats.bytesSent[BagMessages.FindRequest.name] ?? 0) - req,
        response: (holder.stats.bytesSent[BagMessages.FindResponse.name] ?? 0) - res,
      };
    };
    const bare = await sizes(undefined);
    const full = await sizes(storer!.token);
    return { request: bare.request, tokenless: bare.response, withToken: full.response, maxPacket: asker.context.transport.maxPacketBytes };
  } finally {
    await net.stop();
  }
}

/** Namespace basics: set/get, automatic seq, rollback refused, compare-and-swap. */
export async function namespaceBasics(): Promise<{ seqs: number[]; latest: string; rollback: string; casFailure: string; afterCas: number }> {
  const net = await startGuideNetwork(30, 4);
  const [alice, reader] = [net.namespaces[5]!, net.namespaces[22]!];
  const pk = alice.context.key.publicKey;
  const reason = async (p: Promise<unknown>): Promise<string> => {
    try {
      await net.clock.settle(p);
      return 'ok';
    } catch (error) {
      return error instanceof NamespaceError ? error.reason : String(error);
    }
  };
  try {
    const seqs: number[] = [];
    for (const v of ['draft', 'review', 'final']) seqs.push((await net.clock.settle(alice.set('status', utf8(v)))).seq); // 0, 1, 2
    const got = await net.clock.settle(reader.get(pk, 'status'));
    const rollback = await reason(alice.set('status', utf8('draft again'), { seq: 1 }));
    const casFailure = await reason(alice.set('status', utf8('edit'), { cas: 1 })); // the storers hold 2
    const afterCas = (await net.clock.settle(alice.set('status', utf8('edit'), { cas: 2 }))).seq;
    return { seqs, latest: new TextDecoder().decode(got!.value), rollback, casFailure, afterCas };
  } finally {
    await net.stop();
  }
}

/** Expiry: a bag entry outlives its ttl while its publisher runs, and is gone after it stops. */
export async function expiryAndRepublish(): Promise<{ whileRunning: number; afterStop: number }> {
  const net = await startGuideNetwork(30, 5);
  const [publisher, reader] = [net.bags[4]!, net.bags[17]!];
  try {
    await net.clock.settle(publisher.add('heartbeat', utf8('alive'), { ttlMs: 10 * 60_000 }));
    await net.clock.advance(30 * 60_000); // three lifetimes: republished before each expiry
    const whileRunning = (await net.clock.settle(reader.search('heartbeat'))).entries.length;
    await net.hosts[4]!.stop();
    await net.clock.advance(12 * 60_000);
    const afterStop = (await net.clock.settle(reader.search('heartbeat'))).entries.length;
    return { whileRunning, afterStop };
  } finally {
    await net.stop();
  }
}

// Run on its own: `node dist/docs/examples/bag-and-namespace.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bag = await bagBasics();
  console.log(`bag: found ${JSON.stringify(bag.found)}; paged ${bag.pages} pages; after remove ${JSON.stringify(bag.afterRemove)}`);
  const ns = await namespaceBasics();
  console.log(`namespace: sequence numbers ${JSON.stringify(ns.seqs)}, latest ${JSON.stringify(ns.latest)}, rollback ${ns.rollback}, compare-and-swap ${ns.casFailure}`);
}
