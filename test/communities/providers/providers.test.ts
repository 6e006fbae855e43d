/**
 * Provider records on 50 in-memory nodes: 20 nodes provide one key and a finder gets all of them, each at
 * the address its storers saw (the provider's own IP, with the port it named); a third party cannot file
 * an announcement from another address nor make one point elsewhere; forged and altered announcements
 * are refused and counted, and so are malformed records on the wire; a provider keeps one record per key
 * (the newest).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey, RECORD_VERDICTS } from '../../../communities/dht/index.js';
import type { LookupEvent } from '../../../communities/dht/index.js';
import { ProvidersCommunity, ProvidersError, ProvidersMessages, signProviderRecord } from '../../../communities/providers/index.js';
import type { Provider, ProviderRecord } from '../../../communities/providers/index.js';
import { addressKey, equalBytes } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 50;
/** Kademlia k (the DHT default): how many nodes store each announcement. */
const K = 8;
const PROVIDERS = 20;
let net: OverlayNet;
let nodes: ProvidersCommunity[];

/** Provider index i announces port 5000 + i. */
const portOf = (i: number): number => 5_000 + i;
const byMid = (ps: readonly Provider[]): Provider[] => [...ps].sort((a, b) => (a.mid < b.mid ? -1 : 1));
/** Every storer's held records under `key`. */
const held = (key: Uint8Array): Array<{ holder: ProvidersCommunity; record: ProviderRecord }> =>
  nodes.filter((n) => n.isRunning).flatMap((holder) => holder.records.store.get(key).map((h) => ({ holder, record: h.record })));
const hostOf = (c: ProvidersCommunity): string => net.hosts[nodes.indexOf(c)]!.endpoint.address.host;

beforeAll(async () => {
  net = await overlayNet(NODES, 1_515, (h) => h.register(ProvidersCommunity));
  nodes = net.hosts.map((h) => h.get(ProvidersCommunity));
  // Providers: nodes 1..20 announce 'shared', each with its own port.
  const outcomes = await net.clock.settle(Promise.all(Array.from({ length: PROVIDERS }, (_, i) => nodes[1 + i]!.provide('shared', { port: portOf(i) }))));
  for (const o of outcomes) {
    expect(o.stored).toBe(K);
    expect(o.keptHere).toBe(false); // a provider keeps no copy of its own: only storers stamp addresses
  }
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('ProvidersCommunity (50 in-memory nodes)', () => {
  it('a finder gets all 20 providers, each at the IP its storers saw with the port it named', async () => {
    const finder = nodes[40]!;
    const events: LookupEvent[] = [];
    const pagesBefore = finder.records.statistics.pagesRequested;
    const found = await net.clock.settle(finder.findProviders('shared', { limit: 100, onEvent: (e) => void events.push(e) }));
    expect(found).toHaveLength(PROVIDERS);
    const expected = Array.from({ length: PROVIDERS }, (_, i) => ({ mid: nodes[1 + i]!.context.key.publicKey.midHex, address: { host: hostOf(nodes[1 + i]!), port: portOf(i) } }));
    expect(byMid(found).map((p) => ({ mid: p.mid, address: p.address }))).toEqual(byMid(expected as Provider[]).map((p) => ({ mid: p.mid, address: p.address })));
    for (const p of found) {
      expect(p.publicKey.midHex).toBe(p.mid);
      expect(p.expiresAt).toBeGreaterThan(net.clock.now());
    }
    // "Providers found per lookup": one findProviders, with its queries counted.
    const queries = events.filter((e) => e.type === 'query').length;
    const pages = finder.records.statistics.pagesRequested - pagesBefore;
    console.log(`providers per lookup: ${found.length}/${PROVIDERS} found by one findProviders (limit 100) in a ${NODES}-node network: ${queries} lookup queries, ${pages} record pages`);
    expect(queries).toBeGreaterThan(0);
    // With the default limit (20) the lookup ends once it has 20: usually before it converged.
    const events20: LookupEvent[] = [];
    const first20 = await net.clock.settle(nodes[45]!.findProviders('shared', { onEvent: (e) => void events20.push(e) }));
    expect(first20).toHaveLength(20);
    console.log(`providers per lookup: ${first20.length} found with the default limit (20): ${events20.filter((e) => e.type === 'query').length} lookup queries`);
  });

  it('every storer stamps the IP it saw, never an address in the announcement', async () => {
    const records = held(hashKey('shared'));
    expect(records.length).toBeGreaterThanOrEqual(PROVIDERS * 6);
    for (const { record } of records) {
      const provider = nodes.find((n) => equalBytes(n.context.key.publicKey.toBinary(), record.publicKey))!;
      expect(record.host).toBe(hostOf(provider));
    }
    // An announcement that carries an address of its own: the storers overwrite it with the sender's IP.
    const liar = nodes[30]!;
    const now = liar.now();
    const claimed: ProviderRecord = { ...signProviderRecord(liar.context.key, { key: hashKey('claims'), port: 80, version: now, expiresAt: now + 3_600_000 }), host: '203.0.113.9' };
    const outcome = await net.clock.settle(liar.records.client.publish(hashKey('claims'), [{ record: claimed, expiresAt: claimed.expiresAt }]));
    expect(outcome.acks).toBeGreaterThanOrEqual(6);
    const stored = held(hashKey('claims'));
    expect(stored.length).toBe(outcome.acks);
    for (const { record } of stored) expect(record.host).toBe(hostOf(liar));
    const [found] = await net.clock.settle(nodes[2]!.findProviders('claims'));
    expect(found!.address).toEqual({ host: hostOf(liar), port: 80 });
  });

  it('a third party cannot file a provider\'s announcement: every storer refuses it and counts it', async () => {
    // Node 3's announcement of 'relay-me', relayed by node 33 (another address) to the k closest.
    const provider = nodes[3]!;
    const relay = nodes[33]!;
    const now = provider.now();
    const announcement = signProviderRecord(provider.context.key, { key: hashKey('relay-me'), port: 9_999, version: now, expiresAt: now + 3_600_000 });
    const before = nodes.reduce((n, c) => n + c.counters.notFromProvider, 0);
    const invalidBefore = nodes.reduce((n, c) => n + (c.records.statistics.verdicts.invalid ?? 0), 0);
    const outcome = await net.clock.settle(relay.records.client.publish(hashKey('relay-me'), [{ record: announcement, expiresAt: announcement.expiresAt }], { includeSelf: false }));
    expect(outcome.acks).toBe(0);
    const answered = outcome.verdicts.invalid ?? 0;
    expect(answered).toBeGreaterThanOrEqual(6);
    expect(Object.keys(outcome.verdicts)).toEqual(['invalid']);
    expect(nodes.reduce((n, c) => n + c.counters.notFromProvider, 0) - before).toBe(answered);
    expect(nodes.reduce((n, c) => n + (c.records.statistics.verdicts.invalid ?? 0), 0) - invalidBefore).toBe(answered);
    expect(held(hashKey('relay-me'))).toEqual([]);
    expect(await net.clock.settle(nodes[44]!.findProviders('relay-me'))).toEqual([]);
  });

  it('forged and altered announcements are refused (bad-signature) and counted; a lying storer\'s copy is dropped by readers', async () => {
    const provider = nodes[4]!;
    const now = provider.now();
    const genuine = signProviderRecord(provider.context.key, { key: hashKey('forged'), port: 7_000, version: now, expiresAt: now + 3_600_000 });
    const altered: ProviderRecord[] = [
      { ...genuine, port: 7_001 }, // another port than the one signed
      { ...genuine, expiresAt: genuine.expiresAt + 60_000 }, // a longer life than the one signed
      { ...genuine, signature: genuine.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) }, // a flipped bit
    ];
    const badBefore = nodes.reduce((n, c) => n + (c.records.statistics.verdicts['bad-signature'] ?? 0), 0);
    let refusals = 0;
    for (const record of altered) {
      const outcome = await net.clock.settle(provider.records.client.publish(hashKey('forged'), [{ record, expiresAt: genuine.expiresAt }], { includeSelf: false }));
      expect(outcome.acks).toBe(0);
      expect(Object.keys(outcome.verdicts)).toEqual(['bad-signature']);
      refusals += outcome.verdicts['bad-signature']!;
    }
    expect(nodes.reduce((n, c) => n + (c.records.statistics.verdicts['bad-signature'] ?? 0), 0) - badBefore).toBe(refusals);
    expect(held(hashKey('forged'))).toEqual([]);

    // The genuine one is taken; then one storer lies about it (another port): readers check every record.
    await net.clock.settle(provider.provide('forged', { port: 7_000 }));
    const holders = held(hashKey('forged'));
    const liar = holders[0]!;
    liar.holder.records.store.insertUnverified({ ...liar.record, port: 7_001 }, 3_600_000);
    const reader = nodes.find((n) => !holders.some((h) => h.holder === n) && n !== provider)!;
    const rejectedBefore = reader.records.statistics.recordsRejected;
    const found = await net.clock.settle(reader.findProviders('forged', { limit: 100 }));
    expect(found.map((p) => p.address.port)).toEqual([7_000]);
    expect(reader.records.statistics.recordsRejected - rejectedBefore).toBe(1); // the liar's copy, checked and dropped
  });

  it('one record per provider per key: providing again replaces it (a new version, another port)', async () => {
    const p = nodes[5]!;
    const first = await net.clock.settle(p.provide('moving', { port: 1_111 }));
    const second = await net.clock.settle(p.provide('moving', { port: 2_222 }));
    expect(second.verdicts.updated).toBeGreaterThanOrEqual(6);
    expect(second.expiresAt).toBeGreaterThanOrEqual(first.expiresAt);
    const records = held(hashKey('moving'));
    expect(new Set(records.map((r) => r.holder)).size).toBe(records.length); // one record per storer
    for (const { record } of records) expect(record.port).toBe(2_222);
    const found = await net.clock.settle(nodes[47]!.findProviders('moving'));
    expect(found.map((f) => addressKey(f.address))).toEqual([`${hostOf(p)}:2222`]);
    expect(p.providing().filter((x) => x.key === second.key)).toEqual([{ key: second.key, port: 2_222, expiresAt: second.expiresAt }]);
  });

  it('without a port the port is implied: finders get the address the storers saw, port included', async () => {
    const p = nodes[12]!;
    const outcome = await net.clock.settle(p.provide('implied'));
    expect(outcome.port).toBe(0);
    const found = await net.clock.settle(nodes[48]!.findProviders('implied'));
    expect(found.map((f) => f.address)).toEqual([net.hosts[12]!.endpoint.address]);
    for (const { record } of held(hashKey('implied'))) expect({ port: record.port, sourcePort: record.sourcePort }).toEqual({ port: 0, sourcePort: net.hosts[12]!.endpoint.address.port });
  });

  it('findProvidersAsync yields providers as storers answer, each once; breaking out ends the lookup', async () => {
    const finder = nodes[41]!;
    const all: Provider[] = [];
    await net.clock.settle(
      (async () => {
        for await (const p of finder.findProvidersAsync('shared', { limit: 100 })) all.push(p);
      })(),
    );
    expect(all).toHaveLength(PROVIDERS);
    expect(new Set(all.map((p) => p.mid)).size).toBe(PROVIDERS);
    const three: Provider[] = [];
    const events: LookupEvent[] = [];
    await net.clock.settle(
      (async () => {
        for await (const p of finder.findProvidersAsync('shared', { limit: 100, onEvent: (e) => void events.push(e) })) {
          three.push(p);
          if (three.length === 3) break;
        }
      })(),
    );
    expect(three).toHaveLength(3);
    await net.clock.advance(10_000);
    expect(events.some((e) => e.type === 'finished')).toBe(true); // the lookup ended
    const limited: Provider[] = [];
    await net.clock.settle(
      (async () => {
        for await (const p of finder.findProvidersAsync('shared', { limit: 5 })) limited.push(p);
      })(),
    );
    expect(limited).toHaveLength(5);
  });

  it('malformed records on the wire are refused or dropped and counted; the nodes keep running', async () => {
    const sender = nodes[7]!;
    const key = hashKey('malformed');
    const [target] = await net.clock.settle(net.dhts[7]!.findClosestNodes(key));
    const storer = nodes.find((n) => equalBytes(n.context.key.publicKey.mid, target!.peer.id))!;
    const now = sender.now();
    const good = sender.records.policy.toWire(signProviderRecord(sender.context.key, { key, port: 1, version: now, expiresAt: now + 3_600_000 }));
    const invalidBefore = storer.records.statistics.verdicts.invalid ?? 0;
    const reply = await net.clock.settle(
      sender.sendRequest(target!.peer.address, ProvidersMessages.Store, {
        token: target!.token,
        location: key,
        cache: false,
        cas: undefined,
        records: [
          { record: { ...good, ip: new Uint8Array(5) }, ttl: 60_000 }, // an IP of 5 bytes
          { record: { ...good, port: 70_000 }, ttl: 60_000 }, // a port out of range
          { record: good, ttl: 60_000 },
        ],
      }),
    );
    expect(reply.value.verdicts.map((c) => RECORD_VERDICTS[c])).toEqual(['invalid', 'invalid', 'stored']);
    expect((storer.records.statistics.verdicts.invalid ?? 0) - invalidBefore).toBe(2);
    expect(storer.records.store.get(key).map((h) => h.record.host)).toEqual([hostOf(sender)]);
    // A storer that serves a record without the address it saw: readers drop it and count it.
    const other = nodes[8]!;
    const liar = nodes.find((n) => n !== other && n !== sender && n !== storer && n.isRunning)!;
    liar.records.store.insertUnverified({ ...signProviderRecord(other.context.key, { key: hashKey('no address'), port: 2, version: now, expiresAt: now + 3_600_000 }) }, 3_600_000);
    const reader = nodes[9]!;
    const rejected = reader.records.statistics.recordsRejected;
    const peer = { id: liar.context.key.publicKey.mid, address: net.hosts[nodes.indexOf(liar)]!.endpoint.address };
    const page = await net.clock.settle(reader.records.client.read(peer, hashKey('no address'), 10));
    expect(page.records).toEqual([]);
    expect(reader.records.statistics.recordsRejected - rejected).toBe(1);
    expect(storer.isRunning && liar.isRunning && reader.isRunning).toBe(true);
  });

  it('bad arguments throw named errors before anything is sent', async () => {
    const p = nodes[6]!;
    await expect(p.provide('x', { port: 70_000 })).rejects.toMatchObject({ name: 'ProvidersError', reason: 'invalid-value' });
    await expect(p.provide('x', { port: 1.5 })).rejects.toMatchObject({ reason: 'invalid-value' });
    await expect(p.provide('x', { ttlMs: 1 })).rejects.toMatchObject({ reason: 'invalid-ttl' });
    await expect(p.provide(42 as unknown as string)).rejects.toMatchObject({ reason: 'invalid-key' });
    await expect(p.findProviders('x', { limit: 0 })).rejects.toBeInstanceOf(ProvidersError);
    await expect(p.findProviders('x', { limit: 1_001 })).rejects.toMatchObject({ reason: 'invalid-limit' });
    expect(() => p.stopProviding(7 as unknown as string)).toThrow(ProvidersError);
    expect(p.stopProviding('never provided')).toBe(false);
  });
});
