import { createHash } from 'node:crypto';
import { valueId } from '../../../../communities/dht/value-policy.js';
import { describe, expect, it } from 'vitest';
import {
  checkRecord,
  hashKey,
  isWellFormed,
  signedMessage,
  signRecord,
  unsignedRecord,
  verifyRecord,
} from '../../../../communities/dht/storage/value-record.js';
import type { PublicKey } from '../../../../framework/crypto/keys.js';
import { InvalidArgumentError } from '../../../../framework/errors.js';
import { fromHex, toHex } from '../../../../framework/util/bytes.js';
import { flipBit, keyOf, testKey, text, withFields } from './helpers.js';

const KEY = fromHex('0102030405060708090a0b0c0d0e0f1011121314');
const VERSION = 1_700_000_000_000;

describe('signedMessage', () => {
  const PK = new Uint8Array(74).fill(0xee);

  it('is domain | publisher public key | key | u64 big-endian version | data (known answer)', () => {
    const expected =
      '706565726c61793a6468743a76616c75653a7632' + // "peerlay:dht:value:v2"
      'ee'.repeat(74) + // publisher public key binary
      '0102030405060708090a0b0c0d0e0f1011121314' + // key
      '0000018bcfe56800' + // 1_700_000_000_000 as u64 BE
      '6869'; // "hi"
    expect(toHex(signedMessage(KEY, VERSION, text('hi'), PK))).toBe(expected);
  });

  it('encodes the largest safe version and rejects unsafe ones', () => {
    const msg = signedMessage(KEY, Number.MAX_SAFE_INTEGER, new Uint8Array(0), PK);
    expect(toHex(msg.subarray(114, 122))).toBe('001fffffffffffff');
    expect(() => signedMessage(KEY, Number.MAX_SAFE_INTEGER + 1, new Uint8Array(0), PK)).toThrow(InvalidArgumentError);
    expect(() => signedMessage(KEY, -1, new Uint8Array(0), PK)).toThrow(InvalidArgumentError);
    expect(() => signedMessage(KEY, 1.5, new Uint8Array(0), PK)).toThrow(InvalidArgumentError);
    expect(() => signedMessage(new Uint8Array(19), 1, new Uint8Array(0), PK)).toThrow(InvalidArgumentError);
    expect(() => signedMessage(KEY, 1, new Uint8Array(0), new Uint8Array(73))).toThrow(InvalidArgumentError);
  });
});

describe('signRecord / verifyRecord', () => {
  const privateKey = testKey(1);
  const record = signRecord(privateKey, KEY, text('hello'), VERSION);

  it('round-trips', () => {
    expect(record.publicKey).toEqual(privateKey.publicKey.toBinary());
    expect(record.signature).toHaveLength(64);
    expect(record.version).toBe(VERSION);
    expect(verifyRecord(record)).toBe(true);
    expect(checkRecord(record)).toBe('valid');
  });

  it('rejects a flipped bit in data, version, key or signature', () => {
    expect(checkRecord(withFields(record, { data: flipBit(record.data, 2, 3) }))).toBe('bad-signature');
    expect(checkRecord(withFields(record, { version: VERSION + 1 }))).toBe('bad-signature');
    expect(checkRecord(withFields(record, { version: VERSION - 2 ** 40 }))).toBe('bad-signature');
    expect(checkRecord(withFields(record, { key: flipBit(record.key, 19, 7) }))).toBe('bad-signature');
    expect(checkRecord(withFields(record, { signature: flipBit(record.signature, 10, 1) }))).toBe('bad-signature');
    expect(verifyRecord(withFields(record, { data: flipBit(record.data) }))).toBe(false);
  });

  it('rejects a signature by another key', () => {
    const other = testKey(2).publicKey.toBinary();
    expect(checkRecord(withFields(record, { publicKey: other }))).toBe('bad-signature');
  });

  it('needs both or neither of publicKey and signature', () => {
    expect(checkRecord(withFields(record, { signature: undefined }))).toBe('invalid');
    expect(checkRecord(withFields(record, { publicKey: undefined }))).toBe('invalid');
    expect(verifyRecord(withFields(record, { signature: undefined }))).toBe(false);
  });

  it('rejects malformed fields without throwing', () => {
    expect(checkRecord(withFields(record, { publicKey: record.publicKey.subarray(1) }))).toBe('invalid');
    expect(checkRecord(withFields(record, { signature: record.signature.subarray(1) }))).toBe('invalid');
    const badPrefix = flipBit(record.publicKey, 0, 0);
    expect(checkRecord(withFields(record, { publicKey: badPrefix }))).toBe('invalid');
    expect(checkRecord(withFields(record, { key: new Uint8Array(21) }))).toBe('invalid');
    expect(checkRecord(withFields(record, { version: -1 }))).toBe('invalid');
    expect(checkRecord(withFields(record, { version: Number.NaN }))).toBe('invalid');
    expect(checkRecord(withFields(record, { data: 'x' as unknown as Uint8Array }))).toBe('invalid');
    expect(isWellFormed(null as unknown as typeof record)).toBe(false);
  });

  it('uses a key cache when given one', () => {
    const asked: Uint8Array[] = [];
    const cache = {
      get(bin: Uint8Array): PublicKey | undefined {
        asked.push(bin);
        return privateKey.publicKey;
      },
    };
    expect(verifyRecord(record, cache)).toBe(true);
    expect(asked).toHaveLength(1);
  });

  it('throws on misuse when signing', () => {
    expect(() => signRecord(privateKey, new Uint8Array(32), text('x'), 1)).toThrow(InvalidArgumentError);
    expect(() => signRecord(privateKey, KEY, text('x'), -5)).toThrow(InvalidArgumentError);
  });
});

describe('unsignedRecord', () => {
  it('has version 0 and no signature, and verifies', () => {
    const record = unsignedRecord(KEY, text('plain'));
    expect(record.version).toBe(0);
    expect(record.publicKey).toBeUndefined();
    expect(record.signature).toBeUndefined();
    expect(verifyRecord(record)).toBe(true);
  });

  it('is invalid with a non-zero version', () => {
    expect(checkRecord(withFields(unsignedRecord(KEY, text('plain')), { version: 3 }))).toBe('invalid');
  });

  it('copies its inputs', () => {
    const data = text('abc');
    const record = unsignedRecord(KEY, data);
    data[0] = 0;
    expect(record.data).toEqual(text('abc'));
  });
});

describe("valueId (a value's identity within its key)", () => {
  it('names a signed record by 0x01 and its publisher mid, whatever the version or data', () => {
    const privateKey = testKey(3);
    const a = signRecord(privateKey, KEY, text('a'), 1);
    const b = signRecord(privateKey, KEY, text('b'), 2);
    expect(toHex(valueId(a))).toBe(`01${privateKey.publicKey.midHex}`);
    expect(valueId(b)).toEqual(valueId(a));
  });

  it('names an unsigned record by 0x02 and the SHA-256 of its data, so signed ones page first', () => {
    const sha = createHash('sha256').update('plain').digest('hex');
    expect(toHex(valueId(unsignedRecord(KEY, text('plain'))))).toBe(`02${sha}`);
    expect(toHex(valueId(unsignedRecord(keyOf(9), text('plain'))))).toBe(`02${sha}`);
  });
});

describe('hashKey', () => {
  it('hashes a string with SHA-1 of its UTF-8 bytes (known answer)', () => {
    const expected = createHash('sha1').update('my key', 'utf8').digest('hex');
    expect(toHex(hashKey('my key'))).toBe(expected);
    expect(toHex(hashKey('ключ'))).toBe(createHash('sha1').update('ключ', 'utf8').digest('hex'));
  });

  it('uses a 20-byte array as is (as a copy)', () => {
    const key = keyOf(7);
    const hashed = hashKey(key);
    expect(hashed).toEqual(key);
    expect(hashed).not.toBe(key);
  });

  it('hashes any other byte array with SHA-1', () => {
    const bytes = new Uint8Array(32).fill(1);
    expect(toHex(hashKey(bytes))).toBe(createHash('sha1').update(bytes).digest('hex'));
    expect(hashKey(new Uint8Array(0))).toHaveLength(20);
  });

  it('rejects other types', () => {
    expect(() => hashKey(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});
