/**
 * The large-network requirement: in a 200-node DHT every node finds every one of 50 stored values, i.e.
 * 200 × 50 = 10,000 `findValues`, each returning exactly the stored value.
 *
 * Every find costs about 19 signed datagrams (~8 lookup round trips, ~1 retry with a store token where a
 * storer withheld its values from a requester that had not proved its address yet, and most of the time a
 * cache store), each signed once and verified once, so the test is CPU-bound (~35 µs per signature,
 * ~110 µs per verification with node:crypto, ~300 µs per datagram in all): virtual time barely moves.
 * Finds run 20 nodes at a time, each node with `findMany` (concurrency 50), so memory stays bounded while
 * the CPU stays busy.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { StoreItem } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import { sum, text } from './large-net.js';

const NODES = 200;
const VALUES = 50;
const PUBLISHERS = 5;
const FINDERS_PER_WAVE = 20;
const FIND_CONCURRENCY = 50;
/** Kademlia k (the default bucket size): a store on a converged 200-node network reaches exactly k nodes. */
const K = 8;

describe('DHT with 200 nodes', () => {
  it('every node finds every one of 50 stored values: 10,000 finds, all return the value', { timeout: 600_000 }, async () => {
    const net = await dhtNet(NODES, 0x200, {});
    try {
      // 5 publishers spread over the network each store 10 values with storeMany; the first one signs them.
      const keys = Array.from({ length: VALUES }, (_, i) => `large-network key ${i}`);
      const expected = keys.map((key, i) => `value ${i} of ${key}`);
      const publishers = Array.from({ length: PUBLISHERS }, (_, p) => net.dhts[p * (NODES / PUBLISHERS) + 1]!);
      const perPublisher = VALUES / PUBLISHERS;
      const batches = publishers.map((publisher, p) => {
        const items: StoreItem[] = [];
        for (let i = p * perPublisher; i < (p + 1) * perPublisher; i++) {
          items.push({ key: keys[i]!, data: utf8(expected[i]!), sign: p === 0 });
        }
        return publisher.storeMany(items, { concurrency: perPublisher });
      });
      const stored = (await net.clock.settle(Promise.all(batches))).flat();
      expect(stored).toHaveLength(VALUES);
      expect(stored.map((r) => (r.ok ? r.value : r.error.reason))).toEqual(new Array(VALUES).fill(K));

      // Every node looks up every key: exactly the stored value, signed by its publisher where it was signed.
      const signer = publishers[0]!.context.key.publicKey.midHex;
      const publisherOf = (i: number): string | undefined => (i < perPublisher ? signer : undefined);
      const failures: string[] = [];
      let found = 0;
      for (let first = 0; first < NODES; first += FINDERS_PER_WAVE) {
        const wave = net.dhts.slice(first, first + FINDERS_PER_WAVE);
        const results = await net.clock.settle(Promise.all(wave.map((d) => d.findMany(keys, { concurrency: FIND_CONCURRENCY }))));
        results.forEach((perKey, w) => {
          perKey.forEach((r, i) => {
            const where = `node ${first + w}, key ${i}`;
            if (!r.ok) failures.push(`${where}: ${r.error.reason}`);
            else if (r.value.length !== 1 || text(r.value[0]!.data) !== expected[i]) failures.push(`${where}: ${r.value.length} values`);
            else if (r.value[0]!.publicKey?.midHex !== publisherOf(i)) failures.push(`${where}: wrong publisher`);
            else found++;
          });
        });
      }
      expect(failures).toEqual([]);
      expect(found).toBe(NODES * VALUES);


      // The counters agree: 10,000 finds, 50 per node, all with a value, nothing rejected, no request timed out.
      expect(net.dhts.map((d) => d.statistics.finds)).toEqual(new Array(NODES).fill(VALUES));
      expect(sum(net.dhts, (d) => d.statistics.findsWithValues)).toBe(NODES * VALUES);
      expect(sum(net.dhts, (d) => d.statistics.valuesRejected)).toBe(0);
      expect(sum(net.dhts, (d) => d.statistics.timeouts)).toBe(0);
      expect(sum(publishers, (d) => d.statistics.storesSucceeded)).toBe(VALUES);
    } finally {
      expect(await net.stopAndDrain()).toBe(0);
    }
  });
});
