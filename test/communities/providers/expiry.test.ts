/**
 * Provider records over time on 60 in-memory nodes (ManualClock): an announcement outlives its ttl while
 * its provider provides the key (re-signed before it ends, re-announced to the current k closest), is gone
 * after the ttl once the provider stopped providing it, and storers never replicate provider records: a
 * node that joins among the k closest gets the announcement from the provider's re-announcement.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity, hashKey } from '../../../communities/dht/index.js';
import { ProvidersCommunity } from '../../../communities/providers/index.js';
import { equalBytes } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 60;
const MINUTE_MS = 60_000;
const TTL_MS = 10 * MINUTE_MS;
const REANNOUNCE_MS = 5 * MINUTE_MS;
let net: OverlayNet;
let nodes: ProvidersCommunity[];

const holders = (key: Uint8Array): ProvidersCommunity[] => nodes.filter((n) => n.isRunning && n.records.store.get(key).length > 0);

beforeAll(async () => {
  net = await overlayNet(NODES, 2_026, (h) => h.register(ProvidersCommunity, { replicateIntervalMs: REANNOUNCE_MS }));
  nodes = net.hosts.map((h) => h.get(ProvidersCommunity));
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0);
});

describe('provider records over time (60 nodes, ttl 10 min, re-announced every 5 min)', () => {
  it('renewed while provided; gone after its ttl once stopProviding ended the renewals; never replicated', async () => {
    const [keeper, quitter, finder] = [nodes[10]!, nodes[20]!, nodes[30]!];
    await net.clock.settle(Promise.all([keeper.provide('over-time', { port: 1_000, ttlMs: TTL_MS }), quitter.provide('over-time', { port: 2_000, ttlMs: TTL_MS })]));
    const first = await net.clock.settle(finder.findProviders('over-time'));
    expect(first.map((p) => p.address.port).sort()).toEqual([1_000, 2_000]);
    const firstExpiry = first.find((p) => p.address.port === 1_000)!.expiresAt;
    expect(quitter.stopProviding('over-time')).toBe(true);
    expect(quitter.providing()).toEqual([]);
    expect(quitter.stopProviding('over-time')).toBe(false);

    await net.clock.advance(25 * MINUTE_MS); // 2.5 ttls
    const later = await net.clock.settle(finder.findProviders('over-time'));
    expect(later.map((p) => p.address.port)).toEqual([1_000]);
    expect(later[0]!.expiresAt).toBeGreaterThan(net.clock.now());
    expect(later[0]!.expiresAt).toBeGreaterThan(firstExpiry + 2 * 5 * MINUTE_MS); // re-signed with a later expiry
    expect(later[0]!.version).toBeGreaterThan(first.find((p) => p.address.port === 1_000)!.version);
    expect(keeper.records.statistics.republications).toBeGreaterThanOrEqual(4);
    expect(quitter.records.statistics.republications).toBe(0);
    // Storers never pass provider records on, whatever the time: only providers announce.
    expect(nodes.reduce((n, c) => n + c.records.statistics.replications, 0)).toBe(0);
    // No storer keeps an announcement beyond the expiry its provider signed; the quitter's is swept.
    const key = hashKey('over-time');
    for (const h of holders(key)) {
      for (const r of h.records.store.get(key)) {
        expect(r.expiresAt).toBeLessThanOrEqual(r.record.expiresAt);
        expect(equalBytes(r.record.publicKey, keeper.context.key.publicKey.toBinary())).toBe(true);
      }
    }
    expect(nodes.reduce((n, c) => n + c.records.statistics.expired, 0)).toBeGreaterThanOrEqual(6);

    // stopProviding: no more renewals; after its ttl, nobody has it.
    expect(keeper.stopProviding('over-time')).toBe(true);
    await net.clock.advance(TTL_MS + 2 * MINUTE_MS);
    expect(await net.clock.settle(finder.findProviders('over-time'))).toEqual([]);
    expect(holders(key)).toEqual([]);
  });

  it('a node that joins among the k closest gets the announcement from the provider, not from storers', async () => {
    const provider = nodes[40]!;
    const key = 'newcomer';
    await net.clock.settle(provider.provide(key, { port: 4_040, ttlMs: TTL_MS }));
    const before = holders(hashKey(key)).length;
    expect(before).toBe(8);
    // Nodes join until one is closer to the key than one of the current holders: one of the k closest.
    const holderIds = holders(hashKey(key)).map((h) => net.dhts[nodes.indexOf(h)]!.nodeId);
    let newcomer: ProvidersCommunity | undefined;
    for (let i = 0; i < 400 && newcomer === undefined; i++) {
      const host = await net.addHost({ bootstrap: [net.hosts[0]!.endpoint.address], setup: (h) => {
        h.register(DHTCommunity);
        h.register(ProvidersCommunity, { replicateIntervalMs: REANNOUNCE_MS });
      } });
      const dht = host.get(DHTCommunity);
      const id = dht.nodeId;
      const closer = holderIds.some((h) => xorLess(hashKey(key), id, h)); // among the k closest now
      if (!closer) {
        await host.stop();
        continue;
      }
      await net.clock.settle(dht.bootstrap());
      net.dhts.push(dht);
      newcomer = host.get(ProvidersCommunity);
      nodes.push(newcomer);
    }
    expect(newcomer).toBeDefined();
    expect(newcomer!.records.store.get(hashKey(key))).toEqual([]);
    await net.clock.advance(REANNOUNCE_MS + 2 * MINUTE_MS);
    const got = newcomer!.records.store.get(hashKey(key));
    expect(got.map((h) => h.record.port)).toEqual([4_040]);
    expect(got[0]!.record.host).toBe(net.hosts[40]!.endpoint.address.host);
    expect(nodes.reduce((n, c) => n + c.records.statistics.replications, 0)).toBe(0);
  });
});

/** True when `a` is closer to `target` than `b` (XOR distance). */
function xorLess(target: Uint8Array, a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < target.length; i++) {
    const da = target[i]! ^ a[i]!;
    const db = target[i]! ^ b[i]!;
    if (da !== db) return da < db;
  }
  return false;
}
