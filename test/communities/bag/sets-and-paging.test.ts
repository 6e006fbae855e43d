/**
 * Bag sets on 100 in-memory nodes: concurrent adds from 20 publishers give every searcher exactly the
 * union, and cursor paging over 300 entries returns each exactly once. Nothing here depends on the size (a
 * bag lives on its k = 8 closest nodes): 100 nodes instead of 200 halve the build. Seeds (network, test)
 * (4242, 99), (1, 1), (2, 2) all pass.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BagCommunity, BagError } from '../../../communities/bag/index.js';
import type { BagEntry, SearchResult } from '../../../communities/bag/index.js';
import { SeededRandom, toHex, utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 100;
let net: OverlayNet;
let bags: BagCommunity[];
const rnd = new SeededRandom(99);

const label = (e: BagEntry): string => `${e.publisher.midHex}:${new TextDecoder().decode(e.value)}`;

/** Follows cursors to the end; returns every page. */
async function allPages(bag: BagCommunity, key: string, limit: number): Promise<SearchResult[]> {
  const pages: SearchResult[] = [];
  let cursor: string | undefined;
  do {
    const page = await net.clock.settle(bag.search(key, { limit, cursor }));
    pages.push(page);
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 1_000);
  return pages;
}

beforeAll(async () => {
  net = await overlayNet(NODES, 4_242, (h) => h.register(BagCommunity));
  bags = net.hosts.map((h) => h.get(BagCommunity));
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe(`BagCommunity sets (${NODES} nodes)`, () => {
  it('20 publishers adding concurrently: every search from random nodes returns exactly the union', async () => {
    const publishers = Array.from({ length: 20 }, () => bags[rnd.int(NODES)]!);
    const unique = [...new Set(publishers)];
    const expected = new Set<string>();
    const adds: Array<Promise<unknown>> = [];
    for (const [i, p] of unique.entries()) {
      for (let j = 0; j < 4; j++) {
        const text = `item ${i}.${j}`;
        expected.add(`${p.context.key.publicKey.midHex}:${text}`);
        adds.push(p.add('concurrent topic', utf8(text)));
      }
    }
    // Every publisher adds one value twice: the set keeps one entry per (publisher, value).
    for (const p of unique) adds.push(p.add('concurrent topic', utf8('shared')));
    for (const p of unique) expected.add(`${p.context.key.publicKey.midHex}:shared`);
    const outcomes = (await net.clock.settle(Promise.all(adds))) as Array<{ stored: number }>;
    expect(outcomes.every((o) => o.stored >= 6)).toBe(true);
    for (let s = 0; s < 6; s++) {
      const searcher = bags[rnd.int(NODES)]!;
      const { entries, cursor } = await net.clock.settle(searcher.search('concurrent topic', { limit: 1_000 }));
      expect(cursor).toBeUndefined();
      const got = entries.map(label);
      expect(new Set(got).size).toBe(got.length);
      expect(new Set(got)).toEqual(expected);
    }
  });

  it('pages of 17 over 300 entries from 6 publishers return every entry exactly once, in a stable order', async () => {
    const publishers = [...new Set(Array.from({ length: 12 }, () => bags[rnd.int(NODES)]!))].slice(0, 6);
    const expected: string[] = [];
    const adds: Array<Promise<unknown>> = [];
    for (const p of publishers) {
      for (let j = 0; j < 300 / publishers.length; j++) {
        const text = `page entry ${j}`;
        expected.push(`${p.context.key.publicKey.midHex}:${text}`);
        adds.push(p.add('paged topic', utf8(text)));
      }
    }
    await net.clock.settle(Promise.all(adds));
    expect(expected.length).toBe(300);
    for (const reader of [bags[rnd.int(NODES)]!, bags[rnd.int(NODES)]!]) {
      const pages = await allPages(reader, 'paged topic', 17);
      const got = pages.flatMap((p) => p.entries.map(label));
      expect(got.length).toBe(300);
      expect(new Set(got)).toEqual(new Set(expected));
      expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(300 / 17));
      expect(pages.at(-1)!.cursor).toBeUndefined();
    }
    // Entries added between two pages never make a page repeat one already returned.
    const reader = bags[rnd.int(NODES)]!;
    const first = await net.clock.settle(reader.search('paged topic', { limit: 50 }));
    await net.clock.settle(publishers[0]!.add('paged topic', utf8('late entry')));
    const seen = new Set(first.entries.map(label));
    let cursor = first.cursor;
    while (cursor !== undefined) {
      const page = await net.clock.settle(reader.search('paged topic', { limit: 50, cursor }));
      for (const e of page.entries) {
        expect(seen.has(label(e))).toBe(false);
        seen.add(label(e));
      }
      cursor = page.cursor;
    }
    expect(seen.size).toBeGreaterThanOrEqual(300);
  });

  it('rejects bad search arguments with named errors', async () => {
    const b = bags[0]!;
    await expect(b.search('x', { limit: 0 })).rejects.toMatchObject({ name: 'BagError', reason: 'invalid-limit' });
    await expect(b.search('x', { limit: 1_001 })).rejects.toBeInstanceOf(BagError);
    await expect(b.search('x', { cursor: 'not a cursor' })).rejects.toMatchObject({ reason: 'invalid-cursor' });
    await expect(b.search('x', { cursor: toHex(new Uint8Array(20)) })).rejects.toMatchObject({ reason: 'invalid-cursor' });
    await expect(b.add('x', utf8('v'), { ttlMs: 1 })).rejects.toMatchObject({ reason: 'invalid-ttl' });
    await expect(b.add('x', new Uint8Array(257))).rejects.toMatchObject({ reason: 'too-large' });
  });
});
