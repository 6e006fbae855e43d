/**
 * The 3x amplification bound of bag searches on 200 in-memory nodes: without a valid token a storer's
 * response is at most 3x the request that asked for it (so it sends fewer entries, or only a token to retry
 * with); with the token it fills pages up to the datagram limit, and never beyond.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AMPLIFICATION_FACTOR,
  BAG_COMMUNITY_ID,
  BagCommunity,
  BagSearchRequest,
  BagSearchResponse,
  wireRecordBytes,
} from '../../../communities/bag/index.js';
import type { FindReplyAnswer } from '../../../communities/dht/index.js';
import { hashKey } from '../../../communities/dht/index.js';
import { equalBytes, toHex, utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';
import { tapPackets } from '../../helpers/packet-tap.js';

const NODES = 200;
const BIG = 256; // the default maxValueBytes: the worst case per entry
let net: OverlayNet;
let bags: BagCommunity[];
let tap: ReturnType<typeof tapPackets>;

interface Page {
  records: unknown[];
  more: boolean;
  token: Uint8Array;
}

/** Sends one raw search request and returns the page with the exact request and response packet sizes. */
async function rawSearch(asker: BagCommunity, storer: FindReplyAnswer, key: Uint8Array, token: Uint8Array | undefined): Promise<{ page: Page; request: number; response: number }> {
  const holder = bags.find((b) => equalBytes(b.dht.nodeId, storer.peer.id))!;
  const sentBefore = asker.stats.bytesSent[BagSearchRequest.name] ?? 0;
  const servedBefore = holder.stats.bytesSent[BagSearchResponse.name] ?? 0;
  const m = await net.clock.settle(asker.sendRequest(storer.peer.address, BagSearchRequest, { key, cursor: undefined, limit: 1_000, token }));
  return {
    page: m.value as Page,
    request: (asker.stats.bytesSent[BagSearchRequest.name] ?? 0) - sentBefore,
    response: (holder.stats.bytesSent[BagSearchResponse.name] ?? 0) - servedBefore,
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
    const storers = await net.clock.settle(asker.closestNodes(key));
    expect(storers.length).toBe(8);
    for (const storer of storers) {
      const { page, request, response } = await rawSearch(asker, storer, key, undefined);
      expect(response).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * request);
      expect(page.records.length).toBe(0); // one 256-byte entry alone would break the bound
      expect(page.more).toBe(true);
      // Retrying with the token it was just given lifts the bound: a full page, within the datagram limit.
      const retry = await rawSearch(asker, storer, key, page.token);
      expect(retry.response).toBeLessThanOrEqual(asker.context.transport.maxPacketBytes);
      expect(retry.response).toBeGreaterThan(asker.context.transport.maxPacketBytes - wireRecordBytes(new Uint8Array(BIG)));
      expect(retry.page.records.length).toBeGreaterThan(0);
    }
    const holder = bags.find((b) => equalBytes(b.dht.nodeId, storers[0]!.peer.id))!;
    expect(holder.statistics.tokenlessSearches).toBeGreaterThanOrEqual(1);
    expect(holder.statistics.pagesCappedByAmplification).toBeGreaterThanOrEqual(1);
  });

  it('small values, no token: fewer entries plus "more", still within 3x; a bad token counts as none', async () => {
    const asker = bags[3]!;
    const key = hashKey('small values');
    for (const storer of await net.clock.settle(asker.closestNodes(key))) {
      let tokenless = 0;
      for (const token of [undefined, new Uint8Array(8)]) {
        const { page, request, response } = await rawSearch(asker, storer, key, token);
        expect(response).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * request);
        expect(page.records.length).toBeGreaterThan(0);
        expect(page.more).toBe(true);
        tokenless = page.records.length;
      }
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
    const responses = tap.packets.filter((p) => p.communityIdHex === bagId && p.messageId === BagSearchResponse.id);
    expect(responses.length).toBeGreaterThan(8);
    const max = asker.context.transport.maxPacketBytes;
    expect(Math.max(...responses.map((p) => p.size))).toBeLessThanOrEqual(max);
    // Full pages: all but each storer's last page come close to the datagram limit.
    const full = responses.filter((p) => p.size > max - wireRecordBytes(new Uint8Array(BIG)));
    expect(full.length).toBeGreaterThanOrEqual(responses.length / 2);
    expect(asker.statistics.recordsRejected).toBe(0);
    void utf8;
  });
});
