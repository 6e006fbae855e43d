/**
 * Namespace expiry and republishing on 100 in-memory nodes: a record outlives its ttl while its publisher
 * runs (refreshed before it ends), and disappears once its publisher stopped and the ttl passed. Nothing here
 * depends on the size (a record lives on its k = 8 closest nodes): 100 nodes instead of 200 halve the build.
 * Seeds 4321, 1 and 2 each give 3 republications (a timer's count, the test wants 3) and 16 expiries (it wants 8).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceCommunity } from '../../../communities/namespace/index.js';
import { utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 100;
const MINUTE_MS = 60_000;
const TTL_MS = 10 * MINUTE_MS;
let net: OverlayNet;
let nss: NamespaceCommunity[];

beforeAll(async () => {
  net = await overlayNet(NODES, 4_321, (h) => h.register(NamespaceCommunity));
  nss = net.hosts.map((h) => h.get(NamespaceCommunity));
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe(`namespace expiry and republish (${NODES} nodes)`, () => {
  it('outlives its ttl while the publisher runs; gone after the ttl once it stopped', async () => {
    const [keeper, leaver, reader] = [nss[30]!, nss[90]!, nss[70]!];
    await net.clock.settle(Promise.all([keeper.set('presence', utf8('here'), { ttlMs: TTL_MS }), leaver.set('presence', utf8('bye'), { ttlMs: TTL_MS })]));
    const kpk = keeper.context.key.publicKey;
    const lpk = leaver.context.key.publicKey;
    expect((await net.clock.settle(reader.get(lpk, 'presence')))?.seq).toBe(0);
    await net.hosts[90]!.stop();

    await net.clock.advance(25 * 60_000);
    const kept = await net.clock.settle(reader.get(kpk, 'presence'));
    expect([kept?.seq, new TextDecoder().decode(kept?.value)]).toEqual([0, 'here']);
    expect(await net.clock.settle(reader.get(lpk, 'presence'))).toBeUndefined();
    expect(keeper.records.statistics.republications).toBeGreaterThanOrEqual(3);

    await net.hosts[30]!.stop();
    await net.clock.advance(TTL_MS + 2 * MINUTE_MS);
    expect(await net.clock.settle(reader.get(kpk, 'presence'))).toBeUndefined();
    const location = keeper.locationOf({ publicKey: kpk.toBinary(), key: utf8('presence') });
    expect(nss.filter((n) => n.isRunning && n.records.store.get(location).length > 0)).toEqual([]);
    const expired = nss.reduce((n, x) => n + x.records.statistics.expired, 0);
    console.log(JSON.stringify({ republications: keeper.records.statistics.republications, expired }));
    expect(expired).toBeGreaterThanOrEqual(8);
  });
});
