/**
 * The multi-key find (`communities/dht/records/find-many*.ts`, messages 10 and 11 of the DHT): a bulk find
 * asks a node about several keys in one datagram and gets each key's answer as a single find would; the
 * result is what single finds return; each answer datagram fits the limit and, to an unproven address, 3x
 * the request; a malformed request is dropped and counted; a node that ignores it is asked one key at a
 * time. On the in-memory network, counted at the endpoints.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHT_COMMUNITY_ID } from '../../../communities/dht/index.js';
import type { DHTCommunity, FoundValue } from '../../../communities/dht/index.js';
import { ValueFindMany } from '../../../communities/dht/bulk-messages.js';
import { dhtKey } from '../../../communities/dht/arguments.js';
import { compareDistance } from '../../../communities/dht/routing/node-id.js';
import { DHTError } from '../../../communities/dht/errors.js';
import { defineMessage, defineSchema, t, toHex, utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import type { DhtNet } from '../../helpers/dht-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

const DHT_HEX = toHex(DHT_COMMUNITY_ID);
const text = (d: Uint8Array): string => new TextDecoder().decode(d);
const key = (s: string): Uint8Array => dhtKey(s, DHTError);
const sent = (d: DHTCommunity, name: string): number => d.stats.sent[name] ?? 0;
/** What a find returned, comparable across calls (expiry left out: it is read at different times). */
const shape = (values: readonly FoundValue[]): string[] => values.map((v) => `${v.publicKey?.midHex ?? 'unsigned'}/${v.version}/${text(v.data)}`);

function peerOf(net: DhtNet, i: number): { id: Uint8Array; address: ReturnType<typeof addressOf> } {
  return { id: net.dhts[i]!.nodeId, address: addressOf(net, i) };
}
function addressOf(net: DhtNet, i: number) {
  return net.hosts[i]!.endpoint.address;
}

describe('multi-key find', () => {
  it('findMany returns what single finds return (newest signed version, several publishers, unsigned values, latest, one publisher), several keys a request', async () => {
    const net = await dhtNet(16, 1901);
    const [p1, p2, reader] = [net.dhts[2]!, net.dhts[9]!, net.dhts[13]!];
    const keys = Array.from({ length: 9 }, (_, i) => `same-answers-${i}`);
    await net.clock.settle(p1.storeMany(keys.map((k) => ({ key: k, data: utf8(`old ${k}`), sign: true }))));
    await net.clock.advance(10);
    await net.clock.settle(p1.storeMany(keys.slice(0, 6).map((k) => ({ key: k, data: utf8(`new ${k}`), sign: true })))); // newer versions
    await net.clock.settle(p2.storeMany(keys.filter((_, i) => i % 2 === 0).map((k) => ({ key: k, data: utf8(`p2 ${k}`), sign: true }))));
    await net.clock.settle(p2.storeMany(keys.filter((_, i) => i % 3 === 0).map((k) => ({ key: k, data: utf8(`open ${k}`) }))));
    for (const options of [{}, { latest: true }, { publisher: p1.context.key.publicKey }]) {
      const many0 = sent(reader, 'dht-find-many-request');
      const bulk = await net.clock.settle(reader.findMany(keys, { ...options, cache: false }));
      expect(sent(reader, 'dht-find-many-request')).toBeGreaterThan(many0); // several keys asked of one node at once
      const single: string[][] = [];
      for (const k of keys) single.push(shape(await net.clock.settle(reader.findValues(k, { ...options, cache: false }))));
      expect(bulk.map((r) => (r.ok ? shape(r.value) : r.error.reason))).toEqual(single);
    }
    // The newest version of p1's first six keys, and every publisher's value, as stored.
    const first = await net.clock.settle(reader.findMany(keys.slice(0, 1), { cache: false }));
    expect(first[0]!.ok && first[0]!.value.map((v) => text(v.data)).sort()).toEqual([`new ${keys[0]}`, `open ${keys[0]}`, `p2 ${keys[0]}`]);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('every answer datagram fits the limit; keys whose answers do not fit one are asked again, and all are found', async () => {
    const net = await dhtNet(10, 1902);
    const [publisher, reader] = [net.dhts[1]!, net.dhts[6]!];
    const tap = tapPackets(net.hosts);
    // 500-byte values: two answers fill a 1,400-byte datagram.
    const keys = Array.from({ length: 8 }, (_, i) => `big-answers-${i}`);
    const value = (k: string): Uint8Array => utf8(k.padEnd(500, '.'));
    await net.clock.settle(publisher.storeMany(keys.map((k) => ({ key: k, data: value(k), sign: true }))));
    tap.clear();
    const found = await net.clock.settle(reader.findMany(keys, { cache: false, concurrency: 8 }));
    expect(found.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : r.error.reason))).toEqual(keys.map((k) => [text(value(k))]));
    const answers = tap.packets.filter((p) => p.communityIdHex === DHT_HEX && p.messageId === ValueFindMany.FindManyResponse.id);
    expect(answers.length).toBeGreaterThan(0);
    expect(Math.max(...answers.map((p) => p.size))).toBeLessThanOrEqual(net.network.maxPacketBytes);
    expect(Math.max(...answers.map((p) => p.size))).toBeGreaterThan(net.network.maxPacketBytes / 2); // they fill it
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('to an address that has not proved itself (no token) the answer is at most 3x the request; with the token it fills the datagram', async () => {
    const net = await dhtNet(10, 1903);
    const [a, b] = [net.dhts[1]!, net.dhts[4]!];
    const keys = Array.from({ length: 8 }, (_, i) => `unproven-${i}`);
    await net.clock.settle(net.dhts[7]!.storeMany(keys.map((k) => ({ key: k, data: utf8(k.padEnd(300, '-')), sign: true }))));
    const tap = tapPackets([net.hosts[1]!]);
    const unproven = b.values.statistics.unprovenFinds;
    const body = { targets: keys.map(key), records: true, publisher: undefined, padding: undefined };
    const first = await net.clock.settle(a.request(peerOf(net, 4), ValueFindMany.FindMany, { ...body, token: undefined }));
    const request = tap.packets.filter((p) => p.messageId === ValueFindMany.FindManyRequest.id).at(-1)!;
    expect(first.size).toBeLessThanOrEqual(3 * request.size);
    expect(first.value.answers.length).toBeLessThan(keys.length); // the rest is for a request with the token
    expect(b.values.statistics.unprovenFinds).toBe(unproven + 1);
    const second = await net.clock.settle(a.request(peerOf(net, 4), ValueFindMany.FindMany, { ...body, token: first.value.token }));
    expect(second.value.answers.length).toBeGreaterThan(first.value.answers.length);
    expect(second.size).toBeLessThanOrEqual(net.network.maxPacketBytes);
    expect(b.values.statistics.unprovenFinds).toBe(unproven + 1);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a request with no key, a key twice or more keys than the limit is dropped and counted', async () => {
    const net = await dhtNet(6, 1904);
    const [a, b] = [net.dhts[1]!, net.dhts[3]!];
    const ask = (targets: Uint8Array[]) =>
      net.clock.settle(a.request(peerOf(net, 3), ValueFindMany.FindMany, { targets, records: true, publisher: undefined, token: undefined, padding: undefined }).then((m) => m.value.answers.length, (e: Error) => e.name));
    expect(await ask([])).toBe('TimeoutError');
    expect(await ask([key('x'), key('y'), key('x')])).toBe('TimeoutError');
    expect(b.stats.dropped['malformed-find-many']).toBe(2);
    expect(await ask([key('x'), key('y')])).toBe(2); // a good one is answered
    // 33 keys (the limit is 32), sent with a schema that allows them: the node's decoder refuses the packet.
    const oversized = defineMessage({
      id: ValueFindMany.FindManyRequest.id,
      name: 'dht-find-many-request',
      signed: true,
      schema: defineSchema({ id: t.u64(), targets: t.list(t.bytes({ length: 20 }), { max: 64 }), records: t.bool(), publisher: t.optional(t.bytes({ length: 20 })), token: t.optional(t.bytes({ length: 20 })), padding: t.optional(t.bytes({ max: 512 })) }),
    });
    const malformed = b.stats.dropped['malformed'] ?? 0;
    const answered = b.stats.sent['dht-find-many-response'] ?? 0;
    a.send(addressOf(net, 3), oversized, { id: 1n, targets: Array.from({ length: 33 }, (_, i) => key(`k${i}`)), records: true, publisher: undefined, token: undefined, padding: undefined });
    await net.clock.advance(100);
    expect(b.stats.dropped['malformed']).toBe(malformed + 1);
    expect(b.stats.sent['dht-find-many-response'] ?? 0).toBe(answered);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a node that ignores the multi-key find (one that does not know it) is asked one key at a time after its first multi-key requests time out, and every key is found', async () => {
    const net = await dhtNet(12, 1905);
    const [publisher, reader] = [net.dhts[2]!, net.dhts[8]!];
    const keys = Array.from({ length: 10 }, (_, i) => `old-node-${i}`);
    await net.clock.settle(publisher.storeMany(keys.map((k) => ({ key: k, data: utf8(`v ${k}`) }))));
    // The node among the 3 nearest of the most keys (so the reader's lookups ask it about several at once)
    // plays a node without the message: multi-key finds sent to it never arrive, as an unknown message is dropped.
    const others = net.dhts.map((_, i) => i).filter((i) => i !== 8);
    const near = others.map((i) => keys.filter((k) => [...others].sort((a, b) => compareDistance(key(k), net.dhts[a]!.nodeId, net.dhts[b]!.nodeId)).slice(0, 3).includes(i)).length);
    const old = JSON.stringify(addressOf(net, others[near.indexOf(Math.max(...near))]!));
    let ignored = 0;
    for (const host of net.hosts) {
      const endpoint = host.endpoint as { send: (to: unknown, data: Uint8Array) => void };
      const original = endpoint.send.bind(endpoint);
      endpoint.send = (to, data) => {
        if (JSON.stringify(to) === old && data[22] === ValueFindMany.FindManyRequest.id && toHex(data.subarray(2, 22)) === DHT_HEX) return void ignored++;
        original(to, data);
      };
    }
    const found = await net.clock.settle(reader.findMany(keys, { cache: false, concurrency: 10 }));
    expect(found.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : r.error.reason))).toEqual(keys.map((k) => [`v ${k}`]));
    expect(ignored).toBeGreaterThan(0);
    expect(sent(reader, 'dht-find-many-request')).toBeGreaterThan(ignored); // the other nodes still get several keys a request
    await net.clock.advance(3_000); // the ignored request times out (the finds did not wait for it), then its first key is asked alone
    const tried = ignored;
    const again = await net.clock.settle(reader.findMany(keys, { cache: false, concurrency: 10 }));
    expect(again.every((r) => r.ok && r.value.length === 1)).toBe(true);
    expect(ignored).toBe(tried); // remembered: one key a request from then on
    expect(await net.stopAndDrain()).toBe(0);
  });
});
