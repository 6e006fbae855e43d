/**
 * The portable Ed25519 backend on `@noble/curves` (pure JavaScript; works in a browser).
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import type { SignatureBackend, Signer, Verifier } from './backend.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SEED_BYTES, SIGNATURE_BYTES } from './sizes.js';

const { Point } = ed25519;
const Fn = Point.Fn;

/** RFC 8032 strict rules (canonical encodings, no small-order keys), closer to libsodium than ZIP-215. */
const VERIFY_OPTIONS = { zip215: false } as const;

function checkLength(bytes: Uint8Array, length: number, field: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new InvalidArgumentError(`${field} must be ${length} bytes, got ${describe(bytes)}`);
  }
}

function describe(value: unknown): string {
  return value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
}

/** SHA-512 of the parts, read as a little-endian integer reduced modulo the group order. */
function hashToScalar(...parts: Uint8Array[]): bigint {
  const h = sha512.create();
  for (const p of parts) h.update(p);
  return Fn.create(bytesToNumberLE(h.digest()));
}

/**
 * A signer that expands the seed once. `ed25519.sign` re-derives the scalar and public key (one fixed-base
 * multiplication) on every call; caching them halves the cost of a signature. The steps are RFC 8032
 * 5.1.6 exactly, as in noble's own `sign`, and the vectors check the output byte for byte.
 */
function createNobleSigner(seed: Uint8Array): Signer {
  checkLength(seed, ED25519_SEED_BYTES, 'seed');
  const { prefix, scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed.slice());
  const publicKey = pointBytes;
  return {
    publicKey,
    sign(message: Uint8Array): Uint8Array {
      const r = hashToScalar(prefix, message);
      const R = Point.BASE.multiply(r).toBytes();
      const k = hashToScalar(R, pointBytes, message);
      const s = Fn.create(r + k * scalar);
      return concatBytes(R, Fn.toBytes(s));
    },
  };
}

function createNobleVerifier(publicKey: Uint8Array): Verifier {
  checkLength(publicKey, ED25519_PUBLIC_KEY_BYTES, 'publicKey');
  const key = publicKey.slice();
  const valid = ed25519.utils.isValidPublicKey(key, false);
  return {
    verify(message: Uint8Array, signature: Uint8Array): boolean {
      if (!valid || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
      if (signature.length !== SIGNATURE_BYTES) return false;
      try {
        return ed25519.verify(signature, message, key, VERIFY_OPTIONS);
      } catch {
        return false;
      }
    },
  };
}

/** Ed25519 on `@noble/curves`: portable, about 14x slower than {@link nodeBackend}. */
export const nobleBackend: SignatureBackend = {
  name: 'noble',
  publicKeyFromSeed(seed: Uint8Array): Uint8Array {
    checkLength(seed, ED25519_SEED_BYTES, 'seed');
    return ed25519.getPublicKey(seed);
  },
  createSigner: createNobleSigner,
  createVerifier: createNobleVerifier,
};
