/**
 * The multi-key store (`communities/dht/records/store-many.ts`, messages 8 and 9 of the DHT): a bulk
 * store sends each storer the values of all its keys in as few datagrams as fit, each key's values
 * checked as a single store's, one verdict per value; a malformed one is dropped and counted. Counted
 * with the packet tap on the in-memory network.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHT_COMMUNITY_ID, signRecord, unsignedRecord } from '../../../communities/dht/index.js';
import type { DHTCommunity, ValueRecord } from '../../../communities/dht/index.js';
import { StoreManyRequest, StoreRequest, ValueMessages } from '../../../communities/dht/messages.js';
import { dhtKey } from '../../../communities/dht/arguments.js';
import { DHTError } from '../../../communities/dht/errors.js';
import { verdictCode, verdictOf } from '../../../communities/dht/records/policy.js';
import { valuePolicy } from '../../../communities/dht/value-policy.js';
import { PrivateKey, SeededRandom, toHex, utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import type { DhtNet } from '../../helpers/dht-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

const DHT_HEX = toHex(DHT_COMMUNITY_ID);
const wire = valuePolicy({ maxDataBytes: 1_024, maxUnsignedPerKey: 64, maxSignedPerKey: 64, maxPerGroupPerKey: 64, maxTtlMs: 86_400_000 });
const key = (s: string): Uint8Array => dhtKey(s, DHTError);
const verdictsReceived = (d: DHTCommunity): number => Object.values(d.statistics.storeVerdicts).reduce((a, b) => a + b, 0);

/** Store datagrams the publisher sent, by destination: [single stores, multi-key stores, sizes]. */
function storeDatagrams(tap: ReturnType<typeof tapPackets>): Map<string, { single: number; many: number; sizes: number[] }> {
  const out = new Map<string, { single: number; many: number; sizes: number[] }>();
  for (const p of tap.packets) {
    if (p.communityIdHex !== DHT_HEX || (p.messageId !== StoreRequest.id && p.messageId !== StoreManyRequest.id)) continue;
    const to = JSON.stringify(p.to);
    const entry = out.get(to) ?? { single: 0, many: 0, sizes: [] };
    if (p.messageId === StoreRequest.id) entry.single++;
    else entry.many++;
    entry.sizes.push(p.size);
    out.set(to, entry);
  }
  return out;
}

/** A token `to` issued `from`, and `to`'s address. */
async function tokenOf(net: DhtNet, from: DHTCommunity, to: number): Promise<{ peer: { id: Uint8Array; address: ReturnType<typeof addressOf> }; token: Uint8Array }> {
  const peer = { id: net.dhts[to]!.nodeId, address: addressOf(net, to) };
  const reply = await net.clock.settle(from.queryFind(peer, new Uint8Array(20), false));
  return { peer, token: reply.token };
}

function addressOf(net: DhtNet, i: number) {
  return net.hosts[i]!.endpoint.address;
}

describe('multi-key store', () => {
  it('a storeMany of 6 keys on 10 nodes: each storer gets one datagram for all its keys, no single stores', async () => {
    const net = await dhtNet(10, 1801);
    const publisher = net.dhts[2]!;
    const tap = tapPackets([net.hosts[2]!]);
    const before = net.dhts.map(verdictsReceived);
    const keys = Array.from({ length: 6 }, (_, i) => `many-in-one-${i}`);
    const results = await net.clock.settle(publisher.storeMany(keys.map((k) => ({ key: k, data: utf8(`value ${k}`) }))));
    expect(results.map((r) => (r.ok ? r.value : -1))).toEqual([8, 8, 8, 8, 8, 8]); // every key on its k = 8 closest
    const sent = storeDatagrams(tap);
    expect(sent.size).toBe(9); // every other node stores some of the keys
    expect([...sent.values()].map((s) => s.single)).toEqual(new Array(9).fill(0));
    expect([...sent.values()].map((s) => s.many)).toEqual(new Array(9).fill(1)); // one datagram per storer (one by one: 48)
    // 48 values, 48 verdicts, counted at the storers.
    expect(net.dhts.reduce((sum, d, i) => sum + verdictsReceived(d) - before[i]!, 0)).toBe(48);
    const found = await net.clock.settle(net.dhts[7]!.findMany(keys, { cache: false }));
    expect(found.map((r) => (r.ok ? r.value.map((v) => new TextDecoder().decode(v.data)) : []))).toEqual(keys.map((k) => [`value ${k}`]));
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('more than a datagram for one storer goes in more datagrams, each within the limit', async () => {
    const net = await dhtNet(10, 1802);
    const publisher = net.dhts[5]!;
    const tap = tapPackets([net.hosts[5]!]);
    const before = net.dhts.map(verdictsReceived);
    // 4 signed values of 300 bytes (about 480 bytes each on the wire): two fit one datagram, not three.
    const keys = Array.from({ length: 4 }, (_, i) => `two-per-datagram-${i}`);
    const results = await net.clock.settle(publisher.storeMany(keys.map((k) => ({ key: k, data: new Uint8Array(300).fill(7), sign: true }))));
    expect(results.every((r) => r.ok && r.value === 8)).toBe(true);
    const sent = storeDatagrams(tap);
    const perStorer = net.hosts.map((h, i) => ({ to: JSON.stringify(h.endpoint.address), values: verdictsReceived(net.dhts[i]!) - before[i]! })).filter((s) => s.values > 0);
    expect(perStorer.reduce((a, s) => a + s.values, 0)).toBe(32);
    for (const { to, values } of perStorer) {
      const s = sent.get(to)!;
      expect(s.single + s.many).toBe(Math.ceil(values / 2)); // two values a datagram
      expect(s.single).toBe(values % 2); // an odd one left alone goes as a single store
      expect(Math.max(...s.sizes)).toBeLessThanOrEqual(net.network.maxPacketBytes);
    }
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('one verdict per value: a forged value among good ones under two keys is refused alone', async () => {
    const net = await dhtNet(6, 1803);
    const [a, b] = [net.dhts[1]!, net.dhts[4]!];
    const { peer, token } = await tokenOf(net, a, 4);
    const signer = PrivateKey.generate(new SeededRandom(9));
    const now = net.clock.now();
    const good1 = signRecord(signer, key('k1'), utf8('one'), now);
    const good2 = unsignedRecord(key('k1'), utf8('two'));
    const good3 = signRecord(signer, key('k2'), utf8('three'), now);
    const forged = { ...signRecord(signer, key('k2'), utf8('four'), now + 1), data: utf8('FOUR') };
    const item = (r: ValueRecord) => ({ record: wire.toWire(r), ttl: 60_000 });
    const m = await net.clock.settle(
      a.request(peer, ValueMessages.StoreMany!, { token, locations: [{ location: key('k1'), records: [item(good1), item(good2)] }, { location: key('k2'), records: [item(good3), item(forged)] }] }),
    );
    expect(m.value.verdicts.map(verdictOf)).toEqual(['stored', 'stored', 'stored', 'bad-signature']);
    expect(b.store.page(key('k1'), undefined).records.length).toBe(2);
    expect(b.store.page(key('k2'), undefined).records.map((h) => new TextDecoder().decode(h.record.data))).toEqual(['three']);
    expect(b.statistics.storeVerdicts).toMatchObject({ stored: 3, 'bad-signature': 1 });
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a malformed multi-key store is dropped and counted; without a valid token every value is bad-token', async () => {
    const net = await dhtNet(6, 1804);
    const [a, b] = [net.dhts[1]!, net.dhts[3]!];
    const { peer, token } = await tokenOf(net, a, 3);
    const item = { record: wire.toWire(unsignedRecord(key('x'), utf8('x'))), ttl: 60_000 };
    const send = (locations: Array<{ location: Uint8Array; records: (typeof item)[] }>, t = token) =>
      net.clock.settle(a.request(peer, ValueMessages.StoreMany!, { token: t, locations }).then((m) => m.value.verdicts, (e: Error) => e.name));
    expect(await send([{ location: key('x'), records: [item] }, { location: key('x'), records: [item] }])).toBe('TimeoutError'); // a location twice
    expect(await send([{ location: key('x'), records: [item] }, { location: key('y'), records: [] }])).toBe('TimeoutError'); // a location without values
    expect(await send([])).toBe('TimeoutError'); // no location
    expect(b.stats.dropped['malformed-store-many']).toBe(3);
    expect(b.store.page(key('x'), undefined).records.length).toBe(0);
    // The same packet a node would send with a token it made up: refused whole, counted.
    expect(await send([{ location: key('x'), records: [item] }, { location: key('z'), records: [item, item] }], new Uint8Array(token.length))).toEqual([0, 0, 0].map(() => verdictCode('bad-token')));
    expect(b.stats.dropped['bad-token']).toBe(1);
    expect(b.statistics.storeVerdicts['bad-token']).toBe(3);
    expect(b.store.page(key('x'), undefined).records.length).toBe(0);
    expect(await net.stopAndDrain()).toBe(0);
  });
});
