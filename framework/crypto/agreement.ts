/**
 * X25519 key agreement on the X25519 half of a py-ipv8 (libnacl) key pair: native `node:crypto` when the
 * runtime has it, `@noble/curves` otherwise. Used by {@link PairKeys} to derive pairwise packet keys.
 * @module
 */
import type * as NodeCrypto from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { InvalidArgumentError } from '../errors.js';
import { X25519_KEY_BYTES } from './sizes.js';

/**
 * Computes the X25519 shared secret with one peer public key.
 * @returns the 32-byte secret, or `undefined` when the peer key is not usable (a low-order point gives
 *   an all-zero secret, which is refused: it would be known to anyone).
 */
export type Agreement = (peerX25519PublicKey: Uint8Array) => Uint8Array | undefined;

function nodeCrypto(): typeof NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined;
}

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

/** The X25519 base point (u = 9): X25519 of a secret with it is the secret's public key. */
const X25519_BASE_POINT = Uint8Array.from({ length: X25519_KEY_BYTES }, (_, i) => (i === 0 ? 9 : 0));
let basePoint: NodeCrypto.KeyObject | undefined;

function basePointKey(c: typeof NodeCrypto): NodeCrypto.KeyObject {
  basePoint ??= c.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(X25519_BASE_POINT) }, format: 'jwk' });
  return basePoint;
}

/**
 * The X25519 public key of a secret: native `node:crypto` when the runtime has it (about 50x faster than
 * `@noble/curves`, which it falls back to; both give the same bytes).
 * @param secret the 32-byte X25519 secret.
 * @param native use `node:crypto` when the runtime has it. @default true
 * @returns the 32-byte public key.
 * @throws {@link InvalidArgumentError} unless `secret` is 32 bytes.
 */
export function x25519PublicKey(secret: Uint8Array, native = true): Uint8Array {
  if (secret.length !== X25519_KEY_BYTES) throw new InvalidArgumentError(`X25519 keys are ${X25519_KEY_BYTES} bytes`);
  const c = native ? nodeCrypto() : undefined;
  if (c !== undefined) {
    try {
      // JWK import (about 10x faster than PKCS#8 DER) wants a public half: the base point stands in, and
      // the public key exported is the one OpenSSL derives from `d` (checked against X25519 of the base point).
      const d = b64url(secret);
      const own = c.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: b64url(X25519_BASE_POINT) }, format: 'jwk' });
      const x = c.createPublicKey(own).export({ format: 'jwk' }).x;
      if (typeof x === 'string') {
        const derived = new Uint8Array(c.diffieHellman({ privateKey: own, publicKey: basePointKey(c) }));
        if (b64url(derived) === x) return derived;
      }
    } catch {
      // no native X25519 here: use the portable path below
    }
  }
  return x25519.getPublicKey(secret);
}

/**
 * Prepares X25519 agreement for one secret key (the native key handle is built once).
 * @param secret the 32-byte X25519 secret (copied).
 * @param publicKey its 32-byte public key (the native import wants both).
 * @param native use `node:crypto` when the runtime has it (about 10x faster); `false` always uses
 *   `@noble/curves`. @default true
 * @throws {@link InvalidArgumentError} unless both are 32 bytes.
 */
export function createAgreement(secret: Uint8Array, publicKey: Uint8Array, native = true): Agreement {
  if (secret.length !== X25519_KEY_BYTES || publicKey.length !== X25519_KEY_BYTES) {
    throw new InvalidArgumentError(`X25519 keys are ${X25519_KEY_BYTES} bytes`);
  }
  const c = native ? nodeCrypto() : undefined;
  if (c !== undefined) {
    let own: NodeCrypto.KeyObject | undefined;
    try {
      own = c.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(secret), x: b64url(publicKey) }, format: 'jwk' });
    } catch {
      own = undefined; // no native X25519 here: use the portable path below
    }
    if (own !== undefined) {
      const privateKey = own;
      return (peer) => {
        if (!(peer instanceof Uint8Array) || peer.length !== X25519_KEY_BYTES) return undefined;
        try {
          const publicKey = c.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(peer) }, format: 'jwk' });
          const out = new Uint8Array(c.diffieHellman({ privateKey, publicKey }));
          return isZero(out) ? undefined : out;
        } catch {
          return undefined; // OpenSSL refuses low-order points ("failed during derivation")
        }
      };
    }
  }
  const own = secret.slice();
  return (peer) => {
    if (!(peer instanceof Uint8Array) || peer.length !== X25519_KEY_BYTES) return undefined;
    try {
      const out = x25519.getSharedSecret(own, peer);
      return isZero(out) ? undefined : out;
    } catch {
      return undefined; // noble rejects low-order points too
    }
  };
}
