import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SignatureBackend } from '../../../framework/crypto/index.js';
import { computeMid, nobleBackend, nodeBackend, PrivateKey, PublicKey } from '../../../framework/crypto/index.js';
import { fromHex, toHex } from '../../../framework/util/bytes.js';

interface KeyVector {
  private_key_bin: string;
  public_key_bin: string;
  mid_sha1_of_public_key_bin: string;
  signatures: { message: string; signature: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/ipv8-keys.json', import.meta.url), 'utf8'),
) as { keys: KeyVector[] };

const cases = vectors.keys.flatMap((key, k) => key.signatures.map((sig, s) => ({ key, sig, label: `key ${k} sig ${s}` })));

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] = out[index]! ^ 0x01;
  return out;
}

describe('py-ipv8 vector file', () => {
  it('holds keys with signatures', () => {
    expect(vectors.keys.length).toBe(3);
    expect(cases.length).toBe(9);
  });
});

describe.each([nodeBackend, nobleBackend] as SignatureBackend[])('py-ipv8 key vectors, $name backend', (backend) => {
  it.each(vectors.keys.map((key, i) => ({ key, i })))('key $i: public key and mid from the private key', ({ key }) => {
    const priv = PrivateKey.fromBinary(fromHex(key.private_key_bin), backend);
    expect(toHex(priv.toBinary())).toBe(key.private_key_bin);
    expect(toHex(priv.publicKey.toBinary())).toBe(key.public_key_bin);
    expect(priv.publicKey.midHex).toBe(key.mid_sha1_of_public_key_bin);
    expect(toHex(priv.publicKey.mid)).toBe(key.mid_sha1_of_public_key_bin);
    expect(toHex(computeMid(fromHex(key.public_key_bin)))).toBe(key.mid_sha1_of_public_key_bin);
    const pub = PublicKey.fromBinary(fromHex(key.public_key_bin), backend);
    expect(pub.midHex).toBe(key.mid_sha1_of_public_key_bin);
    expect(pub.equals(priv.publicKey)).toBe(true);
  });

  it.each(cases)('$label: signs byte for byte, verifies, rejects flipped bits', ({ key, sig }) => {
    const priv = PrivateKey.fromBinary(fromHex(key.private_key_bin), backend);
    const pub = PublicKey.fromBinary(fromHex(key.public_key_bin), backend);
    const message = fromHex(sig.message);
    const signature = fromHex(sig.signature);
    expect(toHex(priv.sign(message))).toBe(sig.signature);
    expect(pub.verify(message, signature)).toBe(true);
    expect(priv.publicKey.verify(message, signature)).toBe(true);
    for (const i of [0, 31, 32, 63]) expect(pub.verify(message, flipBit(signature, i))).toBe(false);
    if (message.length > 0) {
      for (const i of [0, message.length - 1]) expect(pub.verify(flipBit(message, i), signature)).toBe(false);
    } else {
      expect(pub.verify(Uint8Array.of(0), signature)).toBe(false);
    }
  });
});
