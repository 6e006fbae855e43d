import { describe, expect, it } from 'vitest';
import { sharedCopy } from '../../../../communities/dht/routing/contact.js';
import { RoutingTable } from '../../../../communities/dht/routing/routing-table.js';
import { StepClock } from './helpers.js';

describe('sharedCopy: the shared copy of a caller array, remembered per array', () => {
  it('returns the same shared copy for the same array and for equal content, never the caller array', () => {
    const given = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    const first = sharedCopy(given);
    expect(first).not.toBe(given);
    expect(first).toEqual(given);
    expect(sharedCopy(given)).toBe(first); // the remembered copy
    expect(sharedCopy(given.slice())).toBe(first); // equal content elsewhere: the interned copy
  });

  it('follows a caller array changed since: the copy of its new content, the old copy untouched', () => {
    const given = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);
    const before = sharedCopy(given);
    given[3] = 7;
    const after = sharedCopy(given);
    expect(after).not.toBe(before);
    expect(after).toEqual(given);
    expect(before[3]).toBe(103);
    expect(sharedCopy(given)).toBe(after);
  });

  it('a requester that can only wait in a full bucket keeps cycling the replacement cache exactly as before', () => {
    // Bucket size 2, replacement cache 2: three requesters of one full bucket push each other out in turn.
    const self = new Uint8Array(20);
    const table = new RoutingTable(self, new StepClock(), { bucketSize: 2, replacementCacheSize: 2 });
    const id = (b: number): Uint8Array => {
      const out = new Uint8Array(20);
      out[0] = 0x80;
      out[19] = b;
      return out;
    };
    const address = (b: number) => ({ host: '10.0.0.1', port: 1000 + b });
    expect(table.add({ id: id(1), address: address(1) }).status).toBe('added');
    expect(table.add({ id: id(2), address: address(2) }).status).toBe('added');
    const ids = [id(3), id(4), id(5)];
    for (let round = 0; round < 4; round++) {
      for (const [i, requester] of ids.entries()) {
        expect(table.add({ id: requester, address: address(3 + i) }).status).toBe('full');
        const replacements = table.buckets().find((b) => b.replacements.length > 0)!.replacements;
        expect(replacements.map((c) => c.id[19])).toEqual(i === 0 && round === 0 ? [3] : [ids[(i + 2) % 3]![19], ids[i]![19]]);
        expect(replacements.at(-1)!.id).not.toBe(requester);
        expect(replacements.at(-1)!.id).toBe(sharedCopy(requester));
      }
    }
  });
});

describe('contacts share one address object per address', () => {
  it('the same caller address object, or an equal one, gives the shared frozen copy; a changed one its new copy', () => {
    const table = new RoutingTable(new Uint8Array(20), new StepClock(), { bucketSize: 4 });
    const from = { host: '10.0.0.9', port: 7000 };
    const id = (b: number): Uint8Array => Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? 0x80 : i === 19 ? b : 0));
    table.add({ id: id(1), address: from });
    table.add({ id: id(2), address: from });
    table.add({ id: id(3), address: { host: '10.0.0.9', port: 7000 } });
    const shared = table.get(id(1))!.address;
    expect(shared).not.toBe(from);
    expect(Object.isFrozen(shared)).toBe(true);
    expect(table.get(id(2))!.address).toBe(shared);
    expect(table.get(id(3))!.address).toBe(shared);
    (from as { port: number }).port = 7001;
    table.add({ id: id(4), address: from });
    expect(table.get(id(4))!.address).toEqual({ host: '10.0.0.9', port: 7001 });
    expect(table.get(id(4))!.address).not.toBe(shared);
    expect(shared).toEqual({ host: '10.0.0.9', port: 7000 });
  });
});
