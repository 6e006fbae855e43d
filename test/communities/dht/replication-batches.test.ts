/**
 * Replication of a key holding more values than one datagram carries: the records go out in as many
 * store requests as needed, so a node that joins among the closest gets every value, not none.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { hashKey, unsignedRecord } from '../../../communities/dht/index.js';
import type { ValueRecord } from '../../../communities/dht/index.js';
import { packBySize } from '../../../communities/dht/records/pack.js';
import { ValueWire } from '../../../communities/dht/value-policy.js';
import { encodeBody } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';

/** A value's size on the wire (its ValueWire encoding), what store batches are packed by. */
function wireRecordSize(r: ValueRecord): number {
  return encodeBody(ValueWire, { data: r.data, publicKey: r.publicKey, version: r.version, signature: r.signature }).length;
}

/** Value records packed into store batches by their wire size. */
function packRecords(records: readonly ValueRecord[], budget: number, maxCount: number): ValueRecord[][] {
  return packBySize(records, wireRecordSize, budget, maxCount);
}

describe('packing values into store batches', () => {
  const rec = (n: number): ValueRecord => unsignedRecord(new Uint8Array(20), new Uint8Array(n));

  it('fills batches up to the byte budget and the record count, in order', () => {
    const records = [rec(100), rec(100), rec(100), rec(100), rec(100)];
    const size = wireRecordSize(records[0]!);
    const bySize = packRecords(records, 2 * size, 64);
    expect(bySize.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(bySize.flat()).toEqual(records);
    expect(packRecords(records, 100 * size, 3).map((b) => b.length)).toEqual([3, 2]);
    expect(packRecords([], 1_000, 64)).toEqual([]);
  });

  it('packBySize batches any items by a size function (the bag uses it for its entries)', () => {
    expect(packBySize([1, 2, 3, 4], (n) => n, 5, 10)).toEqual([[1, 2], [3], [4]]);
    expect(packBySize([1, 1, 1], (n) => n, 100, 2)).toEqual([[1, 1], [1]]);
  });

  it('gives a record larger than the budget a batch of its own', () => {
    const big = rec(1_300); // the wire takes up to 1,400 bytes of data
    expect(packRecords([rec(10), big, rec(10)], 1_000, 64).map((b) => b.length)).toEqual([1, 1, 1]);
  });
});

describe('replicating a key with more values than one datagram holds', () => {
  it('a node joining among the closest receives all 12 values (about 9 KB) by replication', async () => {
    const settings = { replicateIntervalMs: 600_000, republishIntervalMs: 36_000_000 };
    const net = await dhtNet(12, 41, settings);
    const key = hashKey('many publishers');
    for (const [i, dht] of net.dhts.entries()) {
      await net.clock.settle(dht.storeValue(key, new Uint8Array(600).fill(i), { sign: true }));
    }
    expect(net.dhts[0]!.store.get(key)).toHaveLength(12);
    const total = net.dhts[0]!.store.get(key).reduce((a, s) => a + wireRecordSize(s.record), 0);
    expect(total).toBeGreaterThan(3 * 1_400);

    const newcomer = await net.addDhtNode();
    expect(newcomer.store.get(key)).toHaveLength(0);
    await net.clock.advance(700_000); // one replication interval and a maintenance tick
    const held = newcomer.store.get(key);
    expect(held).toHaveLength(12);
    expect(new Set(held.map((s) => s.record.data[0]))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    expect(held.every((s) => s.origin === 'store')).toBe(true);
    await net.stopAll();
  });
});
