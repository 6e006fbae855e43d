/**
 * The simulator's process-wide crypto memos: a remembered signature is recognised only for its exact key,
 * message and signature bytes (anything else is verified in full, so no verdict changes), and the second
 * side of a pair takes the pairwise keys the first derived (the same bytes it would derive). Also the
 * native key derivations the simulator's key generation relies on agree with the portable ones.
 */
import { describe, expect, it } from 'vitest';
import { x25519, ed25519 } from '@noble/curves/ed25519.js';
import {
  InvalidArgumentError,
  MAC_TAG_BYTES,
  PairKeyMemo,
  PairKeys,
  PrivateKey,
  SeededRandom,
  SignatureMemo,
  nobleBackend,
  nodeBackend,
  pairKeyMemo,
  rememberPairKeys,
  rememberSignatures,
  signatureMemo,
  x25519PublicKey,
} from '../../../framework/index.js';
import { utf8 } from '../../../framework/util/bytes.js';

const keys = (seed: number): PrivateKey => PrivateKey.generate(new SeededRandom(seed));

describe('SignatureMemo', () => {
  it('recognises only the exact key, message and signature it was given', () => {
    const memo = new SignatureMemo(4);
    const key = keys(1);
    const message = utf8('hello');
    const signature = key.sign(message);
    const ed = key.publicKey.ed25519PublicKey;
    memo.remember(ed, message, signature);
    expect(memo.made(ed, message, signature)).toBe(true);
    expect(memo.made(ed, utf8('hellp'), signature)).toBe(false);
    const tampered = signature.slice();
    tampered[5] = tampered[5]! ^ 1;
    expect(memo.made(ed, message, tampered)).toBe(false);
    expect(memo.made(keys(2).publicKey.ed25519PublicKey, message, signature)).toBe(false);
    expect(memo.made(ed, message, signature.subarray(0, 63))).toBe(false);
    expect(memo.stats).toStrictEqual({ remembered: 1, hits: 1 });
  });

  it('forgets the oldest signature past its capacity', () => {
    const memo = new SignatureMemo(2);
    const key = keys(1);
    const ed = key.publicKey.ed25519PublicKey;
    const messages = [utf8('a'), utf8('b'), utf8('c')];
    const signatures = messages.map((m) => key.sign(m));
    messages.forEach((m, i) => memo.remember(ed, m, signatures[i]!));
    expect(memo.size).toBe(2);
    expect(memo.made(ed, messages[0]!, signatures[0]!)).toBe(false);
    expect(memo.made(ed, messages[2]!, signatures[2]!)).toBe(true);
    expect(() => new SignatureMemo(0)).toThrow(InvalidArgumentError);
  });

  it('once on, answers verifications of signatures made in the process and leaves every verdict as it was', () => {
    expect(signatureMemo()).toBeUndefined();
    const memo = rememberSignatures(64);
    expect(rememberSignatures()).toBe(memo);
    const key = keys(3);
    const message = utf8('packet');
    const signature = key.sign(message);
    expect(memo.stats.remembered).toBe(1);
    expect(key.publicKey.verify(message, signature)).toBe(true);
    expect(memo.stats.hits).toBe(1);
    const tampered = signature.slice();
    tampered[0] = tampered[0]! ^ 1;
    expect(key.publicKey.verify(message, tampered)).toBe(false);
    expect(key.publicKey.verify(utf8('packeu'), signature)).toBe(false);
    expect(keys(4).publicKey.verify(message, signature)).toBe(false);
    expect(memo.stats.hits).toBe(1);
    // A signature made elsewhere (not remembered) is verified in full, and still valid.
    const outside = ed25519.sign(message, keys(5).toBinary().subarray(42));
    expect(keys(5).publicKey.verify(message, outside)).toBe(true);
    expect(memo.stats.hits).toBe(1);
  });
});

describe('PairKeyMemo', () => {
  it('hands the second side of a pair the keys the first derived: one agreement per pair, same tags', () => {
    expect(pairKeyMemo()).toBeUndefined();
    const memo = rememberPairKeys(64);
    const [a, b] = [keys(11), keys(12)];
    const [pa, pb] = [new PairKeys(a), new PairKeys(b)];
    const message = utf8('to b');
    const tag = pa.macFor(b.publicKey)!.tag(message);
    expect(tag).toHaveLength(MAC_TAG_BYTES);
    expect(pb.check(a.publicKey, message, tag)).toBe(true);
    expect(pa.stats.agreements + pb.stats.agreements).toBe(1);
    expect(memo.stats).toStrictEqual({ remembered: 1, hits: 1 });
    expect(memo.size).toBe(0);
    // The keys taken are the ones b would derive: a PairKeys of b deriving alone accepts the same tag.
    expect(new PairKeys(b).check(a.publicKey, message, tag)).toBe(true);
    // Each direction keeps its own key: a's tag for b does not check as b's tag for a.
    expect(pa.check(b.publicKey, message, tag)).toBe(false);
  });

  it('forgets the oldest pair past its capacity, and refuses a bad capacity', () => {
    const memo = new PairKeyMemo(1);
    const [a, b, c] = [keys(21), keys(22), keys(23)];
    const k = { to: new Uint8Array(32).fill(1), from: new Uint8Array(32).fill(2) };
    memo.remember(a.publicKey, b.publicKey, k);
    memo.remember(a.publicKey, c.publicKey, k);
    expect(memo.take(b.publicKey, a.publicKey)).toBeUndefined();
    expect(memo.take(c.publicKey, a.publicKey)).toStrictEqual({ to: k.from, from: k.to });
    expect(() => new PairKeyMemo(1.5)).toThrow(InvalidArgumentError);
  });
});

describe('native key derivation', () => {
  it('gives the X25519 and Ed25519 public keys the portable code gives', () => {
    const random = new SeededRandom(7);
    for (let i = 0; i < 20; i++) {
      const secret = random.bytes(32);
      expect(x25519PublicKey(secret)).toStrictEqual(x25519.getPublicKey(secret));
      expect(x25519PublicKey(secret, false)).toStrictEqual(x25519.getPublicKey(secret));
      expect(nodeBackend.publicKeyFromSeed(secret)).toStrictEqual(nobleBackend.publicKeyFromSeed(secret));
      const signer = nodeBackend.createSigner(secret);
      expect(signer.sign(utf8('m'))).toStrictEqual(nobleBackend.createSigner(secret).sign(utf8('m')));
    }
    expect(() => x25519PublicKey(new Uint8Array(31))).toThrow(InvalidArgumentError);
  });
});
