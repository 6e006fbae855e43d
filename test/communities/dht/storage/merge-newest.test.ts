import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeNewest } from '../../../../communities/dht/storage/merge-newest.js';
import type { ValueRecord } from '../../../../communities/dht/storage/value-record.js';
import { signRecord, unsignedRecord, verifyRecord } from '../../../../communities/dht/storage/value-record.js';
import { keyOf, testKey, text, withFields } from './helpers.js';

const KEY = keyOf(5);
const [p1, p2, p3] = [testKey(21), testKey(22), testKey(23)];
/** `publisher:version:data` of a record, for readable comparisons. */
function describeRecord(r: ValueRecord): string {
  const publisher = r.publicKey === undefined ? 'unsigned' : Buffer.from(r.publicKey).toString('hex').slice(-8);
  return `${publisher}:${r.version}:${new TextDecoder().decode(r.data)}`;
}

describe('mergeNewest', () => {
  const r1v1 = signRecord(p1, KEY, text('p1 v1'), 1);
  const r1v4 = signRecord(p1, KEY, text('p1 v4'), 4);
  const r2v2 = signRecord(p2, KEY, text('p2 v2'), 2);
  const r2v7 = signRecord(p2, KEY, text('p2 v7'), 7);
  const r3v3 = signRecord(p3, KEY, text('p3 v3'), 3);
  const u1 = unsignedRecord(KEY, text('u1'));
  const u2 = unsignedRecord(KEY, text('u2'));
  // Three responders with overlapping, partly outdated answers.
  const responses: ValueRecord[][] = [
    [r1v1, r2v7, u1],
    [r1v4, r2v2, r3v3, u1],
    [r1v1, r3v3, u2, r2v2],
  ];

  it('keeps exactly the newest version per publisher and each unsigned value once', () => {
    const merged = mergeNewest(responses.flat());
    expect(merged.map(describeRecord).sort()).toEqual([r1v4, r2v7, r3v3, u1, u2].map(describeRecord).sort());
    expect(merged).toHaveLength(5);
    // Signed ones come first, unsigned last.
    expect(merged.slice(0, 3).every((r) => r.signature !== undefined)).toBe(true);
  });

  it('drops a forged record, falling back to the newest genuine version', () => {
    const forged = withFields(r3v3, { version: 99, data: text('evil') });
    const forgedUnsigned = withFields(u1, { signature: new Uint8Array(64) });
    const merged = mergeNewest([...responses.flat(), forged, forgedUnsigned]);
    expect(merged.map(describeRecord).sort()).toEqual([r1v4, r2v7, r3v3, u1, u2].map(describeRecord).sort());
    expect(merged.some((r) => r.version === 99)).toBe(false);
  });

  it('drops a publisher entirely when none of its versions verify', () => {
    const forged = withFields(r3v3, { data: text('evil') });
    const merged = mergeNewest([r1v1, forged]);
    expect(merged).toEqual([r1v1]);
  });

  it('uses the given verifier, verifying as few candidates as needed', () => {
    let calls = 0;
    const merged = mergeNewest([r1v1, r1v4, r1v4, r1v1], (record) => {
      calls++;
      return verifyRecord(record);
    });
    expect(merged).toEqual([r1v4]);
    expect(calls).toBe(1);
    expect(mergeNewest(responses.flat(), () => false)).toEqual([]);
  });

  it('resolves equal versions with different data the same way whatever the order', () => {
    const a = signRecord(p1, KEY, text('aaa'), 5);
    const b = signRecord(p1, KEY, text('bbb'), 5);
    expect(mergeNewest([a, b])).toEqual([a]);
    expect(mergeNewest([b, a])).toEqual([a]);
  });

  it('gives the same result for any order of the answers (property)', () => {
    const all = responses.flat();
    const expected = mergeNewest(all).map(describeRecord);
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (shuffled) => {
        expect(mergeNewest(shuffled).map(describeRecord)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('returns an empty list for no answers', () => {
    expect(mergeNewest([])).toEqual([]);
  });
});
