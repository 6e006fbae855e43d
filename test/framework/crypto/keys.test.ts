import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SignatureBackend } from '../../../framework/crypto/index.js';
import {
  backendSelfTest,
  defaultBackend,
  MID_BYTES,
  nobleBackend,
  nodeBackend,
  PRIVATE_KEY_BYTES,
  PrivateKey,
  PUBLIC_KEY_BYTES,
  PublicKey,
  SIGNATURE_BYTES,
} from '../../../framework/crypto/index.js';
import { InvalidArgumentError, KeyFormatError } from '../../../framework/errors.js';
import { SeededRandom } from '../../../framework/random/random.js';
import { concatBytes, toHex, utf8 } from '../../../framework/util/bytes.js';

const backends = [nodeBackend, nobleBackend] as SignatureBackend[];

describe('backend selection', () => {
  it('defaultBackend() picks the native node backend here, and remembers it', () => {
    expect(defaultBackend()).toBe(nodeBackend);
    expect(defaultBackend().name).toBe('node');
    expect(defaultBackend()).toBe(defaultBackend());
    expect(PrivateKey.generate().backend).toBe(nodeBackend);
  });

  it('both backends pass the known-answer self-test', () => {
    expect(backendSelfTest(nodeBackend)).toBe(true);
    expect(backendSelfTest(nobleBackend)).toBe(true);
  });

  it('a backend giving wrong answers fails the self-test', () => {
    const broken: SignatureBackend = {
      ...nobleBackend,
      createSigner: (seed) => ({ publicKey: nobleBackend.publicKeyFromSeed(seed), sign: () => new Uint8Array(64) }),
    };
    expect(backendSelfTest(broken)).toBe(false);
    const throwing: SignatureBackend = {
      ...nobleBackend,
      createSigner: () => {
        throw new Error('no ed25519');
      },
    };
    expect(backendSelfTest(throwing)).toBe(false);
  });

  it.each(backends)('$name rejects seeds and public keys of the wrong size', (backend) => {
    expect(() => backend.createSigner(new Uint8Array(31))).toThrow(InvalidArgumentError);
    expect(() => backend.publicKeyFromSeed(new Uint8Array(33))).toThrow(InvalidArgumentError);
    expect(() => backend.createVerifier(new Uint8Array(31))).toThrow(InvalidArgumentError);
  });

  it.each(backends)('$name: a public key that is not a curve point verifies nothing', (backend) => {
    const verifier = backend.createVerifier(new Uint8Array(32).fill(0xff));
    expect(verifier.verify(utf8('x'), new Uint8Array(64))).toBe(false);
  });
});

describe('cross-backend', () => {
  it('signatures are identical and verify under the other backend (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 300 }), (secret, msg) => {
        const bin = concatBytes(utf8('LibNaCLSK:'), secret);
        const a = PrivateKey.fromBinary(bin, nodeBackend);
        const b = PrivateKey.fromBinary(bin, nobleBackend);
        expect(a.publicKey.equals(b.publicKey)).toBe(true);
        const sigA = a.sign(msg);
        const sigB = b.sign(msg);
        expect(toHex(sigA)).toBe(toHex(sigB));
        expect(b.publicKey.verify(msg, sigA)).toBe(true);
        expect(a.publicKey.verify(msg, sigB)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('a key generated with one backend re-parses under the other and still verifies', () => {
    const key = PrivateKey.generate(undefined, nobleBackend);
    const sig = key.sign(utf8('hello'));
    const other = PublicKey.fromBinary(key.publicKey.toBinary(), nodeBackend);
    expect(other.verify(utf8('hello'), sig)).toBe(true);
    expect(other.verify(utf8('hellp'), sig)).toBe(false);
  });
});

describe.each(backends)('PrivateKey / PublicKey ($name backend)', (backend) => {
  it('generate() round-trips through toBinary/fromBinary', () => {
    const key = PrivateKey.generate(undefined, backend);
    const bin = key.toBinary();
    expect(bin.length).toBe(PRIVATE_KEY_BYTES);
    const again = PrivateKey.fromBinary(bin, backend);
    expect(toHex(again.toBinary())).toBe(toHex(bin));
    expect(again.publicKey.equals(key.publicKey)).toBe(true);
    const pubBin = key.publicKey.toBinary();
    expect(pubBin.length).toBe(PUBLIC_KEY_BYTES);
    expect(PublicKey.fromBinary(pubBin, backend).midHex).toBe(key.publicKey.midHex);
    expect(key.publicKey.mid.length).toBe(MID_BYTES);
    expect(key.publicKey.midHex).toMatch(/^[0-9a-f]{40}$/);
    const sig = again.sign(utf8('m'));
    expect(sig.length).toBe(SIGNATURE_BYTES);
    expect(key.publicKey.verify(utf8('m'), sig)).toBe(true);
  });

  it('SeededRandom gives deterministic keys; different seeds differ', () => {
    const a = PrivateKey.generate(new SeededRandom(42), backend);
    const b = PrivateKey.generate(new SeededRandom(42), backend);
    const c = PrivateKey.generate(new SeededRandom(43), backend);
    expect(toHex(a.toBinary())).toBe(toHex(b.toBinary()));
    expect(a.publicKey.equals(b.publicKey)).toBe(true);
    expect(a.publicKey.equals(c.publicKey)).toBe(false);
    expect(a.publicKey.hasBinary(b.publicKey.toBinary())).toBe(true);
    expect(a.publicKey.hasBinary(c.publicKey.toBinary())).toBe(false);
    expect(a.publicKey.hasBinary(a.publicKey.toBinary().subarray(0, 73))).toBe(false);
  });

  it('fromBinary rejects wrong prefix and wrong length with KeyFormatError', () => {
    const key = PrivateKey.generate(new SeededRandom(1), backend);
    const priv = key.toBinary();
    const pub = key.publicKey.toBinary();
    expect(() => PrivateKey.fromBinary(priv.subarray(0, 73), backend)).toThrow(KeyFormatError);
    expect(() => PrivateKey.fromBinary(concatBytes(priv, Uint8Array.of(0)), backend)).toThrow(/74 bytes, got 75/);
    expect(() => PrivateKey.fromBinary(pub, backend)).toThrow(/this is a public key/);
    expect(() => PrivateKey.fromBinary(new Uint8Array(74), backend)).toThrow(KeyFormatError);
    expect(() => PrivateKey.fromBinary(new Uint8Array(0), backend)).toThrow(KeyFormatError);
    expect(() => PublicKey.fromBinary(priv, backend)).toThrow(/this is a private key/);
    expect(() => PublicKey.fromBinary(pub.subarray(0, 40), backend)).toThrow(KeyFormatError);
    expect(() => PublicKey.fromBinary(utf8('LibNaCLPK:'), backend)).toThrow(KeyFormatError);
    const bad = pub.slice();
    bad[0] = 0x6c; // 'l' instead of 'L'
    expect(() => PublicKey.fromBinary(bad, backend)).toThrow(KeyFormatError);
  });

  it('verify returns false, never throws, on malformed input', () => {
    const key = PrivateKey.generate(new SeededRandom(2), backend);
    const msg = utf8('payload');
    const sig = key.sign(msg);
    const pk = key.publicKey;
    expect(pk.verify(msg, sig.subarray(0, 63))).toBe(false);
    expect(pk.verify(msg, concatBytes(sig, Uint8Array.of(0)))).toBe(false);
    expect(pk.verify(msg, new Uint8Array(0))).toBe(false);
    expect(pk.verify(msg, new Uint8Array(64))).toBe(false);
    expect(pk.verify(msg, new Uint8Array(64).fill(0xff))).toBe(false);
    expect(pk.verify(msg, new SeededRandom(3).bytes(64))).toBe(false);
    expect(pk.verify(null as unknown as Uint8Array, sig)).toBe(false);
    expect(pk.verify(msg, 'sig' as unknown as Uint8Array)).toBe(false);
    // S >= group order (non-canonical): reject
    const highS = sig.slice();
    highS.fill(0xff, 32);
    expect(pk.verify(msg, highS)).toBe(false);
    expect(pk.verify(msg, sig)).toBe(true);
  });

  it('another key cannot verify the signature', () => {
    const a = PrivateKey.generate(new SeededRandom(4), backend);
    const b = PrivateKey.generate(new SeededRandom(5), backend);
    expect(b.publicKey.verify(utf8('x'), a.sign(utf8('x')))).toBe(false);
  });

  it('keys copy their input and hand out copies', () => {
    const key = PrivateKey.generate(new SeededRandom(6), backend);
    const bin = key.publicKey.toBinary();
    const pub = PublicKey.fromBinary(bin, backend);
    bin.fill(0);
    expect(pub.equals(key.publicKey)).toBe(true);
    pub.toBinary().fill(0);
    expect(pub.equals(key.publicKey)).toBe(true);
    expect(toHex(pub.ed25519PublicKey)).toBe(toHex(key.publicKey.toBinary().subarray(42)));
    expect(toHex(pub.x25519PublicKey)).toBe(toHex(key.publicKey.toBinary().subarray(10, 42)));
  });

  it('does not reveal the secret through toString or inspection', async () => {
    const { inspect } = await import('node:util');
    const key = PrivateKey.generate(new SeededRandom(7), backend);
    const seed = key.toBinary().subarray(42);
    expect(String(key)).toBe(`PrivateKey(${key.publicKey.midHex})`);
    expect(String(key.publicKey)).toBe(`PublicKey(${key.publicKey.midHex})`);
    const shown = inspect(key, { depth: 5, maxArrayLength: 1000, breakLength: Infinity });
    expect(shown).toContain(key.publicKey.midHex);
    expect(shown.replace(/\s/g, '')).not.toContain(Array.from(seed.subarray(0, 8)).join(','));
    expect(shown).not.toContain(toHex(seed));
  });
});
