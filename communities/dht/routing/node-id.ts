/**
 * Kademlia node ids and the XOR metric. Every function works on ids of any byte length (tests use
 * 1-byte ids to hit bucket limits quickly); both operands must have the same length.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import type { Random } from '../../../framework/random/random.js';

/** Length of a node id in bytes (a SHA-1 sized id, derived from the node's mid). */
export const NODE_ID_BYTES = 20;

/** Length of a node id in bits. */
export const NODE_ID_BITS = NODE_ID_BYTES * 8;

function checkSameLength(a: Uint8Array, b: Uint8Array, what: string): void {
  if (a.length !== b.length) {
    throw new InvalidArgumentError(`${what}: ids must have the same length, got ${a.length} and ${b.length} bytes`);
  }
}

/**
 * The XOR distance `a ^ b` as a new byte array (big-endian: byte 0 is the most significant).
 * @throws an {@link InvalidArgumentError} when the lengths differ.
 */
export function xorDistance(a: Uint8Array, b: Uint8Array): Uint8Array {
  checkSameLength(a, b, 'xorDistance');
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Which of `a` and `b` is closer to `target` by XOR, without allocating.
 * @returns a negative number when `a` is closer, positive when `b` is closer, 0 when `a` and `b` are equal.
 * @throws an {@link InvalidArgumentError} when the three lengths differ.
 */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  checkSameLength(target, a, 'compareDistance');
  checkSameLength(target, b, 'compareDistance');
  for (let i = 0; i < target.length; i++) {
    const t = target[i]!;
    const d = (a[i]! ^ t) - (b[i]! ^ t);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Number of leading bits `a` and `b` share: `0..a.length * 8` (the full width when they are equal).
 * @throws an {@link InvalidArgumentError} when the lengths differ.
 */
export function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  checkSameLength(a, b, 'commonPrefixLength');
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

/**
 * Bit `index` of `id`, counting from the most significant bit of byte 0.
 * @throws an {@link InvalidArgumentError} when `index` is outside `0..id.length * 8 - 1`.
 */
export function getBit(id: Uint8Array, index: number): 0 | 1 {
  if (!Number.isInteger(index) || index < 0 || index >= id.length * 8) {
    throw new InvalidArgumentError(`bit index must be in 0..${id.length * 8 - 1}, got ${index}`);
  }
  return ((id[index >> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;
}

function checkPrefixBits(id: Uint8Array, prefixBits: number): void {
  if (!Number.isInteger(prefixBits) || prefixBits < 0 || prefixBits > id.length * 8) {
    throw new InvalidArgumentError(`prefixBits must be an integer in 0..${id.length * 8}, got ${prefixBits}`);
  }
}

/**
 * A copy of `id` keeping its first `prefixBits` bits and clearing all the others: the canonical form of
 * a bucket prefix.
 * @throws an {@link InvalidArgumentError} when `prefixBits` is outside `0..id.length * 8`.
 */
export function maskPrefix(id: Uint8Array, prefixBits: number): Uint8Array {
  checkPrefixBits(id, prefixBits);
  const out = new Uint8Array(id.length);
  const full = prefixBits >> 3;
  out.set(id.subarray(0, full));
  const rest = prefixBits & 7;
  if (rest !== 0) out[full] = id[full]! & (0xff << (8 - rest)) & 0xff;
  return out;
}

/**
 * The first `prefixBits` bits of `id` as a string of `0` and `1` (empty for 0 bits), for display.
 * @throws an {@link InvalidArgumentError} when `prefixBits` is outside `0..id.length * 8`.
 */
export function prefixToBitString(id: Uint8Array, prefixBits: number): string {
  checkPrefixBits(id, prefixBits);
  let s = '';
  for (let i = 0; i < prefixBits; i++) s += getBit(id, i) === 1 ? '1' : '0';
  return s;
}

/**
 * A uniformly random id of `prefix.length` bytes whose first `prefixBits` bits equal those of `prefix`:
 * a lookup target inside the bucket with that prefix and depth (used for bucket refresh).
 * @param random the random source.
 * @param prefix any id whose leading bits give the range; bits past `prefixBits` are ignored.
 * @param prefixBits how many leading bits to keep, `0..prefix.length * 8`.
 * @throws an {@link InvalidArgumentError} when `prefixBits` is outside `0..prefix.length * 8`.
 */
export function randomIdInRange(random: Random, prefix: Uint8Array, prefixBits: number): Uint8Array {
  checkPrefixBits(prefix, prefixBits);
  const out = random.bytes(prefix.length);
  if (out.length !== prefix.length) {
    throw new InvalidArgumentError(`random source returned ${out.length} bytes, expected ${prefix.length}`);
  }
  const full = prefixBits >> 3;
  out.set(prefix.subarray(0, full));
  const rest = prefixBits & 7;
  if (rest !== 0) {
    const keep = (0xff << (8 - rest)) & 0xff;
    out[full] = (prefix[full]! & keep) | (out[full]! & ~keep & 0xff);
  }
  return out;
}
