import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../../framework/errors.js';
import { SeededRandom } from '../../../../framework/random/random.js';
import { fromHex, toHex } from '../../../../framework/util/bytes.js';
import {
  commonPrefixLength,
  compareDistance,
  getBit,
  maskPrefix,
  NODE_ID_BITS,
  NODE_ID_BYTES,
  prefixToBitString,
  randomIdInRange,
  xorDistance,
} from '../../../../communities/dht/routing/node-id.js';
import { idToBigInt } from './helpers.js';

describe('node ids: known answers', () => {
  it('has 20-byte, 160-bit ids', () => {
    expect([NODE_ID_BYTES, NODE_ID_BITS]).toEqual([20, 160]);
  });

  it('xorDistance', () => {
    expect(toHex(xorDistance(fromHex('ff00'), fromHex('0ff0')))).toBe('f0f0');
    expect(toHex(xorDistance(fromHex('a5'), fromHex('a5')))).toBe('00');
    const a = fromHex('0123456789abcdef0123456789abcdef01234567');
    const b = fromHex('fedcba9876543210fedcba9876543210fedcba98');
    expect(toHex(xorDistance(a, b))).toBe('ffffffffffffffffffffffffffffffffffffffff');
  });

  it('commonPrefixLength', () => {
    expect(commonPrefixLength(fromHex('80'), fromHex('00'))).toBe(0);
    expect(commonPrefixLength(fromHex('01'), fromHex('00'))).toBe(7);
    expect(commonPrefixLength(fromHex('a5'), fromHex('a5'))).toBe(8);
    expect(commonPrefixLength(fromHex('ab00'), fromHex('ab80'))).toBe(8);
    expect(commonPrefixLength(fromHex('abcd'), fromHex('abcc'))).toBe(15);
    const id = fromHex('00'.repeat(19) + '01');
    expect(commonPrefixLength(id, id)).toBe(160);
    expect(commonPrefixLength(id, new Uint8Array(20))).toBe(159);
  });

  it('compareDistance', () => {
    const [t0, tf, a, b] = [fromHex('00'), fromHex('ff'), fromHex('01'), fromHex('02')];
    expect(compareDistance(t0, a, b)).toBeLessThan(0); // 1 < 2
    expect(compareDistance(tf, a, b)).toBeGreaterThan(0); // 0xfe > 0xfd
    expect(compareDistance(t0, a, a)).toBe(0);
    expect(compareDistance(fromHex('8000'), fromHex('80ff'), fromHex('0000'))).toBeLessThan(0);
  });

  it('getBit, maskPrefix, prefixToBitString', () => {
    const id = fromHex('a5f0');
    expect(Array.from({ length: 16 }, (_, i) => getBit(id, i)).join('')).toBe('1010010111110000');
    expect(toHex(maskPrefix(fromHex('ffff'), 12))).toBe('fff0');
    expect(toHex(maskPrefix(fromHex('ffff'), 0))).toBe('0000');
    expect(toHex(maskPrefix(fromHex('ffff'), 16))).toBe('ffff');
    expect(prefixToBitString(id, 10)).toBe('1010010111');
    expect(prefixToBitString(id, 0)).toBe('');
  });

  it('rejects mismatched lengths and out-of-range bit counts', () => {
    expect(() => xorDistance(fromHex('00'), fromHex('0000'))).toThrow(InvalidArgumentError);
    expect(() => compareDistance(fromHex('00'), fromHex('00'), fromHex('0000'))).toThrow(InvalidArgumentError);
    expect(() => commonPrefixLength(fromHex('00'), fromHex('0000'))).toThrow(InvalidArgumentError);
    expect(() => getBit(fromHex('00'), 8)).toThrow(InvalidArgumentError);
    const random = new SeededRandom(1);
    expect(() => randomIdInRange(random, fromHex('00'), 9)).toThrow(InvalidArgumentError);
    expect(() => randomIdInRange(random, fromHex('00'), -1)).toThrow(InvalidArgumentError);
    expect(() => randomIdInRange(random, fromHex('00'), 1.5)).toThrow(InvalidArgumentError);
  });
});

describe('randomIdInRange', () => {
  it('keeps the prefix bits and randomizes all the others (8-bit ids, 3 prefix bits)', () => {
    const random = new SeededRandom(42);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const id = randomIdInRange(random, fromHex('bf'), 3); // prefix 101
      expect(id[0]! >> 5).toBe(0b101);
      seen.add(id[0]!);
    }
    expect(seen.size).toBe(32); // every one of the 2^5 ids of the range
  });

  it('returns the prefix itself at full width and anything at width 0', () => {
    const random = new SeededRandom(7);
    const prefix = fromHex('0123456789abcdef0123456789abcdef01234567');
    expect(toHex(randomIdInRange(random, prefix, 160))).toBe(toHex(prefix));
    const firstBits = new Set<number>();
    for (let i = 0; i < 64; i++) firstBits.add(getBit(randomIdInRange(random, prefix, 0), 0));
    expect(firstBits.size).toBe(2);
  });

  it('always lands inside the range, for any id length and prefix length', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ minLength: 1, maxLength: 24 })
          .chain((p) => fc.tuple(fc.constant(p), fc.nat({ max: p.length * 8 }), fc.integer())),
        ([prefix, bits, seed]) => {
          const id = randomIdInRange(new SeededRandom(seed), prefix, bits);
          expect(id.length).toBe(prefix.length);
          expect(commonPrefixLength(id, prefix)).toBeGreaterThanOrEqual(bits);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('XOR metric properties', () => {
  const triple = fc.integer({ min: 1, max: 24 }).chain((n) => {
    const id = fc.uint8Array({ minLength: n, maxLength: n });
    return fc.tuple(id, id, id);
  });

  it('compareDistance orders like the integer value of the XOR; commonPrefixLength matches the XOR', () => {
    fc.assert(
      fc.property(triple, ([t, a, b]) => {
        const da = idToBigInt(xorDistance(t, a));
        const db = idToBigInt(xorDistance(t, b));
        expect(Math.sign(compareDistance(t, a, b))).toBe(da < db ? -1 : da > db ? 1 : 0);
        const width = a.length * 8;
        const x = idToBigInt(xorDistance(a, b));
        expect(commonPrefixLength(a, b)).toBe(x === 0n ? width : width - x.toString(2).length);
        expect(toHex(xorDistance(a, b))).toBe(toHex(xorDistance(b, a)));
      }),
      { numRuns: 300 },
    );
  });
});
