import { describe, expect, it } from 'vitest';
import { nobleBackend, nodeBackend, PrivateKey, PublicKey, PublicKeyCache, SeededRandom, toHex, utf8 } from '../../../framework/index.js';

const keyA = PrivateKey.generate(new SeededRandom(1));
const keyB = PrivateKey.generate(new SeededRandom(2));

describe('shared public keys', () => {
  it('PublicKey.fromBinary returns one instance per key bytes and backend, never the caller bytes', () => {
    const bin = keyA.publicKey.toBinary();
    const a = PublicKey.fromBinary(bin, nodeBackend);
    expect(PublicKey.fromBinary(bin.slice(), nodeBackend)).toBe(a);
    expect(PublicKey.fromBinary(keyB.publicKey.toBinary(), nodeBackend)).not.toBe(a);
    const noble = PublicKey.fromBinary(bin, nobleBackend);
    expect(noble).not.toBe(a);
    expect(noble.backend).toBe(nobleBackend);
    bin[20] = bin[20]! ^ 1;
    expect(toHex(a.toBinary())).toBe(toHex(keyA.publicKey.toBinary()));
    expect(PublicKey.fromBinary(bin, nodeBackend)).not.toBe(a);
  });

  it('two node caches hand out the same parsed key, and a wrong key never verifies', () => {
    const one = new PublicKeyCache(8);
    const two = new PublicKeyCache(8);
    const a = one.get(keyA.publicKey.toBinary())!;
    expect(two.get(keyA.publicKey.toBinary())).toBe(a);
    const message = utf8('signed by A');
    const signature = keyA.sign(message);
    expect(one.verify(keyA.publicKey.toBinary(), message, signature)).toBe(true);
    expect(two.verify(keyB.publicKey.toBinary(), message, signature)).toBe(false);
    const flipped = keyA.publicKey.toBinary();
    flipped[73] = flipped[73]! ^ 1;
    expect(one.verify(flipped, message, signature)).toBe(false);
    expect(one.get(flipped)).not.toBe(a);
  });

  it('a cache holds at most its capacity, least recently used out first, and no invalid binaries', () => {
    const cache = new PublicKeyCache(3);
    const keys = [1, 2, 3, 4].map((s) => PrivateKey.generate(new SeededRandom(100 + s)).publicKey.toBinary());
    for (const bin of keys.slice(0, 3)) cache.get(bin);
    cache.get(keys[0]!); // keys[0] most recently used: keys[1] is the oldest now
    cache.get(keys[3]!);
    expect(cache.size).toBe(3);
    const held = (cache as unknown as { recent: Set<PublicKey> }).recent;
    expect([...held].map((k) => k.midHex)).toEqual([keys[2]!, keys[0]!, keys[3]!].map((b) => PublicKey.fromBinary(b).midHex));
    expect(cache.get(utf8('LibNaCLPK:too short'))).toBeUndefined();
    expect(cache.get(keyA.toBinary())).toBeUndefined(); // a private key binary
    expect(cache.size).toBe(3);
  });

  it('finds each of many keys again as the same parsed key, and never another key for changed bytes', () => {
    const cache = new PublicKeyCache(4_096);
    const keys = Array.from({ length: 2_000 }, (_, i) => PrivateKey.generate(new SeededRandom(1_000 + i)).publicKey);
    for (const key of keys) expect(cache.get(key.toBinary())).toBe(PublicKey.fromBinary(key.toBinary()));
    for (const key of keys) expect(cache.get(key.toBinary())!.midHex).toBe(key.midHex);
    const bin = keys[0]!.toBinary();
    bin[30] = bin[30]! ^ 1; // same last bytes, so the same slot: compared in full
    expect(cache.get(bin)?.midHex).not.toBe(keys[0]!.midHex);
    expect(cache.get(keys[0]!.toBinary())!.midHex).toBe(keys[0]!.midHex);
  });

  it('verifyCached remembers valid signatures only, per key, signature and message', () => {
    const cache = new PublicKeyCache(2);
    const a = cache.get(keyA.publicKey.toBinary())!;
    const b = cache.get(keyB.publicKey.toBinary())!;
    const message = utf8('value');
    const signature = keyA.sign(message);
    expect(cache.verifyCached(a, message, signature)).toBe(true);
    expect(cache.verifyCached(a, message, signature)).toBe(true);
    expect(cache.verifiedHits).toBe(1);
    expect(cache.verifyCached(b, message, signature)).toBe(false);
    // The same bytes split differently (a 63-byte signature, its last byte moved into the message).
    const shifted = new Uint8Array([signature[63]!, ...message]);
    expect(cache.verifyCached(a, shifted, signature.subarray(0, 63))).toBe(false);
    expect(cache.verifiedHits).toBe(1);
    // Bounded: two more valid signatures push the first one out of the memo (verified again, no hit).
    for (const text of ['x', 'y']) expect(cache.verifyCached(a, utf8(text), keyA.sign(utf8(text)))).toBe(true);
    expect(cache.verifyCached(a, message, signature)).toBe(true);
    expect(cache.verifiedHits).toBe(1);
  });
});
