/**
 * Ed25519 signature backends. Two implementations share one interface: {@link nodeBackend} uses the
 * native `node:crypto` Ed25519 (about 14x faster) and {@link nobleBackend} uses `@noble/curves` (pure
 * JavaScript, runs anywhere). {@link defaultBackend} picks the native one when it passes a known-answer
 * self-test. Both produce byte-identical signatures (Ed25519 is deterministic).
 *
 * A backend hands out prepared handles ({@link Signer}, {@link Verifier}) so that per-key setup (building
 * a native `KeyObject`, expanding the seed) happens once per key, never once per message.
 * @module
 */
import { equalBytes, fromHex, utf8 } from '../util/bytes.js';
import { nobleBackend } from './noble-backend.js';
import { nodeBackend } from './node-backend.js';

export { nobleBackend } from './noble-backend.js';
export { nodeBackend } from './node-backend.js';

/** A prepared Ed25519 signing key, created once per private key and reused for every signature. */
export interface Signer {
  /** The 32-byte Ed25519 public key of this signer. Do not mutate. */
  readonly publicKey: Uint8Array;
  /**
   * Signs a message.
   * @param message the bytes to sign.
   * @returns the 64-byte Ed25519 signature.
   */
  sign(message: Uint8Array): Uint8Array;
}

/** A prepared Ed25519 verification key, created once per public key and reused for every check. */
export interface Verifier {
  /**
   * Checks a signature. Never throws: malformed input (wrong signature length, a public key that is not a
   * curve point, a non-canonical encoding) is simply an invalid signature.
   * @param message the signed bytes.
   * @param signature the 64-byte signature to check.
   * @returns true only if `signature` is a valid signature of `message` by this key.
   */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** An Ed25519 implementation. */
export interface SignatureBackend {
  /** Which implementation this is. */
  readonly name: 'node' | 'noble';
  /**
   * Derives the Ed25519 public key of a seed.
   * @param seed the 32-byte Ed25519 seed.
   * @returns the 32-byte public key.
   * @throws `InvalidArgumentError` if `seed` is not 32 bytes.
   */
  publicKeyFromSeed(seed: Uint8Array): Uint8Array;
  /**
   * Prepares a signing handle; keep it and sign with it rather than calling this per message.
   * @param seed the 32-byte Ed25519 seed (copied).
   * @throws `InvalidArgumentError` if `seed` is not 32 bytes.
   */
  createSigner(seed: Uint8Array): Signer;
  /**
   * Prepares a verification handle; keep it and verify with it rather than calling this per message.
   * A key that is not a valid curve point gives a verifier that rejects every signature.
   * @param publicKey the 32-byte Ed25519 public key (copied).
   * @throws `InvalidArgumentError` if `publicKey` is not 32 bytes.
   */
  createVerifier(publicKey: Uint8Array): Verifier;
}

// Known answer made by py-ipv8 (../vectors/ipv8-keys.json, key 0, message "hello").
const SELF_TEST_SEED = '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f';
const SELF_TEST_PUBLIC = '29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7';
const SELF_TEST_SIGNATURE =
  'cfee7c349ba2725fdeb213551b0e0cd6cf1f31ca07c63a226908e5fa3ae30c939b096a0947f10bed8c69b7d3d7033a5f24b329b505627f64e8e3d524dedd4b0a';

/**
 * Runs a known-answer test on a backend: derives a public key, signs, verifies, and rejects a tampered
 * signature, comparing against bytes made by py-ipv8.
 * @param backend the backend to test.
 * @returns true if every step gave the expected answer; false if any differed or threw.
 */
export function backendSelfTest(backend: SignatureBackend): boolean {
  try {
    const message = utf8('hello');
    const expected = fromHex(SELF_TEST_SIGNATURE);
    const signer = backend.createSigner(fromHex(SELF_TEST_SEED));
    if (!equalBytes(signer.publicKey, fromHex(SELF_TEST_PUBLIC))) return false;
    if (!equalBytes(signer.sign(message), expected)) return false;
    const verifier = backend.createVerifier(signer.publicKey);
    if (!verifier.verify(message, expected)) return false;
    const tampered = expected.slice();
    tampered[0] = tampered[0]! ^ 1;
    return !verifier.verify(message, tampered);
  } catch {
    return false;
  }
}

let chosen: SignatureBackend | undefined;

/**
 * The backend used when none is given: {@link nodeBackend} if `node:crypto` Ed25519 is available and
 * passes {@link backendSelfTest}, else {@link nobleBackend}. Chosen once and remembered.
 * @returns the chosen backend.
 * @example
 * ```ts
 * const key = PrivateKey.generate(undefined, defaultBackend());
 * ```
 */
export function defaultBackend(): SignatureBackend {
  chosen ??= backendSelfTest(nodeBackend) ? nodeBackend : nobleBackend;
  return chosen;
}
