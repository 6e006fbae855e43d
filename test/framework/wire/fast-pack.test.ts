/**
 * The fast msgpack writer writes exactly msgpackr's bytes for every value it takes, and declines the rest.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DECLINED, fastPack } from '../../../framework/wire/fast-pack.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
const target = new Uint8Array(1 << 20);
const view = new DataView(target.buffer);

function fast(value: unknown): number[] | typeof DECLINED {
  const n = fastPack(value, target, view);
  return n === DECLINED ? DECLINED : [...target.subarray(0, n)];
}

const leaf = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
  fc.constantFrom(0, 31, 32, 127, 128, 255, 256, 65_535, 65_536, -1, -32, -33, -128, -129, -32_768, -32_769, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 300 }),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 20 })),
})).node;

describe('fastPack', () => {
  it('writes the bytes msgpackr writes, for arrays, byte strings, 32-bit integers, bigints, booleans and nil', () => {
    fc.assert(
      fc.property(tree, (value) => {
        const expected = [...packr.pack(value)];
        const got = fast(value);
        expect(got).toEqual(expected);
      }),
      { numRuns: 1_000 },
    );
    for (const n of [255, 256, 65_535, 65_536, 70_000]) {
      expect(fast(new Uint8Array(n).fill(7))).toEqual([...packr.pack(new Uint8Array(n).fill(7))]);
      expect(fast(new Array(n).fill(1))).toEqual([...packr.pack(new Array(n).fill(1))]);
    }
  });

  it('declines text, floats, integers past 32 bits, bigints past 64, undefined, objects and maps', () => {
    for (const value of ['a', 1.5, 2 ** 40, -(2 ** 40), 2n ** 64n, -(2n ** 63n) - 1n, undefined, { a: 1 }, new Map(), [1, ['x']], new Uint16Array(2)]) {
      expect(fast(value)).toBe(DECLINED);
    }
  });

  it('declines a value larger than its buffer instead of writing past it', () => {
    expect(fastPack(new Uint8Array(100), new Uint8Array(50), new DataView(new ArrayBuffer(50)))).toBe(DECLINED);
    expect(fastPack([new Uint8Array(40), new Uint8Array(40)], new Uint8Array(50), new DataView(new ArrayBuffer(50)))).toBe(DECLINED);
  });
});
