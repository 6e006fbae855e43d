/**
 * The fast msgpack reader gives exactly what msgpackr gives for every input it reads, and leaves the rest
 * (so every rejection and its reason stay msgpackr's).
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { fastUnpack, UNREAD } from '../../../framework/wire/fast-unpack.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

const leaf = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 300 }),
);
const tree = fc.letrec((tie) => ({ node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 20 })) })).node;

/** msgpackr's verdict on `bytes`: its value, or the message it throws. */
function reference(bytes: Uint8Array): { value: unknown } | { error: string } {
  try {
    return { value: packr.unpack(bytes) as unknown };
  } catch (e) {
    return { error: String(e) };
  }
}

describe('fastUnpack', () => {
  it('reads what msgpackr reads, to equal values, for arrays, byte strings, integers, bigints, booleans and nil', () => {
    fc.assert(
      fc.property(tree, (value) => {
        const bytes = new Uint8Array(packr.pack(value));
        const got = fastUnpack(bytes);
        expect(got).not.toBe(UNREAD);
        expect(got).toEqual(packr.unpack(bytes));
      }),
      { numRuns: 1_000 },
    );
    for (const n of [255, 256, 65_536, 70_000]) {
      const bytes = new Uint8Array(packr.pack([new Uint8Array(n).fill(3), new Array(n).fill(7)]));
      expect(fastUnpack(bytes)).toEqual((reference(bytes) as { value: unknown }).value);
    }
  });

  it('on any bytes, either gives what msgpackr gives or leaves them to it', () => {
    const mutated = fc.tuple(tree, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: -3, max: 3 })).map(([value, flips, cut]) => {
      const bytes = new Uint8Array(packr.pack(value));
      for (const [i, b] of flips) if (bytes.length > 0) bytes[i % bytes.length] = b;
      return cut < 0 ? bytes.subarray(0, Math.max(0, bytes.length + cut)) : new Uint8Array([...bytes, ...new Array<number>(cut).fill(0)]);
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 64 })), (bytes) => {
        const got = fastUnpack(bytes);
        if (got === UNREAD) return;
        const ref = reference(bytes);
        expect(ref).toHaveProperty('value');
        expect(got).toEqual((ref as { value: unknown }).value);
      }),
      { numRuns: 3_000 },
    );
  });

  it('leaves text, floats, maps, extensions, trailing bytes, truncations and deep nesting to msgpackr', () => {
    const cases = [packr.pack('a'), packr.pack(1.5), packr.pack({ a: 1 }), packr.pack(undefined), new Uint8Array([0x01, 0x02]), new Uint8Array([0xc4, 5, 1]), new Uint8Array([0x92, 1]), new Uint8Array(40).fill(0x91), new Uint8Array(0)];
    for (const bytes of cases) expect(fastUnpack(new Uint8Array(bytes))).toBe(UNREAD);
  });

  it('gives byte strings as views into the input, as msgpackr does', () => {
    const bytes = new Uint8Array(packr.pack([new Uint8Array([1, 2, 3])]));
    const [bin] = fastUnpack(bytes) as [Uint8Array];
    expect(bin.buffer).toBe(bytes.buffer);
    expect(Object.getPrototypeOf(bin)).toBe(Uint8Array.prototype);
  });
});
