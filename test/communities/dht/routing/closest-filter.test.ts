import { describe, expect, it } from 'vitest';
import { RoutingTable } from '../../../../communities/dht/routing/routing-table.js';
import { compareDistance } from '../../../../communities/dht/routing/node-id.js';
import { SeededRandom } from '../../../../framework/random/random.js';
import type { Contact } from '../../../../communities/dht/routing/contact.js';
import { StepClock } from './helpers.js';

describe('RoutingTable.closest with a filter', () => {
  it('equals filtering every contact then sorting them, and asks the filter about no contact past the n-th taken', () => {
    const random = new SeededRandom(9);
    const table = new RoutingTable(random.bytes(20), new StepClock(), { bucketSize: 8 });
    for (let i = 0; i < 400; i++) table.add({ id: random.bytes(20), address: { host: '10.0.0.1', port: 1 + i } });
    expect(table.size).toBeGreaterThan(40);
    for (let trial = 0; trial < 200; trial++) {
      const target = random.bytes(20);
      const n = 1 + (trial % 12);
      const refused = new Set(table.contacts().filter(() => random.float() < 0.3));
      const asked: Contact[] = [];
      const got = table.closest(target, n, (c) => {
        asked.push(c);
        return !refused.has(c);
      });
      const expected = table.contacts().filter((c) => !refused.has(c)).sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, n);
      expect(got).toEqual(expected);
      // Every contact asked about is either taken or refused, and none farther than the last taken.
      const last = got.at(-1)!;
      for (const c of asked) {
        if (!got.includes(c)) expect(refused.has(c)).toBe(true);
        if (got.length === n) expect(compareDistance(target, c.id, last.id)).toBeLessThanOrEqual(0);
      }
    }
  });
});
