/**
 * DHT protocol details on the in-memory network: store tokens, paged find responses, full-bucket pings,
 * lookups around dead nodes, quorum and caching, bucket refresh, DHTError reasons and a clean stop.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity, DHTError, compareDistance, hashKey, unsignedRecord } from '../../../communities/dht/index.js';
import type { BucketInfo, DHTSettings, FindReply, LookupResult, RecordVerdict, ValueRecord } from '../../../communities/dht/index.js';
import { getBit, maskPrefix } from '../../../communities/dht/routing/node-id.js';
import type { RefreshTarget } from '../../../communities/dht/routing/types.js';
import { SeededRandom, toHex, utf8 } from '../../../framework/index.js';
import type { Address, OverlayHost } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import { simNet } from '../../helpers/memory-nodes.js';
import type { SimNet } from '../../helpers/memory-nodes.js';

const MINUTE_MS = 60_000;

/** Expects `promise` to reject with a DHTError of `reason`. */
async function expectDHTError(promise: Promise<unknown>, reason: DHTError['reason']): Promise<DHTError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DHTError);
  expect((error as DHTError).reason).toBe(reason);
  return error as DHTError;
}

/** `count` standalone DHT nodes (no bootstrap): the test decides who talks to whom. */
async function isolatedNodes(net: SimNet, count: number, settings: DHTSettings): Promise<Array<{ host: OverlayHost; dht: DHTCommunity }>> {
  const out: Array<{ host: OverlayHost; dht: DHTCommunity }> = [];
  for (let i = 0; i < count; i++) {
    const host = await net.addHost({ setup: (h) => h.register(DHTCommunity, settings) });
    out.push({ host, dht: host.get(DHTCommunity) });
  }
  return out;
}

const addressOf = (dht: DHTCommunity): Address => dht.context.transport.localAddress;
const peerOf = (dht: DHTCommunity): { id: Uint8Array; address: Address } => ({ id: dht.nodeId, address: addressOf(dht) });

/** `from` sends one raw store request of `records` (an hour to live) under `key` to `to`, with `token`. */
function sendStore(from: DHTCommunity, to: DHTCommunity, token: Uint8Array, key: Uint8Array, records: readonly ValueRecord[]): Promise<RecordVerdict[]> {
  const expiresAt = from.context.clock.now() + 3_600_000;
  return from.values.client.storeOn({ peer: peerOf(to), token }, key, records.map((record) => ({ record, expiresAt })));
}

describe('store tokens (BEP 5)', () => {
  it('a store needs a token the storing node issued to the sender address; tokens expire after rotation', async () => {
    const net = await dhtNet(6, 11);
    const [a, b, c] = net.dhts as [DHTCommunity, DHTCommunity, DHTCommunity];
    const key = hashKey('token test');
    const records = [unsignedRecord(key, utf8('one')), unsignedRecord(key, utf8('two'))];

    // B asks A and gets a token bound to B's address.
    const reply = await net.clock.settle(b.queryFind(peerOf(a), key, true));
    const tokenForB = reply.token;

    // C presents B's token: every record is refused and nothing is stored.
    const stolen = await net.clock.settle(sendStore(c, a, tokenForB, key, records));
    expect(stolen).toEqual(['bad-token', 'bad-token']);
    // A made-up token fares no better.
    const madeUp = await net.clock.settle(sendStore(c, a, new SeededRandom(5).bytes(8), key, records));
    expect(madeUp).toEqual(['bad-token', 'bad-token']);
    expect(a.store.size).toBe(0);
    expect(a.store.get(key)).toEqual([]);
    expect(a.statistics.storeVerdicts['bad-token']).toBe(4);
    expect(a.stats.dropped['bad-token']).toBe(2);

    // B's own token works, and still does 4 minutes later (previous secret).
    expect(await net.clock.settle(sendStore(b, a, tokenForB, key, records.slice(0, 1)))).toEqual(['stored']);
    await net.clock.advance(4 * MINUTE_MS);
    expect(await net.clock.settle(sendStore(b, a, tokenForB, key, records))).toEqual(['refreshed', 'stored']);
    expect(a.store.get(key)).toHaveLength(2);

    // After two rotations (> 10 minutes) the old token is refused; a fresh one is accepted.
    const fresh = await net.clock.settle(b.queryFind(peerOf(a), key, false));
    await net.clock.advance(11 * MINUTE_MS);
    const record3 = [unsignedRecord(key, utf8('three'))];
    expect(await net.clock.settle(sendStore(b, a, tokenForB, key, record3))).toEqual(['bad-token']);
    expect(await net.clock.settle(sendStore(b, a, fresh.token, key, record3))).toEqual(['bad-token']);
    const renewed = await net.clock.settle(b.queryFind(peerOf(a), key, false));
    expect(await net.clock.settle(sendStore(b, a, renewed.token, key, record3))).toEqual(['stored']);
    await net.stopAll();
  });
});

describe('find responses stay within one datagram', () => {
  it('64 values of 300 bytes under one key are served in pages, every packet <= maxPacketBytes, and findValues gets each once', async () => {
    const net = await dhtNet(12, 12);
    const holder = net.dhts[5]!;
    const holderHost = net.hosts[5]!;
    const asker = net.dhts[9]!;
    const key = holder.nodeId; // the holder is the node closest to the key, so every lookup reaches it
    const data = Array.from({ length: 64 }, (_, i) => {
      const d = new Uint8Array(300).fill(i);
      d[0] = 0xaa;
      return d;
    });
    for (const d of data) expect(holder.store.put(unsignedRecord(key, d), 3_600_000, { origin: 'store' })).toBe('stored');

    const sizes: number[] = [];
    const endpoint = holderHost.endpoint;
    const send = endpoint.send.bind(endpoint);
    endpoint.send = (to, packet) => {
      sizes.push(packet.length);
      send(to, packet);
    };

    const first = await net.clock.settle(asker.queryFind(peerOf(holder), key, true));
    expect(first.total).toBe(64);
    expect(first.found!.length).toBeGreaterThan(0);
    expect(first.found!.length).toBeLessThan(64);

    const values = await net.clock.settle(asker.findValues(key, { limit: 1_000 }));
    expect(values).toHaveLength(64);
    const seen = new Set(values.map((v) => toHex(v.data)));
    expect(seen.size).toBe(64);
    for (const d of data) expect(seen.has(toHex(d))).toBe(true);
    expect(values.every((v) => v.publicKey === null && v.version === 0)).toBe(true);

    const max = holder.context.transport.maxPacketBytes;
    expect(Math.max(...sizes)).toBeLessThanOrEqual(max);
    expect(Math.max(...sizes)).toBeGreaterThan(max / 2); // pages are filled, not one value each
    expect(holder.stats.sent['dht-find-response']!).toBeGreaterThanOrEqual(Math.ceil((64 * 300) / max) + 1);
    expect(holder.stats.handlerErrors).toBe(0);
    await net.stopAll();
  });
});

describe('full buckets', () => {
  it('ping the least recently seen contact: keep it if it answers, replace it from the cache if it does not', async () => {
    const net = simNet(13, { latencyMs: 10 });
    const settings: DHTSettings = { bucketSize: 2, refreshIntervalMs: 24 * 60 * MINUTE_MS };
    const [self] = await isolatedNodes(net, 1, settings);
    const a = self!.dht;
    // Nodes whose first bit differs from A's all fall into A's far bucket (capacity 2).
    const far: DHTCommunity[] = [];
    while (far.length < 4) {
      const [n] = await isolatedNodes(net, 1, settings);
      if (getBit(n!.dht.nodeId, 0) !== getBit(a.nodeId, 0)) far.push(n!.dht);
    }
    const [x1, x2, x3, x4] = far as [DHTCommunity, DHTCommunity, DHTCommunity, DHTCommunity];
    const hostOf = (d: DHTCommunity): OverlayHost => net.hosts.find((h) => h.get(DHTCommunity) === d)!;
    const farBucket = (): BucketInfo => a.routingTable.buckets().find((b) => b.depth === 1 && !b.containsSelf)!;

    await net.clock.settle(x1.ping({ address: addressOf(a) }));
    await net.clock.advance(1_000);
    await net.clock.settle(x2.ping({ address: addressOf(a) }));
    await net.clock.advance(1_000);
    expect(a.routingTable.contacts().map((c) => toHex(c.id))).toEqual([toHex(x1.nodeId), toHex(x2.nodeId)]);

    // X3 arrives while X1 (least recently seen) was heard from a moment ago: X1 is good, so no ping; X3
    // waits in the replacement cache.
    const x1Pings = x1.stats.received['dht-ping-request'] ?? 0;
    await net.clock.settle(x3.ping({ address: addressOf(a) }));
    await net.clock.advance(1_000);
    expect(x1.stats.received['dht-ping-request'] ?? 0).toBe(x1Pings);
    expect(a.routingTable.has(x3.nodeId)).toBe(false);
    expect(farBucket().replacements.map((c) => toHex(c.id))).toEqual([toHex(x3.nodeId)]);

    // Sixteen quiet minutes later (a contact is good for 15) X3 speaks again: the bucket is full and X1 is
    // silent, so A pings X1; X1 answers and stays (now most recently seen).
    await net.clock.advance(16 * MINUTE_MS);
    await net.clock.settle(x3.ping({ address: addressOf(a) }));
    await net.clock.advance(1_000);
    expect(x1.stats.received['dht-ping-request']).toBe(x1Pings + 1);
    expect(a.routingTable.has(x1.nodeId)).toBe(true);
    expect(a.routingTable.has(x3.nodeId)).toBe(false);
    expect(farBucket().replacements.map((c) => toHex(c.id))).toEqual([toHex(x3.nodeId)]);
    expect(farBucket().contacts.map((c) => toHex(c.id))).toEqual([toHex(x2.nodeId), toHex(x1.nodeId)]);

    // X2 is now least recently seen. It goes offline; X4 arrives; A's ping to X2 goes unanswered and the
    // newest replacement (X4) takes X2's slot.
    await hostOf(x2).stop();
    const timeoutsBefore = a.statistics.timeouts;
    await net.clock.settle(x4.ping({ address: addressOf(a) }));
    await net.clock.advance(5_000);
    expect(a.statistics.timeouts).toBe(timeoutsBefore + 1);
    expect(a.routingTable.has(x2.nodeId)).toBe(false);
    expect(a.routingTable.has(x4.nodeId)).toBe(true);
    expect(a.routingTable.has(x1.nodeId)).toBe(true);
    expect(farBucket().replacements.map((c) => toHex(c.id))).toEqual([toHex(x3.nodeId)]);
    await net.stopAll();
  });
});

describe('lookups around dead nodes', () => {
  it('a dead seed does not block a lookup: it finishes within one adaptive hard timeout, and timeouts are counted', async () => {
    const settings: DHTSettings = { requestTimeoutMs: [1_000, 4_000] };
    const net = await dhtNet(60, 14, settings);
    const asker = net.dhts[20]!;
    const [minTimeout, maxTimeout] = settings.requestTimeoutMs!;
    const hostOf = (d: DHTCommunity): OverlayHost => net.hosts[net.dhts.indexOf(d)]!;
    const byId = (id: Uint8Array): DHTCommunity => net.dhts.find((d) => toHex(d.nodeId) === toHex(id))!;
    const trueClosest = (target: Uint8Array, exclude: readonly DHTCommunity[]): string[] =>
      net.dhts
        .filter((d) => !exclude.includes(d))
        .sort((x, y) => compareDistance(target, x.nodeId, y.nodeId))
        .slice(0, 8)
        .map((d) => toHex(d.nodeId));

    // (a) The asker's best seed toward a target is dead, and is not among the nodes truly closest to it:
    // its slot is freed after the soft timeout, and the lookup converges on live nodes before the dead
    // node's hard timeout even fires.
    const rnd = new SeededRandom(99);
    const farSeed = (t: Uint8Array): Uint8Array | undefined =>
      asker.routingTable.closest(t, asker.settings.alpha).find((c) => !trueClosest(t, [asker]).includes(toHex(c.id)))?.id;
    let target = rnd.bytes(20);
    for (let i = 0; i < 500 && farSeed(target) === undefined; i++) target = rnd.bytes(20);
    const dead = byId(farSeed(target)!);
    await hostOf(dead).stop();
    const hardTimeout = asker.rtt.timeoutMs(toHex(dead.nodeId));
    expect(hardTimeout).toBeLessThan(maxTimeout); // adaptive: from the measured RTT, not the maximum
    let timeouts = asker.statistics.timeouts;
    let startedAt = net.clock.now();
    const a = await net.clock.settle(asker.lookup(target, false), 60_000, 5);
    const elapsedA = net.clock.now() - startedAt;
    expect(a.closest.map((x) => toHex(x.peer.id))).toEqual(trueClosest(target, [dead, asker]));
    expect(elapsedA).toBeLessThan(hardTimeout / 2);
    await net.clock.advance(maxTimeout);
    expect(asker.statistics.timeouts).toBeGreaterThan(timeouts);

    // (b) A dead node is the closest to the target: the lookup waits for it once (its own hard timeout),
    // never once per round, and leaves it out of the result.
    const dead2 = byId(asker.routingTable.closest(net.dhts[11]!.nodeId, 8).find((c) => toHex(c.id) !== toHex(dead.nodeId))!.id);
    const target2 = Uint8Array.from(dead2.nodeId);
    target2[19] = target2[19]! ^ 1;
    await hostOf(dead2).stop();
    timeouts = asker.statistics.timeouts;
    startedAt = net.clock.now();
    const b = await net.clock.settle(asker.lookup(target2, false), 60_000, 5);
    const elapsedB = net.clock.now() - startedAt;
    expect(b.failed).toBeGreaterThanOrEqual(1);
    expect(b.closest.map((x) => toHex(x.peer.id))).toEqual(trueClosest(target2, [dead, dead2, asker]));
    expect(asker.statistics.timeouts).toBeGreaterThan(timeouts);
    expect(elapsedB).toBeLessThan(2 * maxTimeout);
    expect(elapsedB).toBeLessThan(minTimeout + 300);
    await net.stopAll();
  });
});

describe('value lookups', () => {
  it('findValues stops at quorum (fewer queries than node lookups) and caches on the closest node that lacked the value', async () => {
    const net = await dhtNet(60, 15);
    const publisher = net.dhts[7]!;
    const names = Array.from({ length: 10 }, (_, i) => `quorum and cache ${i}`);
    for (const name of names) {
      expect(await net.clock.settle(publisher.storeValue(name, utf8(`value of ${name}`), { sign: true }))).toBe(8);
    }
    // The asker knows none of the 8 nodes holding the first key, so its lookup takes a few hops. A twin
    // that starts from the asker's routing table runs full node lookups toward the same keys, for comparison.
    const key = hashKey(names[0]!);
    const holders = new Set(net.dhts.filter((d) => d.store.get(key).length > 0));
    expect(holders.size).toBe(8);
    const holderHex = new Set([...holders].map((d) => toHex(d.nodeId)));
    const asker = [...net.dhts]
      .sort((x, y) => compareDistance(key, y.nodeId, x.nodeId))
      .find((d) => !holders.has(d) && ![...holders].some((h) => d.routingTable.has(h.nodeId)))!;
    expect(asker).toBeDefined();
    const twin = (await net.addHost({ setup: (h) => h.register(DHTCommunity, {}) })).get(DHTCommunity);
    twin.routingTable.load(asker.routingTable.snapshot());

    let lookupResult: LookupResult<FindReply> | undefined;
    const lookup = asker.lookup.bind(asker);
    asker.lookup = async (...args) => {
      const r = await lookup(...args);
      if (args[1]) lookupResult = r;
      return r;
    };
    const cached: DHTCommunity[] = [];
    for (const d of net.dhts) d.on('value:stored', (k, origin) => origin === 'cache' && toHex(k) === toHex(key) && cached.push(d));

    const queriesBefore = asker.statistics.queries;
    const values = await net.clock.settle(asker.findValues(names[0]!));
    await net.clock.advance(1_000);
    expect(values).toHaveLength(1);
    expect(new TextDecoder().decode(values[0]!.data)).toBe(`value of ${names[0]}`);
    expect(values[0]!.publicKey?.midHex).toBe(publisher.context.key.publicKey.midHex);

    // Early stop: `quorum` responders with values, before all k closest (the 8 holders) answered.
    const first = lookupResult!;
    expect(first.found.length).toBeGreaterThanOrEqual(asker.settings.quorum);
    expect(first.closest.filter((a) => holderHex.has(toHex(a.peer.id))).length).toBeLessThan(holders.size);

    // The cache copy went to the closest answering node without the value, and only there.
    const target = first.closest.find((a) => a.reply.found === undefined)!;
    expect(target).toBeDefined();
    for (const a of first.closest) {
      if (a === target) break;
      expect(a.reply.found).toBeDefined();
    }
    expect(cached).toHaveLength(1);
    expect(toHex(cached[0]!.nodeId)).toBe(toHex(target.peer.id));
    expect(holders.has(cached[0]!)).toBe(false);
    const entry = cached[0]!.store.get(key);
    expect(entry).toHaveLength(1);
    expect(entry[0]!.origin).toBe('cache');
    expect(cached[0]!.store.dueForReplication(net.clock.now() + 1e9, 1)).toHaveLength(0); // caches are never replicated

    // Over ten keys, value lookups send fewer queries than full node lookups from the same start.
    for (const name of names.slice(1)) {
      const found = await net.clock.settle(asker.findValues(name));
      expect(found.map((v) => new TextDecoder().decode(v.data))).toEqual([`value of ${name}`]);
    }
    const valueQueries = asker.statistics.queries - queriesBefore;
    let nodeQueries = 0;
    for (const name of names) {
      const r = await net.clock.settle(twin.lookup(hashKey(name), false));
      nodeQueries += r.queried;
    }
    expect(valueQueries).toBeLessThan(nodeQueries);
    await net.stopAll();
  });
});

describe('bucket refresh', () => {
  it('refreshes stale buckets on the injected clock, each with a lookup target inside the bucket range', async () => {
    const settings: DHTSettings = { refreshIntervalMs: 10 * MINUTE_MS, maintenanceIntervalMs: MINUTE_MS };
    const net = await dhtNet(24, 16, settings);
    const used: Array<{ node: DHTCommunity; bucket: RefreshTarget; staleFor: number }> = [];
    const lookups: Array<{ node: DHTCommunity; target: string }> = [];
    for (const d of net.dhts) {
      const table = d.routingTable;
      const stale = table.staleBuckets.bind(table);
      table.staleBuckets = (now?: number) => {
        const targets = stale(now);
        for (const t of targets) {
          const info = table.buckets().find((b) => b.depth === t.depth && toHex(b.prefix) === toHex(t.prefix))!;
          used.push({ node: d, bucket: t, staleFor: net.clock.now() - info.lastChanged });
        }
        return targets;
      };
      const lookup = d.lookup.bind(d);
      d.lookup = (target, ...rest) => {
        lookups.push({ node: d, target: toHex(target) });
        return lookup(target, ...rest);
      };
    }
    const refreshes = (): number => net.dhts.reduce((s, d) => s + d.statistics.refreshes, 0);

    await net.clock.advance(8 * MINUTE_MS);
    expect(refreshes()).toBe(0);
    expect(used).toHaveLength(0);
    await net.clock.advance(6 * MINUTE_MS);
    expect(refreshes()).toBeGreaterThan(0);
    expect(used.length).toBeGreaterThan(0);
    for (const { node, bucket, staleFor } of used) {
      expect(staleFor).toBeGreaterThanOrEqual(settings.refreshIntervalMs!);
      expect(toHex(maskPrefix(bucket.target, bucket.depth))).toBe(toHex(bucket.prefix));
      expect(lookups.some((l) => l.node === node && l.target === toHex(bucket.target))).toBe(true);
    }
    expect(refreshes()).toBe(used.length);
    await net.stopAll();
  });
});

describe('DHTError reasons', () => {
  it("'no-nodes' on an empty routing table (a store is kept here, 0 acks), 'too-large' before anything is sent", async () => {
    const net = simNet(17);
    const [lone] = await isolatedNodes(net, 1, {});
    await expectDHTError(lone!.dht.findValues('anything'), 'no-nodes');
    expect(await lone!.dht.storeValue('anything', utf8('v'))).toBe(0);
    await expectDHTError(lone!.dht.findClosestNodes(hashKey('x')), 'no-nodes');
    const sent = lone!.host.endpoint.stats.packetsSent;
    const error = await expectDHTError(lone!.dht.storeValue('big', new Uint8Array(1_025)), 'too-large');
    expect(error.message).toContain('1025');
    expect(lone!.host.endpoint.stats.packetsSent).toBe(sent);
    await net.stopAll();
  });

  it("'aborted' when the caller's signal fires, before or during the lookup", async () => {
    const net = await dhtNet(10, 18);
    const d = net.dhts[4]!;
    await expectDHTError(d.findValues('k', { signal: AbortSignal.abort() }), 'aborted');
    const controller = new AbortController();
    const find = d.findValues('k', { signal: controller.signal });
    const store = d.storeValue('k', utf8('v'), { signal: controller.signal });
    for (const p of [find, store]) p.catch(() => undefined); // checked below
    await net.clock.advance(5);
    controller.abort();
    await expectDHTError(net.clock.settle(find), 'aborted');
    await expectDHTError(net.clock.settle(store), 'aborted');
    expect(d.isRunning).toBe(true);
    await net.stopAll();
  });

  it("'stopped' when the community stops mid-operation", async () => {
    const net = await dhtNet(10, 19);
    const d = net.dhts[4]!;
    const find = d.findValues('k');
    const store = d.storeValue('k', utf8('v'));
    const nodes = d.findClosestNodes(hashKey('k'));
    for (const p of [find, store, nodes]) p.catch(() => undefined); // checked below
    await net.clock.advance(5);
    await net.hosts[4]!.stop();
    await expectDHTError(find, 'stopped');
    await expectDHTError(store, 'stopped');
    await expectDHTError(nodes, 'stopped');
    await expectDHTError(d.findValues('k'), 'stopped');
    await net.stopAll();
  });

  it('storeValue rejects with a DHTError when no node is reachable, and succeeds when retried later', async () => {
    const net = await dhtNet(4, 20);
    const d = net.dhts[3]!;
    for (let i = 0; i < 3; i++) await net.hosts[i]!.stop();
    const error = await expectDHTError(net.clock.settle(d.storeValue('retry me', utf8('v'))), 'no-nodes');
    expect(error.message).toMatch(/try again/);
    expect(d.statistics.storesFailed).toBe(1);

    // Later a node is back: the same call succeeds.
    const host = await net.addHost({ setup: (h) => h.register(DHTCommunity, {}) });
    await net.clock.settle(d.ping({ address: host.endpoint.address }));
    expect(await net.clock.settle(d.storeValue('retry me', utf8('v')))).toBe(1);
    const found = await net.clock.settle(host.get(DHTCommunity).findValues('retry me'));
    expect(found.map((v) => new TextDecoder().decode(v.data))).toEqual(['v']);
    await net.stopAll();
  });
});

describe('lifecycle', () => {
  it('stop() leaves no timers, even with lookups, stores and pings in flight', async () => {
    const net = await dhtNet(16, 21);
    const pending = net.dhts.flatMap((d, i) => [
      d.storeValue(`k${i}`, utf8(`v${i}`), { sign: i % 2 === 0 }),
      d.findValues(`k${(i + 1) % 16}`),
    ]);
    for (const p of pending) p.catch(() => undefined);
    await net.clock.advance(15);
    expect(net.network.stats.inFlight).toBeGreaterThan(0);
    expect(net.clock.pendingTimers()).toBeGreaterThan(0);
    await net.stopAll();
    await net.stopAll(); // idempotent
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof DHTError && o.reason.reason === 'stopped')).toBe(true);
    await net.clock.advance(1_000); // in-flight packets arrive at closed endpoints and are dropped
    expect(net.network.stats.inFlight).toBe(0);
    expect(net.clock.pendingTimers()).toBe(0);
    expect(net.dhts.every((d) => !d.isRunning && d.requests.size === 0)).toBe(true);
  });
});
