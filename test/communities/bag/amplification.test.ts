/**
 * The 3x amplification bound of bag searches on 200 in-memory nodes: without a valid token a storer's
 * response is at most 3x the request that asked for it (so it sends fewer entries, or only a token to retry
 * with); with the token it fills pages up to the datagram limit, and never beyond.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAG_COMMUNITY_ID, BagCommunity, BagEntryWire, BagMessages } from '../../../communities/bag/index.js';
import type { FindReplyAnswer } from '../../../communities/dht/index.js';
import { hashKey } from '../../../communities/dht/index.js';
import { AMPLIFICATION_FACTOR } from '../../../communities/dht/records/record-server.js';
import { defineSchema, encodeBody, equalBytes, t, toHex } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

const NODES = 200;
const BIG = 256; // the default maxValueBytes: the worst case per entry
let net: OverlayNet;
let bags: BagCommunity[];
let tap: ReturnType<typeof tapPackets>;

/** Bytes one entry with a `size`-byte value takes in a find response (its wire form and its ttl). */
function entryWireBytes(size: number): number {
  const item = defineSchema({ record: BagEntryWire, ttl: t.uint() });
  const record = { publicKey: new Uint8Array(74), value: new Uint8Array(size), version: 2 ** 48, expiresAt: 2 ** 48, removed: false, signature: new Uint8Array(64) };
  return encodeBody(item, { record, ttl: 86_400_000 }).length;
}

interface Page {
  records: unknown[];
  more: boolean;
  token: Uint8Array;
}

/** The node with id `id`, by its DHT. */
const holderOf = (id: Uint8Array): BagCommunity => bags[net.dhts.findIndex((d) => equalBytes(d.nodeId, id))]!;

/** The k closest nodes to `key` as `asker`'s DHT finds them, each with its store token for `asker`. */
const closestTo = (asker: BagCommunity, key: Uint8Array): Promise<FindReplyAnswer[]> => net.clock.settle(net.dhts[bags.indexOf(asker)]!.findClosestNodes(key));

/** Sends one raw find (records wanted, `paddingBytes` of padding) and returns the page with the exact request and response packet sizes. */
async function rawSearch(asker: BagCommunity, storer: FindReplyAnswer, key: Uint8Array, token: Uint8Array | undefined, paddingBytes = 0): Promise<{ page: Page; request: number; response: number }> {
  const holder = holderOf(storer.peer.id);
  const sentBefore = asker.stats.bytesSent[BagMessages.FindRequest.name] ?? 0;
  const servedBefore = holder.stats.bytesSent[BagMessages.FindResponse.name] ?? 0;
  const body = { target: key, records: true, cursor: undefined, publisher: undefined, token, padding: paddingBytes > 0 ? new Uint8Array(paddingBytes) : undefined };
  const m = await net.clock.settle(asker.sendRequest(storer.peer.address, BagMessages.FindRequest, body));
  return {
    page: m.value as unknown as Page,
    request: (asker.stats.bytesSent[BagMessages.FindRequest.name] ?? 0) - sentBefore,
    response: (holder.stats.bytesSent[BagMessages.FindResponse.name] ?? 0) - servedBefore,
  };
}

async function fill(key: string, publishers: number, perPublisher: number, size: number): Promise<void> {
  const adds: Array<Promise<unknown>> = [];
  for (let p = 0; p < publishers; p++) {
    const bag = bags[10 + p * 7]!;
    for (let i = 0; i < perPublisher; i++) adds.push(bag.add(key, new Uint8Array(size).fill(i + 1)));
  }
  await net.clock.settle(Promise.all(adds));
}

beforeAll(async () => {
  net = await overlayNet(NODES, 3_131, (h) => h.register(BagCommunity));
  bags = net.hosts.map((h) => h.get(BagCommunity));
  tap = tapPackets(net.hosts);
  await fill('worst case', 6, 10, BIG);
  await fill('small values', 4, 10, 8);
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('bag search amplification bound (200 nodes)', () => {
  it('worst-case key, no token: every response is at most 3x its request and carries a token to retry with', async () => {
    const asker = bags[199]!;
    const key = hashKey('worst case');
    const storers = await closestTo(asker, key);
    expect(storers.length).toBe(8);
    for (const storer of storers) {
      const { page, request, response } = await rawSearch(asker, storer, key, undefined);
      expect(response).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * request);
      expect(page.records.length).toBe(0); // one 256-byte entry alone would break the bound
      expect(page.more).toBe(true);
      // Retrying with the token it was just given lifts the bound: a full page, within the datagram limit.
      const retry = await rawSearch(asker, storer, key, page.token);
      expect(retry.response).toBeLessThanOrEqual(asker.context.transport.maxPacketBytes);
      expect(retry.response).toBeGreaterThan(asker.context.transport.maxPacketBytes - entryWireBytes(BIG));
      expect(retry.page.records.length).toBeGreaterThan(0);
    }
    const holder = holderOf(storers[0]!.peer.id);
    expect(holder.entries.statistics.unprovenFinds).toBeGreaterThanOrEqual(1);
    expect(holder.entries.statistics.pagesCappedByAmplification).toBeGreaterThanOrEqual(1);
  });

  it('small values, no token: fewer entries plus "more", still within 3x; a bad token counts as none', async () => {
    // A tokenless find carries padding (RecordClient pads to a third of a datagram so the reply can fill one);
    // 150 bytes here, less than the client sends, so the 3x bound is what limits the page.
    const asker = bags[3]!;
    const key = hashKey('small values');
    for (const storer of await closestTo(asker, key)) {
      let tokenless = 0;
      for (const token of [undefined, new Uint8Array(8)]) {
        const { page, request, response } = await rawSearch(asker, storer, key, token, 150);
        expect(response).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * request);
        expect(page.records.length).toBeGreaterThan(0);
        expect(page.more).toBe(true);
        tokenless = page.records.length;
      }
      // Unpadded, the ~200-byte request's 3x budget goes to the closest nodes first: the bound holds, entries wait.
      const bare = await rawSearch(asker, storer, key, undefined);
      expect(bare.response).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * bare.request);
      expect(bare.page.more).toBe(true);
      const withToken = await rawSearch(asker, storer, key, storer.token);
      expect(withToken.page.records.length).toBeGreaterThan(tokenless);
      expect(withToken.response).toBeGreaterThan(AMPLIFICATION_FACTOR * withToken.request); // the bound is lifted...
      expect(withToken.response).toBeLessThanOrEqual(asker.context.transport.maxPacketBytes); // ...up to the datagram
    }
  });

  it('a full search of the worst-case key: every response packet within the datagram limit, all 60 entries once', async () => {
    const asker = bags[150]!;
    tap.clear();
    const { entries, cursor } = await net.clock.settle(asker.search('worst case', { limit: 1_000 }));
    expect(cursor).toBeUndefined();
    expect(entries.length).toBe(60);
    expect(new Set(entries.map((e) => `${e.publisher.midHex}/${toHex(e.value)}`)).size).toBe(60);
    const bagId = toHex(BAG_COMMUNITY_ID);
    const responses = tap.packets.filter((p) => p.communityIdHex === bagId && p.messageId === BagMessages.FindResponse.id);
    expect(responses.length).toBeGreaterThan(8);
    const max = asker.context.transport.maxPacketBytes;
    expect(Math.max(...responses.map((p) => p.size))).toBeLessThanOrEqual(max);
    // Full pages: all but each storer's last page come close to the datagram limit.
    const full = responses.filter((p) => p.size > max - entryWireBytes(BIG));
    expect(full.length).toBeGreaterThanOrEqual(responses.length / 2);
    expect(asker.entries.statistics.recordsRejected).toBe(0);
  });
});
