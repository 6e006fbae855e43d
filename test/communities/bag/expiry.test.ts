/**
 * Bag expiry and republishing on 200 in-memory nodes: an entry outlives its ttl while its publisher runs
 * (re-signed with a new version and expiry before it ends), and disappears once its publisher stopped and
 * the ttl passed; storers sweep it.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BagCommunity } from '../../../communities/bag/index.js';
import { hashKey } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 200;
const MINUTE_MS = 60_000;
const TTL_MS = 10 * MINUTE_MS;
let net: OverlayNet;
let bags: BagCommunity[];

const texts = (entries: ReadonlyArray<{ value: Uint8Array }>): string[] => entries.map((e) => new TextDecoder().decode(e.value)).sort();

beforeAll(async () => {
  net = await overlayNet(NODES, 1_234, (h) => h.register(BagCommunity));
  bags = net.hosts.map((h) => h.get(BagCommunity));
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('bag expiry and republish (200 nodes)', () => {
  it('outlives its ttl while the publisher runs; gone after the ttl once it stopped', async () => {
    const [keeper, leaver, reader] = [bags[20]!, bags[80]!, bags[140]!];
    await net.clock.settle(Promise.all([keeper.add('ephemeral', utf8('kept'), { ttlMs: TTL_MS }), leaver.add('ephemeral', utf8('left'), { ttlMs: TTL_MS })]));
    const first = (await net.clock.settle(reader.search('ephemeral'))).entries;
    expect(texts(first)).toEqual(['kept', 'left']);
    const firstExpiry = first.find((e) => texts([e])[0] === 'kept')!.expiresAt;
    await net.hosts[80]!.stop();

    await net.clock.advance(25 * MINUTE_MS); // 2.5 ttls
    const later = (await net.clock.settle(reader.search('ephemeral'))).entries;
    expect(texts(later)).toEqual(['kept']);
    expect(later[0]!.expiresAt).toBeGreaterThan(net.clock.now());
    expect(later[0]!.expiresAt).toBeGreaterThan(firstExpiry + 2 * 5 * MINUTE_MS);
    expect(keeper.entries.statistics.republications).toBeGreaterThanOrEqual(3);
    // No storer keeps an entry beyond the expiry its publisher signed.
    const held = bags.filter((b) => b.isRunning).flatMap((b) => b.entries.store.get(hashKey('ephemeral')));
    expect(held.length).toBeGreaterThanOrEqual(6);
    for (const h of held) expect(h.expiresAt).toBeLessThanOrEqual(h.record.expiresAt);

    await net.hosts[20]!.stop();
    await net.clock.advance(TTL_MS + 2 * MINUTE_MS);
    expect((await net.clock.settle(reader.search('ephemeral'))).entries).toEqual([]);
    // Storers swept it: no live node holds a record under the key any more.
    const key = hashKey('ephemeral');
    const holders = bags.filter((b) => b.isRunning && b.entries.store.page(key, undefined).total > 0);
    expect(holders).toEqual([]);
    expect(bags.reduce((n, b) => n + b.entries.statistics.expired, 0)).toBeGreaterThanOrEqual(8);
    expect(bags.reduce((n, b) => n + b.entries.statistics.replications, 0)).toBeGreaterThanOrEqual(0);
  });
});
