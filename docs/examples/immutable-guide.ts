/**
 * Example: content-addressed immutable values. Each function builds a small simulated network on a virtual
 * clock, runs one scenario and returns what happened; `test/communities/immutable/guide.test.ts` runs them
 * and checks the results (and that docs/immutable.md quotes this file). To run on real sockets, give each
 * `OverlayHost` a `new UdpEndpoint({ host, port })` and drop `clock.settle`.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DHTCommunity } from '../../communities/dht/index.js';
import { IMMUTABLE_COMMUNITY_ID, ImmutableCommunity, ImmutableError, locationOf, parseImmutableKey } from '../../communities/immutable/index.js';
import type { Address } from '../../framework/index.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom, toHex, utf8 } from '../../framework/index.js';

/** Sizes of the datagrams the network carried. */
export interface Traffic {
  /** How many. */
  datagrams: number;
  /** Their bytes in all. */
  bytes: number;
  /** The largest one. */
  largest: number;
  /** How many of them were the immutable community's (the rest: the DHT's lookup for the k closest). */
  immutableDatagrams: number;
  /** Their bytes. */
  immutableBytes: number;
}

/** A simulated network whose nodes run the DHT and the immutable community, with a datagram tap. */
export interface ImmutableNetwork {
  /** The virtual clock. */
  readonly clock: ManualClock;
  /** The nodes. */
  readonly hosts: OverlayHost[];
  /** Each node's immutable community. */
  readonly nodes: ImmutableCommunity[];
  /** Every datagram sent since the last call (and forgets them). */
  traffic(): Traffic;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Builds an `n`-node network; every node joins through the first one. */
export async function startImmutableNetwork(n = 30, seed = 1): Promise<ImmutableNetwork> {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 10 });
  const hosts: OverlayHost[] = [];
  let sent: Array<{ size: number; immutable: boolean }> = [];
  const immutableId = toHex(IMMUTABLE_COMMUNITY_ID);
  for (let i = 0; i < n; i++) {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const endpoint = network.createEndpoint();
    const send = endpoint.send.bind(endpoint);
    endpoint.send = (to: Address, data: Uint8Array) => {
      sent.push({ size: data.length, immutable: toHex(data.subarray(2, 22)) === immutableId }); // the tap
      send(to, data);
    };
    const host = new OverlayHost({ endpoint, key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, bootstrap: i === 0 ? [] : [hosts[0]!.endpoint.address] });
    host.register(DHTCommunity);
    host.register(ImmutableCommunity);
    await host.start();
    if (i > 0) await clock.settle(host.get(DHTCommunity).bootstrap());
    hosts.push(host);
  }
  return {
    clock,
    hosts,
    nodes: hosts.map((h) => h.get(ImmutableCommunity)),
    traffic() {
      const mine = sent.filter((p) => p.immutable);
      const sum = (list: typeof sent): number => list.reduce((a, p) => a + p.size, 0);
      const t = { datagrams: sent.length, bytes: sum(sent), largest: Math.max(0, ...sent.map((p) => p.size)), immutableDatagrams: mine.length, immutableBytes: sum(mine) };
      sent = [];
      return t;
    },
    stop: async () => {
      for (const h of hosts) await h.stop();
    },
  };
}

/** The round trip of an 8 KiB value, and what it cost on the wire. */
export async function roundTrip(): Promise<{ key: string; chunks: number; storers: number; same: boolean; storing: Traffic; fetching: Traffic }> {
  const { clock, nodes, traffic, stop } = await startImmutableNetwork();
  const value = new Uint8Array(8_192).map((_, i) => (i * 31) % 256);
  traffic();
  // [put]
  const { key, chunks, acks } = await clock.settle(nodes[3]!.put(value, { ttlMs: 3_600_000 }));
  // key: 'imm:' and 64 hex digits; chunks: 16; acks: the storers that took it
  // [/put]
  const storing = traffic();
  const reader = nodes.find((n) => n.chunks.store.get(locationOf(parseImmutableKey(key)!)).length === 0)!;
  // [get]
  const found = await clock.settle(reader.get(key)); // the value, checked against its key, or undefined
  // [/get]
  const fetching = traffic();
  await stop();
  return { key, chunks, storers: acks, same: found !== undefined && found.every((b, i) => b === value[i]) && found.length === value.length, storing, fetching };
}

/** What is refused, and what is dropped and counted. */
export async function checks(): Promise<{ tooLarge: string; badKey: string; readerRejected: number; value: string | undefined; wrongKey: string | undefined }> {
  const { clock, nodes, stop } = await startImmutableNetwork(20, 2);
  // [errors]
  const reason = (e: unknown): string => (e instanceof ImmutableError ? e.reason : String(e));
  const tooLarge = await nodes[0]!.put(new Uint8Array(8_193)).catch(reason); // 'too-large': nothing sent
  const badKey = await nodes[0]!.get('imm:1234').catch(reason); // 'invalid-key'
  // [/errors]
  const { key } = await clock.settle(nodes[1]!.put(utf8('a value every node can check')));
  const location = locationOf(parseImmutableKey(key)!);
  for (const n of nodes) for (const held of n.chunks.store.get(location)) held.record.chunk[0]! ^= 1; // every copy rots
  const reader = nodes.find((n) => n.chunks.store.get(location).length === 0)!;
  // [rejected]
  const before = reader.chunks.statistics.recordsRejected;
  const value = await clock.settle(reader.get(key)); // undefined: no copy matches the key
  const readerRejected = reader.chunks.statistics.recordsRejected - before; // one per storer that served a rotten chunk
  // [/rejected]
  const wrong = parseImmutableKey(key)!;
  wrong[31]! ^= 1;
  const wrongKey = await clock.settle(reader.get(wrong)).then((v) => (v === undefined ? undefined : 'returned'));
  await stop();
  return { tooLarge: String(tooLarge), badKey: String(badKey), readerRejected, value: value === undefined ? undefined : 'returned', wrongKey };
}

// Run on its own: `node dist/docs/examples/immutable-guide.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await roundTrip();
  console.log(`put an 8 KiB value as ${r.chunks} chunks on ${r.storers} storers: ${r.key}`);
  console.log(`fetched it back, same bytes: ${r.same}`);
  const c = await checks();
  console.log(`too large: ${c.tooLarge}; bad key: ${c.badKey}; rotten copies rejected by the reader: ${c.readerRejected}, value returned: ${c.value ?? 'no'}`);
}
