/**
 * Bag over real UDP: 5 nodes on 127.0.0.1 (ephemeral ports, no other address).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BagCommunity } from '../../../communities/bag/index.js';
import { DHTCommunity } from '../../../communities/dht/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { utf8 } from '../../../framework/index.js';
import { udpOverlay } from '../../helpers/udp-overlay.js';

let hosts: OverlayHost[] = [];
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

beforeAll(async () => {
  hosts = await udpOverlay(5, (h) => {
    h.register(BagCommunity);
  });
  for (const h of hosts) expect(h.endpoint.address.host).toBe('127.0.0.1');
  for (const h of hosts) expect(h.get(DHTCommunity).routingTable.size).toBe(4);
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('bag over UDP on 127.0.0.1 (5 nodes)', () => {
  it('bag: adds from three nodes are found by every node; the publisher removes its own', async () => {
    const bags = hosts.map((h) => h.get(BagCommunity));
    await Promise.all([bags[1]!.add('udp topic', utf8('one')), bags[2]!.add('udp topic', utf8('two')), bags[3]!.add('udp topic', utf8('three'))]);
    for (const b of bags) {
      const { entries, cursor } = await b.search('udp topic');
      expect(cursor).toBeUndefined();
      expect(entries.map((e) => text(e.value)).sort()).toEqual(['one', 'three', 'two']);
    }
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await bags[4]!.search('udp topic', { limit: 1, cursor });
      pages.push(...page.entries.map((e) => text(e.value)!));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(pages.sort()).toEqual(['one', 'three', 'two']);
    const removed = await bags[2]!.remove('udp topic', utf8('two'));
    expect(Object.keys(removed.verdicts)).toEqual(['updated']); // a tombstone is a newer version of the held entry
    expect((await bags[0]!.search('udp topic')).entries.map((e) => text(e.value)).sort()).toEqual(['one', 'three']);
  });
});
