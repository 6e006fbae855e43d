/**
 * Immutable values on 30 in-memory nodes (k = 8): an 8 KiB round trip in datagrams of at most 1,280 bytes
 * (measured with a packet tap), corrupted chunks and values that do not match their key rejected and
 * counted by storers and by readers, and the API's refusals.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDistance, DHT_COMMUNITY_ID, DHTCommunity } from '../../../communities/dht/index.js';
import type { TimedRecord } from '../../../communities/dht/index.js';
import {
  chunkValue,
  formatImmutableKey,
  IMMUTABLE_COMMUNITY_ID,
  IMMUTABLE_MAX_DATAGRAM_BYTES,
  ImmutableCommunity,
  ImmutableError,
  locationOf,
  MAX_IMMUTABLE_VALUE_BYTES,
  parseImmutableKey,
} from '../../../communities/immutable/index.js';
import type { ImmutableChunk } from '../../../communities/immutable/index.js';
import { addressKey, SeededRandom, toHex } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

const NODES = 30;
let net: OverlayNet;
let nodes: ImmutableCommunity[];
let tap: ReturnType<typeof tapPackets>;

const IMMUTABLE = toHex(IMMUTABLE_COMMUNITY_ID);
const DHT = toHex(DHT_COMMUNITY_ID);

function randomBytes(n: number, seed: number): Uint8Array {
  const r = new SeededRandom(seed);
  return Uint8Array.from({ length: n }, () => r.int(256));
}

/** The nodes holding chunks at `location`, closest first. */
function holders(location: Uint8Array): ImmutableCommunity[] {
  return nodes
    .filter((n) => n.chunks.store.get(location).length > 0)
    .sort((a, b) => compareDistance(location, a.context.key.publicKey.mid, b.context.key.publicKey.mid));
}

/** Sizes of the tapped packets of one community. */
function traffic(communityHex: string): { datagrams: number; bytes: number; largest: number } {
  const sizes = tap.packets.filter((p) => p.communityIdHex === communityHex).map((p) => p.size);
  return { datagrams: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0), largest: Math.max(0, ...sizes) };
}

beforeAll(async () => {
  net = await overlayNet(NODES, 4_242, (h) => h.register(ImmutableCommunity));
  nodes = net.hosts.map((h) => h.get(ImmutableCommunity));
  tap = tapPackets(net.hosts);
}, 120_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('immutable values on 30 in-memory nodes', () => {
  it('round-trips an 8 KiB value; every datagram of storing and fetching it is at most 1,280 bytes', async () => {
    const value = randomBytes(MAX_IMMUTABLE_VALUE_BYTES, 1);
    let accepted = 0;
    for (const n of nodes) n.on('chunk:stored', (_location, verdict) => void (verdict === 'stored' && accepted++));
    tap.clear();
    const put = await net.clock.settle(nodes[3]!.put(value));
    expect(accepted).toBe(16 * put.acks); // every storer told its listeners of each chunk
    const storing = { immutable: traffic(IMMUTABLE), dht: traffic(DHT), all: tap.packets.length };
    expect(put.key).toBe(formatImmutableKey(chunkValue(value).key));
    expect(put.chunks).toBe(16);
    expect(put.stored).toBeGreaterThanOrEqual(8);
    expect(put.verdicts).toEqual({ stored: 16 * put.acks });

    tap.clear();
    const reader = nodes.find((n) => n.chunks.store.get(locationOf(parseImmutableKey(put.key)!)).length === 0)!;
    const started = net.clock.now();
    const got = await net.clock.settle(reader.get(put.key));
    const fetching = { immutable: traffic(IMMUTABLE), dht: traffic(DHT), all: tap.packets.length };
    expect(got).toEqual(value);
    // The first page from the closest storer, then the other 15 chunks from 4 storers at once, 4 ranges.
    const finds = tap.packets.filter((p) => p.communityIdHex === IMMUTABLE && p.messageId === 1);
    expect(new Set(finds.map((p) => addressKey(p.to as Address))).size).toBe(4);
    expect(net.clock.now() - started).toBeLessThan(1_000); // a lookup and 5 round trips of at most 30 ms, not 16

    for (const t of [storing, fetching]) {
      expect(t.immutable.largest).toBeLessThanOrEqual(IMMUTABLE_MAX_DATAGRAM_BYTES);
      expect(t.dht.largest).toBeLessThanOrEqual(IMMUTABLE_MAX_DATAGRAM_BYTES); // the lookups' datagrams too
      expect(t.all).toBe(t.immutable.datagrams + t.dht.datagrams); // nothing else was sent
    }
    // Storing: 16 store requests (one chunk each) and 16 answers per storer; fetching: 16 pages from one storer.
    expect(storing.immutable.datagrams).toBe(2 * 16 * put.acks);
    expect(fetching.immutable.datagrams).toBe(2 * 16);
    // The same value again: the same key, every chunk refreshed.
    const again = await net.clock.settle(nodes[3]!.put(value));
    expect(again.key).toBe(put.key);
    expect(again.verdicts).toEqual({ refreshed: 16 * again.acks });
  });

  it('a repeated get is answered from the local cache without a packet (a value matches its key, so a cached copy is never an old version); cache: false and forget go back to the network', async () => {
    const value = randomBytes(2_000, 9);
    const put = await net.clock.settle(nodes[7]!.put(value));
    const reader = nodes.find((n) => n.chunks.store.get(locationOf(parseImmutableKey(put.key)!)).length === 0)!;
    const { hits, misses } = reader.valueCache;
    expect(await net.clock.settle(reader.get(put.key))).toEqual(value);
    expect(reader.valueCache.misses).toBe(misses + 1);
    tap.clear();
    const again = await net.clock.settle(reader.get(put.key));
    expect(again).toEqual(value);
    expect(tap.packets.length).toBe(0); // no packet at all
    expect(reader.valueCache.hits).toBe(hits + 1);
    again![0]! ^= 1; // the caller's copy: the cache keeps its own
    expect(await net.clock.settle(reader.get(put.key))).toEqual(value);
    tap.clear();
    expect(await net.clock.settle(reader.get(put.key, { cache: false }))).toEqual(value);
    expect(tap.packets.filter((p) => p.communityIdHex === IMMUTABLE).length).toBeGreaterThan(0);
    reader.forget(put.key);
    tap.clear();
    expect(await net.clock.settle(reader.get(put.key))).toEqual(value);
    expect(tap.packets.length).toBeGreaterThan(0);
    await net.clock.advance(600_001); // past the cache's 10 minutes: the network again
    tap.clear();
    await net.clock.settle(reader.get(put.key));
    expect(tap.packets.length).toBeGreaterThan(0);
  });

  it('storers refuse a corrupted chunk and a chunk of another value, and count them', async () => {
    const value = randomBytes(3_000, 2);
    const put = await net.clock.settle(nodes[5]!.put(value));
    const key = parseImmutableKey(put.key)!;
    const location = locationOf(key);
    const good = nodes[5]!.chunks.localRecords(location, undefined)[0] ?? holders(location)[0]!.chunks.localRecords(location, undefined)[0]!;
    const corrupted = { ...good.record, chunk: good.record.chunk.map((b, i) => (i === 7 ? b ^ 1 : b)) };
    const other = chunkValue(randomBytes(3_000, 3)); // a real chunk of another value, filed under this location
    const foreign: ImmutableChunk = { location, index: 0, length: other.length, hashes: other.hashes, chunk: other.chunks[0]! };
    const before = nodes.map((n) => n.chunks.statistics.verdicts.invalid ?? 0);
    const sender = nodes[9]!;
    const items: Array<TimedRecord<ImmutableChunk>> = [corrupted, foreign].map((record) => ({ record, expiresAt: net.clock.now() + 600_000 }));
    const outcome = await net.clock.settle(sender.chunks.client.publish(location, items, { includeSelf: false }));
    expect(outcome.stored).toBe(0);
    expect(Object.keys(outcome.verdicts)).toEqual(['invalid']);
    expect(outcome.verdicts.invalid).toBe(2 * 8); // both chunks, from each of the k = 8 closest
    const counted = nodes.reduce((sum, n, i) => sum + (n.chunks.statistics.verdicts.invalid ?? 0) - before[i]!, 0);
    expect(counted).toBe(outcome.verdicts.invalid);
    // Nothing changed at the storers: the value is still whole.
    expect(await net.clock.settle(nodes[20]!.get(put.key))).toEqual(value);
  });

  it('a reader drops a corrupted chunk (counted) and takes it from another storer', async () => {
    const value = randomBytes(MAX_IMMUTABLE_VALUE_BYTES, 4);
    const put = await net.clock.settle(nodes[6]!.put(value));
    const location = locationOf(parseImmutableKey(put.key)!);
    const closest = holders(location).filter((n) => n !== nodes[6])[0]!;
    const held = closest.chunks.store.get(location).find((h) => h.record.index === 3)!;
    held.record.chunk[100]! ^= 0xff; // bit rot (or a lying storer) in the closest storer
    const reader = nodes.find((n) => n.chunks.store.get(location).length === 0)!;
    const rejected = reader.chunks.statistics.recordsRejected;
    expect(await net.clock.settle(reader.get(put.key))).toEqual(value);
    expect(reader.chunks.statistics.recordsRejected - rejected).toBe(1);
  });

  it('never returns a value that does not match its key; every piece that fails is counted', async () => {
    const value = randomBytes(1_500, 5); // 3 chunks
    const put = await net.clock.settle(nodes[7]!.put(value));
    const key = parseImmutableKey(put.key)!;
    const location = locationOf(key);
    const reader = nodes.find((n) => n.chunks.store.get(location).length === 0)!;
    // Same location (first 20 bytes), another key: the storers serve the chunks, the reader drops them all.
    const wrong = key.slice();
    wrong[31]! ^= 1;
    const rejected = reader.chunks.statistics.recordsRejected;
    expect(await net.clock.settle(reader.get(wrong))).toBeUndefined();
    // The k = 8 closest answer: the first page of the closest (1 chunk), then each other storer's 3 chunks;
    // a storer that sent a chunk of another key is not asked again.
    const answered = 8;
    expect(reader.chunks.statistics.recordsRejected - rejected).toBe(1 + 3 * (answered - 1));

    // Every storer's copy of chunk 1 corrupted: nothing is returned rather than wrong bytes; each storer's
    // bad chunk is dropped and counted once (a storer is not asked again for a chunk it failed to give).
    for (const n of holders(location)) for (const h of n.chunks.store.get(location)) if (h.record.index === 1) h.record.chunk[0]! ^= 1;
    const before = reader.chunks.statistics.recordsRejected;
    expect(await net.clock.settle(reader.get(put.key))).toBeUndefined();
    expect(reader.chunks.statistics.recordsRejected - before).toBe(answered);
  });

  it('refuses a value over 8 KiB, a malformed key, and a bad ttl before sending anything', async () => {
    const node = nodes[11]!;
    tap.clear();
    await expect(node.put(new Uint8Array(MAX_IMMUTABLE_VALUE_BYTES + 1))).rejects.toMatchObject({ name: 'ImmutableError', reason: 'too-large' });
    await expect(node.get('imm:1234')).rejects.toMatchObject({ reason: 'invalid-key' });
    await expect(node.get(new Uint8Array(20))).rejects.toMatchObject({ reason: 'invalid-key' });
    await expect(node.put(new Uint8Array(10), { ttlMs: 1 })).rejects.toMatchObject({ reason: 'invalid-ttl' });
    await expect(node.put('text' as unknown as Uint8Array)).rejects.toBeInstanceOf(ImmutableError);
    expect(tap.packets.length).toBe(0);
  });

  it('an aborted put or get ends with aborted', async () => {
    const put = await net.clock.settle(nodes[14]!.put(randomBytes(900, 9)));
    const reader = nodes.find((n) => n.chunks.store.get(locationOf(parseImmutableKey(put.key)!)).length === 0)!;
    await expect(net.clock.settle(reader.get(put.key, { signal: AbortSignal.abort() }))).rejects.toMatchObject({ reason: 'aborted' });
    await expect(net.clock.settle(reader.put(randomBytes(900, 10), { signal: AbortSignal.abort() }))).rejects.toMatchObject({ reason: 'aborted' });
  });

  it('drops an incoming datagram over 1,280 bytes before parsing it', async () => {
    const value = randomBytes(4_000, 6);
    tap.clear();
    await net.clock.settle(nodes[12]!.put(value));
    const store = tap.packets.find((p) => p.communityIdHex === IMMUTABLE && p.messageId === 3 && p.size > 500)!;
    const to = store.to as Address;
    const target = net.hosts.find((h) => addressKey(h.endpoint.address) === addressKey(to))!.get(ImmutableCommunity);
    const padded = new Uint8Array(IMMUTABLE_MAX_DATAGRAM_BYTES + 1);
    padded.set(store.data);
    const before = target.stats.dropped.oversized ?? 0;
    net.hosts[12]!.endpoint.send(target.context.transport.localAddress, padded);
    await net.clock.advance(100);
    expect(target.stats.dropped.oversized).toBe(before + 1);
  });

  it('storers that answer the lookup but not the reads: unreachable, not "nothing found"', async () => {
    const put = await net.clock.settle(nodes[13]!.put(randomBytes(700, 8)));
    const location = locationOf(parseImmutableKey(put.key)!);
    const reader = nodes.find((n) => n.chunks.store.get(location).length === 0)!;
    const others = nodes.filter((n) => n !== reader);
    for (const n of others) await n.stop(); // their DHTs still answer lookups; their immutable communities do not
    try {
      await expect(net.clock.settle(reader.get(put.key))).rejects.toMatchObject({ name: 'ImmutableError', reason: 'unreachable' });
    } finally {
      for (const n of others) await n.start();
    }
    expect(await net.clock.settle(reader.get(put.key))).toEqual(randomBytes(700, 8));
  });

  it('a lone node keeps its own value and reads it back', async () => {
    const host = await net.addHost({ setup: (h) => { h.register(DHTCommunity); h.register(ImmutableCommunity); } });
    const lone = host.get(ImmutableCommunity);
    const value = randomBytes(2_000, 7);
    const put = await net.clock.settle(lone.put(value));
    expect(put).toMatchObject({ acks: 0, stored: 1, keptHere: true, chunks: 4 });
    expect(await net.clock.settle(lone.get(put.key))).toEqual(value);
    await host.stop();
  });
});
