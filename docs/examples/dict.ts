/**
 * Example: subkey dictionaries (docs/dict.md). Each function builds a small simulated network on a virtual
 * clock, runs one scenario and returns what happened; `test/communities/dict/guide.test.ts` runs them,
 * checks the results, and checks that every `docs:start`/`docs:end` block below is quoted in docs/dict.md.
 * On real sockets give each `OverlayHost` a `new UdpEndpoint({ host, port })` and drop `clock.settle`.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DHTCommunity } from '../../communities/dht/index.js';
import { DictCommunity, DictError } from '../../communities/dict/index.js';
import type { DictEntry, DictRecord } from '../../communities/dict/index.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom, utf8 } from '../../framework/index.js';

/** A simulated network: every node runs the DHT and the dictionary community. */
export interface DictNetwork {
  /** The virtual clock: `clock.settle(promise)` runs the network until `promise` settles. */
  readonly clock: ManualClock;
  /** The nodes. */
  readonly hosts: OverlayHost[];
  /** Each node's dictionary community. */
  readonly dicts: DictCommunity[];
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Builds an `n`-node network; every node joins through the first one. */
export async function startDictNetwork(n = 30, seed = 1): Promise<DictNetwork> {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 10 });
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < n; i++) {
    const nodeRandom = new SeededRandom(random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: network.createEndpoint(), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, bootstrap: i === 0 ? [] : [hosts[0]!.endpoint.address] });
    // docs:start setup
    host.register(DHTCommunity); // first: the dictionary injects it
    host.register(DictCommunity); // settings: host.register(DictCommunity, { maxOpenPerKey: 64 })
    await host.start();
    // docs:end
    if (i > 0) await clock.settle(host.get(DHTCommunity).bootstrap());
    hosts.push(host);
  }
  return {
    clock,
    hosts,
    dicts: hosts.map((h) => h.get(DictCommunity)),
    stop: async () => {
      for (const h of hosts) await h.stop();
    },
  };
}

/** Writers add subkeys; a reader gets the merged dictionary, with owners and expirations. */
export async function dictBasics(): Promise<{ subkeys: string[]; owners: string[]; pages: number[] }> {
  const net = await startDictNetwork(30, 1);
  const [alice, bob, carol] = [net.dicts[3]!, net.dicts[11]!, net.dicts[25]!];
  const settle = <T>(p: Promise<T>): Promise<T> => net.clock.settle(p);
  let found: DictEntry[] = [];
  try {
    await settle(
      (async () => {
        // docs:start basics
        await alice.set('swarm', 'alice', utf8('10.0.0.1:8090'), { ttlMs: 2 * 3_600_000 }); // owned: signed by alice
        await bob.set('swarm', 'bob', utf8('10.0.0.2:8090')); // default lifetime: 1 h
        await bob.set('swarm', 'leader', utf8('bob'), { open: true, expiresAt: bob.now() + 90 * 60_000 }); // open; absolute expiration
        const { entries } = await carol.get('swarm');
        // entries: [{ subkey, value, expiresAt, owner?: PublicKey }, ...], the later expiration per subkey
        // docs:end
        found = entries;
      })(),
    );
    const text = (b: Uint8Array): string => new TextDecoder().decode(b);
    const pages: number[] = [];
    await settle(
      (async () => {
        // docs:start paging
        let cursor: string | undefined;
        do {
          const page = await carol.get('swarm', { limit: 2, cursor }); // at most 2 subkeys
          pages.push(page.entries.length);
          cursor = page.cursor; // absent after the last page
        } while (cursor !== undefined);
        // docs:end
      })(),
    );
    return {
      subkeys: found.map((e) => `${text(e.subkey)}=${text(e.value)}`).sort(),
      owners: found.map((e) => `${text(e.subkey)}:${e.owner === undefined ? 'open' : e.owner.midHex === alice.context.key.publicKey.midHex ? 'alice' : 'bob'}`).sort(),
      pages,
    };
  } finally {
    await net.stop();
  }
}

/** The later expiration wins; an earlier one is `stale`; equal ones resolve the same on every storer. */
export async function laterExpirationWins(): Promise<{ winner: string; earlier: string; tie: string }> {
  const net = await startDictNetwork(30, 2);
  const [a, b, c, reader] = [net.dicts[2]!, net.dicts[9]!, net.dicts[17]!, net.dicts[28]!];
  const settle = <T>(p: Promise<T>): Promise<T> => net.clock.settle(p);
  const now = net.clock.now();
  let refused = 'ok';
  try {
    await settle(
      (async () => {
        // docs:start later-wins
        await a.set('jobs', 'next', utf8('from a'), { open: true, expiresAt: now + 3_600_000 });
        await b.set('jobs', 'next', utf8('from b'), { open: true, expiresAt: now + 7_200_000 }); // later: replaces a's
        try {
          await c.set('jobs', 'next', utf8('from c'), { open: true, expiresAt: now + 5_400_000 }); // earlier than b's
        } catch (error) {
          if (error instanceof DictError) refused = error.reason; // 'stale': the storers hold a later expiration
        }
        // docs:end
      })(),
    );
    // Equal expirations: the lowest encoded entry wins, on every storer and for every reader.
    await settle(Promise.all([a.set('jobs', 'tie', utf8('yyy'), { open: true, expiresAt: now + 3_600_000 }), c.set('jobs', 'tie', utf8('xxx'), { open: true, expiresAt: now + 3_600_000 }).catch(() => undefined)]));
    const { entries } = await settle(reader.get('jobs'));
    const text = (s: string): string => new TextDecoder().decode(entries.find((e) => new TextDecoder().decode(e.subkey) === s)!.value);
    return { winner: text('next'), earlier: refused, tie: text('tie') };
  } finally {
    await net.stop();
  }
}

/** Owned subkeys: only the owner can replace one; an altered copy is refused as `bad-signature`. */
export async function ownedSubkeys(): Promise<{ verdicts: Record<string, number>; values: string[] }> {
  const net = await startDictNetwork(30, 3);
  const [alice, mallory, reader] = [net.dicts[4]!, net.dicts[19]!, net.dicts[27]!];
  const settle = <T>(p: Promise<T>): Promise<T> => net.clock.settle(p);
  try {
    await settle(alice.set('profiles', 'alice', utf8('alice v1')));
    const signed: DictRecord = [...alice.entries.own.values()][0]!.record;
    let verdicts: Record<string, number> = {};
    await settle(
      (async () => {
        // docs:start forgery
        const forged = { ...signed, value: utf8('mallory was here'), expiresAt: signed.expiresAt + 1 };
        const outcome = await mallory.storeRecords([forged]); // outcome.verdicts: { 'bad-signature': 8 }
        await mallory.set('profiles', 'alice', utf8('the real alice')); // mallory's own subkey "alice", next to alice's
        // docs:end
        verdicts = { ...outcome.verdicts };
      })(),
    );
    const { entries } = await settle(reader.get('profiles'));
    const who = (e: (typeof entries)[number]): string => (e.owner!.midHex === alice.context.key.publicKey.midHex ? 'alice' : 'mallory');
    return { verdicts, values: entries.map((e) => `${who(e)}:${new TextDecoder().decode(e.value)}`).sort() };
  } finally {
    await net.stop();
  }
}

/** Expiry: an entry is read until its expiration, then gone (storers never extend it). */
export async function expiry(): Promise<{ before: number; after: number; held: number }> {
  const net = await startDictNetwork(30, 4);
  const [writer, reader] = [net.dicts[6]!, net.dicts[21]!];
  try {
    await net.clock.settle(writer.set('presence', 'me', utf8('here'), { ttlMs: 10 * 60_000 }));
    await net.clock.advance(9 * 60_000);
    const before = (await net.clock.settle(reader.get('presence'))).entries.length;
    await net.clock.advance(3 * 60_000); // past the expiration, and an upkeep round that sweeps it
    const after = (await net.clock.settle(reader.get('presence'))).entries.length;
    const held = net.dicts.reduce((n, d) => n + d.entries.store.size, 0);
    return { before, after, held };
  } finally {
    await net.stop();
  }
}

// Run on its own: `node dist/docs/examples/dict.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify({ basics: await dictBasics(), later: await laterExpirationWins(), owned: await ownedSubkeys(), expiry: await expiry() }, null, 2));
}
