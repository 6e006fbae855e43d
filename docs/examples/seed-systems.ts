/**
 * The code of `docs/coming-from.md`: what a user of py-ipv8, hivemind, libp2p's Kademlia, the Erlang dht or
 * qadom calls, written with Peerlay. Each function runs one system's calls on a small simulated network
 * (real keys and signatures, virtual time) and returns what happened; `test/docs/coming-from.test.ts` runs
 * them all and checks that every `#region` below appears verbatim in the page.
 * Run on its own: `node dist/docs/examples/seed-systems.js`.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BagCommunity } from '../../communities/bag/index.js';
import { DHTCommunity } from '../../communities/dht/index.js';
import { DictCommunity } from '../../communities/dict/index.js';
import { DHTDiscoveryCommunity } from '../../communities/discovery/index.js';
import { ImmutableCommunity } from '../../communities/immutable/index.js';
import { NamespaceCommunity } from '../../communities/namespace/index.js';
import { ProvidersCommunity } from '../../communities/providers/index.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom, addressKey, utf8 } from '../../framework/index.js';

const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** A simulated network where every node runs every community of this page. */
export interface SeedNetwork {
  /** The virtual clock: `clock.settle(promise)` runs the network until `promise` settles. */
  readonly clock: ManualClock;
  /** The in-memory network. */
  readonly network: MemoryNetwork;
  /** The nodes; each joined through `hosts[0]`. */
  readonly hosts: OverlayHost[];
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Builds an `n`-node network on virtual time. */
export async function seedNetwork(n = 16, seed = 4): Promise<SeedNetwork> {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 10 });
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < n; i++) {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, bootstrap: i === 0 ? [] : [hosts[0]!.endpoint.address] });
    host.register(DHTCommunity, { valueCache: { enabled: true } }); // first: the others build on it
    host.register(DHTDiscoveryCommunity);
    host.register(BagCommunity);
    host.register(NamespaceCommunity);
    host.register(ProvidersCommunity);
    host.register(DictCommunity);
    host.register(ImmutableCommunity);
    await host.start();
    if (i > 0) await clock.settle(host.get(DHTCommunity).bootstrap());
    hosts.push(host);
  }
  await clock.advance(5_000); // discovery announces every node's address under its mid
  return {
    clock,
    network,
    hosts,
    stop: async () => {
      for (const h of hosts) await h.stop();
    },
  };
}

/** py-ipv8: `store_value`, `find_values`, `connect_peer`. */
export async function pyIpv8(net: SeedNetwork): Promise<{ found: string[]; signedBy: string; connected: string }> {
  const [alice, bob] = [net.hosts[1]!, net.hosts[2]!];
  const dht = alice.get(DHTCommunity);
  const discovery = alice.get(DHTDiscoveryCommunity);
  const mid = bob.key.publicKey.mid;
  return net.clock.settle(
    (async () => {
      // #region py-ipv8
      // await dht.store_value(b'my key', b'my value', sign=True)
      await dht.storeValue('my key', utf8('my value'), { sign: true });
      // values = await dht.find_values(b'my key')   ->   [(value, public_key), ...]
      const values = await dht.findValues('my key'); // [{ data, publicKey, version, expiresAt }]
      // peer = (await discovery.connect_peer(mid))[0]
      const [peer] = await discovery.connectPeer(mid); // its key hashes to mid: proven in this call
      // #endregion py-ipv8
      return { found: values.map((v) => text(v.data)), signedBy: values[0]!.publicKey!.midHex, connected: peer!.midHex };
    })(),
  );
}

/** hivemind: `DHT(initial_peers)`, `store(subkey, expiration_time)`, `get`. */
export async function hivemind(net: SeedNetwork): Promise<{ attendees: Record<string, string>; joined: number }> {
  const [alice, bob, carol] = [net.hosts[3]!, net.hosts[4]!, net.hosts[5]!].map((h) => h.get(DictCommunity)) as [DictCommunity, DictCommunity, DictCommunity];
  const clock = net.clock;
  return clock.settle(
    (async () => {
      // #region hivemind
      // dht = DHT(initial_peers=[...], start=True): an OverlayHost that bootstraps from known nodes
      const host = new OverlayHost({ endpoint: net.network.createEndpoint(), clock, bootstrap: [net.hosts[0]!.endpoint.address] });
      host.register(DHTCommunity);
      await host.start();
      await host.get(DHTCommunity).bootstrap();

      // dht.store('party', subkey='alice', value='yes', expiration_time=get_dht_time() + 600)
      const expiresAt = clock.now() + 600_000; // absolute, ms since the epoch
      await alice.set('party', 'alice', utf8('yes'), { expiresAt });
      await bob.set('party', 'bob', utf8('yes'), { expiresAt });
      await carol.set('party', 'carol', utf8('no'), { expiresAt });
      // attendees, expiration = dht.get('party', latest=True): every subkey, merged from every storer reached
      const { entries } = await alice.get('party'); // [{ subkey, value, expiresAt, owner }]
      // #endregion hivemind
      const joined = host.get(DHTCommunity).routingTable.size;
      await host.stop();
      return { attendees: Object.fromEntries(entries.map((e) => [text(e.subkey), text(e.value)])), joined };
    })(),
  );
}

/** hivemind's values: `store(expiration_time)`, `get(latest=True)`, `store_many`/`get_many`, the local cache. */
export async function hivemindValues(net: SeedNetwork): Promise<{ latest: string; many: string[]; cacheHits: number }> {
  const [writer, reader] = [net.hosts[12]!, net.hosts[13]!].map((h) => h.get(DHTCommunity)) as [DHTCommunity, DHTCommunity];
  const clock = net.clock;
  return clock.settle(
    (async () => {
      // #region hivemind-values
      // dht.store('status', 'v1', expiration_time=get_dht_time() + 600), then a newer version
      await writer.storeValue('status', utf8('v1'), { sign: true, expiresAt: clock.now() + 600_000 });
      await writer.storeValue('status', utf8('v2'), { sign: true, expiresAt: clock.now() + 900_000 });
      // value, expiration = dht.get('status', latest=True): asks every storer reached, freshest first
      const [freshest] = await reader.findValues('status', { latest: true });
      // dht.store_many(keys, values, expiration_time) / dht.get_many(keys): lookups share what they learn
      await writer.storeMany(['a', 'b', 'c'].map((k) => ({ key: k, data: utf8(`value ${k}`), sign: true })));
      const many = await reader.findMany(['a', 'b', 'c']); // [{ ok: true, value: [...] }, ...]
      // cache_locally=True (valueCache.enabled): a repeated find within the cache age needs no packet
      const before = reader.statistics.cacheHits;
      await reader.findValues('a');
      const hits = reader.statistics.cacheHits - before; // 1
      // #endregion hivemind-values
      return {
        latest: text(freshest!.data),
        many: many.map((r) => (r.ok ? text(r.value[0]!.data) : r.error.reason)),
        cacheHits: hits,
      };
    })(),
  );
}

/** libp2p's routing interface: `PutValue`, `GetValue`, `Provide`, `FindProvidersAsync`, `FindPeer`, `Ping`, `Bootstrap`. */
export async function libp2p(net: SeedNetwork): Promise<{ value: string; providers: string[]; peer: string; rttMs: number; contacts: number }> {
  const [me, other] = [net.hosts[6]!, net.hosts[7]!];
  const dht = me.get(DHTCommunity);
  const providers = me.get(ProvidersCommunity);
  const discovery = me.get(DHTDiscoveryCommunity);
  const peerId = other.key.publicKey.mid;
  await net.clock.settle(other.get(ProvidersCommunity).provide('/ipfs/bafy-example'));
  return net.clock.settle(
    (async () => {
      // #region libp2p
      await dht.storeValue('/app/config', utf8('v2'), { sign: true }); // PutValue(ctx, key, value)
      const [best] = await dht.findValues('/app/config'); // GetValue(ctx, key): the newest per publisher first
      await providers.provide('/ipfs/bafy-example'); // Provide(ctx, cid, announce)
      const found: string[] = [];
      for await (const p of providers.findProvidersAsync('/ipfs/bafy-example', { limit: 20 })) {
        found.push(addressKey(p.address)); // FindProvidersAsync(ctx, cid, count): as storers answer
      }
      const [peer] = await discovery.connectPeer(peerId); // FindPeer(ctx, id)
      const { rttMs } = await discovery.ping(peerId); // Ping(ctx, id)
      const contacts = await dht.bootstrap(); // Bootstrap(ctx): refresh the routing table
      // #endregion libp2p
      return { value: text(best!.data), providers: found.sort(), peer: peer!.midHex, rttMs, contacts };
    })(),
  );
}

/** The Erlang dht: `ping`, `enter`, `lookup`. */
export async function erlangDht(net: SeedNetwork): Promise<{ pong: boolean; found: string[] }> {
  const [server, client] = [net.hosts[8]!, net.hosts[9]!];
  const id = 'my-service-id';
  return net.clock.settle(
    (async () => {
      // #region erlang
      // pang | pong = dht:ping({IP, Port})
      const { publicKey } = await client.get(DHTCommunity).ping({ address: server.endpoint.address });
      // ok = dht:enter(ID, Port): this node serves ID on Port (the IP is the one the storers see)
      await server.get(ProvidersCommunity).provide(id, { port: 4000 });
      // [{IP, Port}] = dht:lookup(ID)
      const endpoints = (await client.get(ProvidersCommunity).findProviders(id)).map((p) => p.address);
      // #endregion erlang
      return { pong: publicKey.midHex === server.key.publicKey.midHex, found: endpoints.map(addressKey) };
    })(),
  );
}

/** The Erlang dht keeps its state on disk: so does `peerlay node --state DIR` (real UDP on 127.0.0.1). */
export async function stateOnDisk(): Promise<{ sameIdentity: boolean; foundAfterRestart: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'peerlay-state-'));
  try {
    // #region erlang-state
    let node = await PeerlayNode.start({ port: 0, http: null, stateDir: dir }); // peerlay node --state DIR
    const mid = node.host.midHex;
    await node.dht.storeValue('my key', utf8('kept on disk'), { sign: true }); // in the state database first
    await node.stop();

    node = await PeerlayNode.start({ port: 0, http: null, stateDir: dir }); // the same key, values, contacts
    const values = await node.dht.findValues('my key');
    // #endregion erlang-state
    const result = { sameIdentity: node.host.midHex === mid, foundAfterRestart: values.map((v) => text(v.data)) };
    await node.stop();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** qadom: `set`/`get` (content-addressed), `bag`, `namespace`. */
export async function qadom(net: SeedNetwork): Promise<{ got: string; bag: string[]; namespace: string | undefined }> {
  const [a, b] = [net.hosts[10]!, net.hosts[11]!];
  const immutable = a.get(ImmutableCommunity);
  const bag = a.get(BagCommunity);
  const namespace = a.get(NamespaceCommunity);
  const publisherKey = a.key.publicKey;
  await net.clock.settle(b.get(BagCommunity).add('tags', utf8('p2p')));
  return net.clock.settle(
    (async () => {
      // #region qadom
      const { key } = await immutable.put(utf8('any value up to 8 KiB')); // key = await node.set(value)
      const value = await immutable.get(key); // await node.get(key): checked against its key
      await bag.add('tags', utf8('dht')); // await node.bag(key, value)
      const { entries } = await bag.search('tags'); // await node.bag(key): every publisher's values
      await namespace.set('profile', utf8('alice')); // await node.namespace(key, value): under my public key
      const mine = await namespace.get(publisherKey, 'profile'); // await node.namespace(public_key, key)
      // #endregion qadom
      return { got: text(value!), bag: entries.map((e) => text(e.value)).sort(), namespace: mine === undefined ? undefined : text(mine.value) };
    })(),
  );
}

// Run on its own: `node dist/docs/examples/seed-systems.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const net = await seedNetwork();
  try {
    console.log('py-ipv8  ', JSON.stringify(await pyIpv8(net)));
    console.log('hivemind ', JSON.stringify(await hivemind(net)));
    console.log('hivemind ', JSON.stringify(await hivemindValues(net)));
    console.log('libp2p   ', JSON.stringify(await libp2p(net)));
    console.log('erlang   ', JSON.stringify(await erlangDht(net)));
    console.log('qadom    ', JSON.stringify(await qadom(net)));
  } finally {
    await net.stop();
  }
  console.log('state    ', JSON.stringify(await stateOnDisk()));
}
