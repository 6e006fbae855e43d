import { PrivateKey } from '../../../../framework/crypto/keys.js';
import { SeededRandom } from '../../../../framework/random/random.js';
import { utf8 } from '../../../../framework/util/bytes.js';
import type { ValueRecord } from '../../../../communities/dht/storage/value-record.js';

/** A deterministic test key pair. */
export function testKey(seed: number): PrivateKey {
  return PrivateKey.generate(new SeededRandom(seed));
}

/** A 20-byte key filled with `fill`. */
export function keyOf(fill: number): Uint8Array {
  return new Uint8Array(20).fill(fill);
}

/** Text as bytes. */
export const text = utf8;

/** A copy of `record` with the given fields replaced. */
export function withFields(record: ValueRecord, fields: Partial<ValueRecord>): ValueRecord {
  return { ...record, ...fields };
}

/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flipBit(bytes: Uint8Array, index = 0, bit = 0): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] = out[index]! ^ (1 << bit);
  return out;
}
