/**
 * Immutable values expire like other records (ManualClock, 20 in-memory nodes): a value outlives its ttl
 * while its publisher runs (re-stored before it ends), and is gone from every storer once its publisher
 * stopped (or forgot it) and the ttl passed.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImmutableCommunity, locationOf, parseImmutableKey } from '../../../communities/immutable/index.js';
import { utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const MINUTE_MS = 60_000;
const TTL_MS = 10 * MINUTE_MS;
let net: OverlayNet;
let nodes: ImmutableCommunity[];

/** How many running nodes hold chunks of the value under `key`. */
const holding = (key: string): number => nodes.filter((n) => n.isRunning && n.chunks.store.get(locationOf(parseImmutableKey(key)!)).length > 0).length;

beforeAll(async () => {
  net = await overlayNet(20, 77, (h) => h.register(ImmutableCommunity));
  nodes = net.hosts.map((h) => h.get(ImmutableCommunity));
}, 120_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0);
});

describe('immutable expiry and republish (20 nodes)', () => {
  it('outlives its ttl while the publisher runs; gone after the ttl once it stopped', async () => {
    const [keeper, leaver, reader] = [nodes[2]!, nodes[8]!, nodes[14]!];
    const kept = await net.clock.settle(keeper.put(utf8('kept '.repeat(300)), { ttlMs: TTL_MS }));
    const left = await net.clock.settle(leaver.put(utf8('left '.repeat(300)), { ttlMs: TTL_MS }));
    expect(holding(kept.key)).toBeGreaterThanOrEqual(8);
    expect(holding(left.key)).toBeGreaterThanOrEqual(8);
    await net.hosts[8]!.stop();

    await net.clock.advance(25 * MINUTE_MS); // 2.5 ttls
    expect(await net.clock.settle(reader.get(kept.key))).toEqual(utf8('kept '.repeat(300)));
    expect(keeper.chunks.statistics.republications).toBeGreaterThanOrEqual(3 * kept.chunks);
    expect(await net.clock.settle(reader.get(left.key))).toBeUndefined();
    expect(holding(left.key)).toBe(0); // every storer swept it
  });

  it('forget stops the re-storing: the value expires with its ttl', async () => {
    const publisher = nodes[5]!;
    const put = await net.clock.settle(publisher.put(utf8('short-lived'), { ttlMs: TTL_MS }));
    expect(publisher.forget(put.key)).toBe(true);
    expect(publisher.forget(put.key)).toBe(false);
    await net.clock.advance(5 * MINUTE_MS);
    expect(await net.clock.settle(nodes[11]!.get(put.key))).toEqual(utf8('short-lived'));
    await net.clock.advance(6 * MINUTE_MS);
    expect(await net.clock.settle(nodes[11]!.get(put.key))).toBeUndefined();
    expect(holding(put.key)).toBe(0);
  });
});
