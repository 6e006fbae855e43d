/**
 * Lookup events: every lookup reports what it does as it happens (started, each query with its XOR
 * distance and path, each response or failure, each path's end, finished with hops, queries and duration),
 * to the call's `onEvent` and to the node's `lookup` listeners; nothing is traced when nobody listens.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import type { LookupEvent } from '../../../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../../../communities/discovery/index.js';
import { hashKey } from '../../../communities/dht/index.js';
import { toHex, utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

let net: OverlayNet | undefined;
afterEach(async () => {
  if (net !== undefined) expect(await net.stopAndDrain()).toBe(0);
  net = undefined;
});

function xorHex(a: string, b: Uint8Array): string {
  const x = Uint8Array.from(Buffer.from(a, 'hex'), (v, i) => v ^ b[i]!);
  return toHex(x);
}

describe('lookup events', () => {
  it('a find reports its queries, responses and end; the counts agree with the finished event', async () => {
    net = await overlayNet(40, 301, () => undefined);
    const [publisher, finder] = [net.dhts[0]!, net.dhts[39]!];
    await net.clock.settle(publisher.storeValue('traced', utf8('v'), { sign: true }));
    const events: LookupEvent[] = [];
    const found = await net.clock.settle(finder.findValues('traced', { onEvent: (e) => events.push(e) }));
    expect(found).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'started', kind: 'find-values', paths: 1, target: toHex(hashKey('traced')) });
    const finished = events.at(-1)!;
    expect(finished.type).toBe('finished');
    if (finished.type !== 'finished') return;
    const queries = events.filter((e) => e.type === 'query');
    const answers = events.filter((e) => e.type === 'response');
    expect(queries).toHaveLength(finished.queries);
    expect(finished.found).toBeGreaterThan(0);
    expect(answers.filter((e) => e.type === 'response' && e.records > 0).length).toBeGreaterThanOrEqual(finished.found);
    expect(new Set(events.map((e) => e.lookupId))).toEqual(new Set([events[0]!.lookupId]));
    for (const q of queries) if (q.type === 'query') expect(q.distance).toBe(xorHex(q.peer.id, hashKey('traced')));
    // Every answer comes from a node queried before it.
    for (const a of answers) {
      const i = events.indexOf(a);
      expect(events.slice(0, i).some((e) => e.type === 'query' && a.type === 'response' && e.peer.id === a.peer.id)).toBe(true);
    }
    expect(finished.durationMs).toBeGreaterThan(0);
  });

  it('disjoint paths: queries are spread over d paths and each path reports its end', async () => {
    net = await overlayNet(60, 302, () => undefined);
    const events: LookupEvent[] = [];
    await net.clock.settle(net.dhts[5]!.findClosestNodes(hashKey('paths'), { paths: 3, onEvent: (e) => events.push(e) }));
    expect(events[0]).toMatchObject({ type: 'started', kind: 'find-nodes', paths: 3 });
    const paths = new Set(events.flatMap((e) => (e.type === 'query' ? [e.path] : [])));
    expect(paths).toEqual(new Set([0, 1, 2]));
    expect(events.filter((e) => e.type === 'path-ended').map((e) => (e.type === 'path-ended' ? e.path : -1)).sort()).toEqual([0, 1, 2]);
  });

  it("the node's lookup listeners see stores and connects; a lookup nobody listens to is not traced", async () => {
    net = await overlayNet(30, 303, (h) => void h.register(DHTDiscoveryCommunity));
    const dht = net.dhts[3]!;
    const seen: LookupEvent[] = [];
    await net.clock.settle(dht.findValues('untraced')); // no listener yet: nothing to see
    dht.on('lookup', (e) => seen.push(e));
    await net.clock.settle(dht.storeValue('stored', utf8('x')));
    // A peer this node has no contact for: connectPeer looks it up (a 'connect' lookup).
    const target = net.hosts.find((h, i) => i !== 3 && !dht.routingTable.has(h.key.publicKey.mid))!;
    const discovery = net.hosts[3]!.get(DHTDiscoveryCommunity);
    const peers = await net.clock.settle(discovery.connectPeer(target.key.publicKey.mid));
    expect(peers[0]!.midHex).toBe(target.midHex);
    const kinds = seen.filter((e) => e.type === 'started').map((e) => (e.type === 'started' ? e.kind : ''));
    expect(kinds).toContain('store');
    expect(kinds).toContain('connect');
    expect(seen.some((e) => e.type === 'started' && e.target === toHex(hashKey('untraced')))).toBe(false);
    // Each started lookup finishes exactly once.
    const started = seen.filter((e) => e.type === 'started').map((e) => e.lookupId);
    const finished = seen.filter((e) => e.type === 'finished').map((e) => e.lookupId);
    expect(finished.sort()).toEqual(started.sort());
  });
});
