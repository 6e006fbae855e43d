/**
 * The code of `docs/dht-values.md`: absolute expiration and long lifetimes, `latest`, the local cache,
 * `first`, and bulk operations. Every function runs on UDP loopback or on an in-memory network;
 * `test/communities/dht/values-guide.test.ts` runs them and checks that each `#region` below appears
 * verbatim in the page. `node dist/docs/examples/dht-values.js` runs them on 127.0.0.1.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import type { DHTCommunity, FoundValue } from '../../communities/dht/index.js';
import { utf8 } from '../../framework/index.js';
import { startNodes } from './dht-guide.js';

/** Where a line of output goes (the page prints; the test collects). */
export type Log = (line: string) => void;

const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** Stores a value that expires at a given time, and one that lives three days (renewed by its publisher). */
export async function expiringValues(alice: DHTCommunity, bob: DHTCommunity, log: Log): Promise<number[]> {
  // #region expires-at
  // hivemind: dht.store('my_key', ('i', 'love', 'bees'), expiration_time=get_dht_time() + 600)
  const expiresAt = alice.context.clock.now() + 600_000; // ms since the epoch (Date.now() on a real node)
  await alice.storeValue('my_key', utf8('i love bees'), { sign: true, expiresAt });
  const [value] = await bob.findValues('my_key');
  log(`${text(value!.data)}, expires ${new Date(value!.expiresAt).toISOString()}`);

  // Longer than a storer's grant (maxTtlMs, 24 h), up to maxLifetimeMs (30 days): alice renews it every
  // day until then, while she runs. If she stops, it lives at most one more grant.
  await alice.storeValue('three days', utf8('long lived'), { expiresAt: alice.context.clock.now() + 3 * 86_400_000 });
  // #endregion expires-at
  return [expiresAt, value!.expiresAt];
}

/** Finds the freshest value with `latest`. */
export async function freshest(alice: DHTCommunity, bob: DHTCommunity, log: Log): Promise<string> {
  // #region latest
  await alice.storeValue('status', utf8('v1'), { sign: true });
  await alice.storeValue('status', utf8('v2'), { sign: true });
  // Asks every one of the k closest nodes it reaches (not just the first to answer), newest per
  // publisher, freshest first: values[0] is what hivemind's get(key, latest=True) returns.
  const values = await bob.findValues('status', { latest: true });
  log(`latest: ${text(values[0]!.data)}`);
  // #endregion latest
  return text(values[0]!.data);
}

/** Returns at the first storer's answer; the quorum's answer follows. */
export async function firstAnswer(bob: DHTCommunity, log: Log): Promise<{ first: string; quorum: string }> {
  // #region first
  // Returns as soon as one plausible storer answered: about one round trip sooner on a wide-area network.
  // The lookup goes on to the usual quorum in the background and hands its answer to onQuorum.
  let onQuorum: (values: FoundValue[]) => void = () => undefined;
  const quorum = new Promise<FoundValue[]>((resolve) => (onQuorum = resolve));
  const first = await bob.findValues('status', { first: true, cache: false, onQuorum });
  log(`first: ${text(first[0]!.data)}`); // one storer's word for which version is the newest
  log(`quorum: ${text((await quorum)[0]!.data)}`); // what a find without `first` returns
  // #endregion first
  return { first: text(first[0]!.data), quorum: text((await quorum)[0]!.data) };
}

/** A repeated find answered from the cache, and one that skips it. */
export async function cachedFinds(bob: DHTCommunity, log: Log): Promise<{ hits: number; misses: number }> {
  // #region cache
  await bob.findValues('status'); // from the cache (the `latest` find above filled it): no packet sent
  await bob.findValues('status', { cache: false }); // from the network, whatever the cache holds
  const { cacheHits, cacheMisses, cacheRefreshes } = bob.statistics;
  log(`cache: ${cacheHits} hit(s), ${cacheMisses} miss(es), ${cacheRefreshes} refresh(es)`);
  // #endregion cache
  return { hits: cacheHits, misses: cacheMisses };
}

/** Stores and finds many keys as one operation each. */
export async function bulk(alice: DHTCommunity, bob: DHTCommunity, log: Log): Promise<string[]> {
  // #region bulk
  // hivemind: store_many / get_many. One result per item, in order; one item's failure is its own.
  const keys = Array.from({ length: 20 }, (_, i) => `expert.${i}`);
  const stored = await alice.storeMany(keys.map((key) => ({ key, data: utf8(`${key} is up`), sign: true, ttlMs: 60_000 })));
  log(`stored ${stored.filter((r) => r.ok).length} of ${keys.length}`);
  const found = await bob.findMany(keys);
  const values = found.map((r) => (r.ok && r.value.length > 0 ? text(r.value[0]!.data) : '(none)'));
  log(`found ${values.filter((v) => v !== '(none)').length} of ${keys.length}: ${values[0]}, ...`);
  // #endregion bulk
  return values;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Eight nodes on UDP loopback, with the value cache on.
  const net = await startNodes({ count: 8, settings: { valueCache: { enabled: true } } });
  try {
    const [alice, bob] = [net.dhts[1]!, net.dhts[6]!];
    await expiringValues(alice, bob, console.log);
    await freshest(alice, bob, console.log);
    await cachedFinds(bob, console.log);
    await firstAnswer(bob, console.log);
    await bulk(alice, bob, console.log);
  } finally {
    await net.stop();
  }
}
