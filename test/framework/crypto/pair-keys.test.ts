/**
 * Pairwise packet keys: both sides derive the same key per direction from the X25519 halves of their
 * libnacl key pairs; a tag checks only for its recipient, in its direction, over its exact bytes.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  MAC_TAG_BYTES,
  PairKeys,
  PrivateKey,
  PublicKey,
  SeededRandom,
  createAgreement,
  nobleBackend,
} from '../../../framework/index.js';
import { concatBytes, utf8 } from '../../../framework/util/bytes.js';

const keys = (seed: number): PrivateKey => PrivateKey.generate(new SeededRandom(seed));

describe('X25519 agreement', () => {
  it('gives both sides the same secret, native and portable alike', () => {
    const [a, b] = [keys(1), keys(2)];
    const ab = a.sharedSecret(b.publicKey)!;
    expect(ab).toHaveLength(32);
    expect(b.sharedSecret(a.publicKey)).toStrictEqual(ab);
    const noble = PrivateKey.fromBinary(a.toBinary(), nobleBackend);
    expect(noble.sharedSecret(b.publicKey)).toStrictEqual(ab);
    expect(a.sharedSecret(keys(3).publicKey)).not.toStrictEqual(ab);
  });

  it('refuses a low-order peer key (the secret would be all zeros)', () => {
    const a = keys(1);
    const lowOrder = PublicKey.fromBinary(concatBytes(utf8('LibNaCLPK:'), new Uint8Array(32), a.publicKey.ed25519PublicKey));
    expect(a.sharedSecret(lowOrder)).toBeUndefined();
    const agree = createAgreement(new Uint8Array(32).fill(7), new Uint8Array(32).fill(9));
    expect(agree(new Uint8Array(31))).toBeUndefined();
    expect(() => createAgreement(new Uint8Array(31), new Uint8Array(32))).toThrow(InvalidArgumentError);
  });
});

describe('PairKeys', () => {
  const message = utf8('a packet: header, key, body');

  it('a tag made for b checks at b, and nowhere else', () => {
    const [a, b, c] = [keys(1), keys(2), keys(3)];
    const [pa, pb, pc] = [new PairKeys(a), new PairKeys(b), new PairKeys(c)];
    const tag = pa.macFor(b.publicKey)!.tag(message);
    expect(tag).toHaveLength(MAC_TAG_BYTES);
    expect(pb.check(a.publicKey, message, tag)).toBe(true);
    expect(pc.check(a.publicKey, message, tag)).toBe(false); // another recipient
    expect(pb.check(c.publicKey, message, tag)).toBe(false); // claimed by another sender
    expect(pa.check(b.publicKey, message, tag)).toBe(false); // reflected back to its maker
    const flipped = message.slice();
    flipped[3] = flipped[3]! ^ 1;
    expect(pb.check(a.publicKey, flipped, tag)).toBe(false);
    expect(pb.check(a.publicKey, message, tag.subarray(0, 15))).toBe(false);
    expect(pb.stats).toMatchObject({ accepted: 1, rejected: 3 });
  });

  it('derives each pair once, and forgets the least recently used beyond its capacity', () => {
    const me = keys(10);
    const pairs = new PairKeys(me, { capacity: 2 });
    const [x, y, z] = [keys(11), keys(12), keys(13)];
    pairs.macFor(x.publicKey);
    pairs.macFor(y.publicKey);
    pairs.macFor(x.publicKey); // a hit: x is now the most recent
    expect(pairs.stats.agreements).toBe(2);
    pairs.macFor(z.publicKey); // evicts y
    expect(pairs.size).toBe(2);
    expect([pairs.has(x.publicKey), pairs.has(y.publicKey), pairs.has(z.publicKey)]).toEqual([true, false, true]);
    expect(pairs.keyOf(x.publicKey.midHex)).toBe(x.publicKey);
    expect(pairs.keyOf(y.publicKey.midHex)).toBeUndefined();
    const tag = new PairKeys(y).macFor(me.publicKey)!.tag(message);
    expect(pairs.check(y.publicKey, message, tag)).toBe(true); // y again: one more agreement
    expect(pairs.stats.agreements).toBe(4);
    pairs.clear();
    expect(pairs.size).toBe(0);
  });

  it('has no tag for a peer with a low-order key, and rejects its tags', () => {
    const me = keys(20);
    const pairs = new PairKeys(me);
    const lowOrder = PublicKey.fromBinary(concatBytes(utf8('LibNaCLPK:'), new Uint8Array(32), keys(21).publicKey.ed25519PublicKey));
    expect(pairs.macFor(lowOrder)).toBeUndefined();
    expect(pairs.check(lowOrder, message, new Uint8Array(MAC_TAG_BYTES))).toBe(false);
    expect(pairs.stats.refused).toBe(2);
    expect(pairs.size).toBe(0);
  });

  it('tags with HMAC-SHA256 under the HKDF key of the direction, for every message length', () => {
    const [a, b] = [keys(1), keys(2)];
    const [pa, pb] = [new PairKeys(a), new PairKeys(b)];
    const secret = a.sharedSecret(b.publicKey)!;
    const info = concatBytes(a.publicKey.toBinary(), b.publicKey.toBinary());
    const key = new Uint8Array(hkdfSync('sha256', secret, utf8('peerlay packet mac v1'), info, 32));
    const random = new SeededRandom(9);
    // Around the block edges, a find request and response, one past the first buffer (it grows), then short again.
    for (const length of [0, 1, 55, 56, 63, 64, 65, 137, 364, 1_500, 5_000, 20]) {
      const m = random.bytes(length);
      const expected = new Uint8Array(createHmac('sha256', key).update(m).digest().subarray(0, MAC_TAG_BYTES));
      const tag = pa.macFor(b.publicKey)!.tag(m);
      expect(tag, `length ${length}`).toStrictEqual(expected);
      expect(pb.check(a.publicKey, m, tag)).toBe(true);
    }
  });

  it('checks its options', () => {
    expect(() => new PairKeys(keys(1), { capacity: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PairKeys(keys(1), { capacity: 1.5 })).toThrow(InvalidArgumentError);
  });
});
