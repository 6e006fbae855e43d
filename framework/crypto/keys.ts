/**
 * Identities in py-ipv8's binary key format, so a Peerlay peer and a py-ipv8 peer with the same key have
 * the same mid:
 *
 * - private key binary: `"LibNaCLSK:"` + 32-byte X25519 secret + 32-byte Ed25519 seed (74 bytes)
 * - public key binary: `"LibNaCLPK:"` + 32-byte X25519 public key + 32-byte Ed25519 public key (74 bytes)
 * - mid: SHA-1 of the public key binary (20 bytes)
 * - signatures: plain 64-byte Ed25519 over the message
 *
 * The X25519 part is carried for format compatibility (libnacl's dual keys); signing uses Ed25519 only.
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { KeyFormatError } from '../errors.js';
import type { Agreement } from './agreement.js';
import { createAgreement, x25519PublicKey } from './agreement.js';
import type { Random } from '../random/random.js';
import { CryptoRandom } from '../random/random.js';
import { concatBytes, equalBytes, toHex, utf8 } from '../util/bytes.js';
import { WeakInterner } from '../util/intern.js';
import type { SignatureBackend, Signer, Verifier } from './backend.js';
import { defaultBackend } from './backend.js';
import { signatureMemo } from './signature-memo.js';
import {
  ED25519_SEED_BYTES,
  KEY_PREFIX_BYTES,
  PRIVATE_KEY_BYTES,
  PUBLIC_KEY_BYTES,
  X25519_KEY_BYTES,
} from './sizes.js';

export { MID_BYTES, PRIVATE_KEY_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './sizes.js';

/** ASCII prefix of a py-ipv8 (libnacl) public key binary. */
export const PUBLIC_KEY_PREFIX = 'LibNaCLPK:';

/** ASCII prefix of a py-ipv8 (libnacl) private key binary. */
export const PRIVATE_KEY_PREFIX = 'LibNaCLSK:';

const PK_PREFIX = utf8(PUBLIC_KEY_PREFIX);
const SK_PREFIX = utf8(PRIVATE_KEY_PREFIX);
const ED25519_OFFSET = KEY_PREFIX_BYTES + X25519_KEY_BYTES;

/**
 * SHA-1 of a public key binary: the peer id py-ipv8 calls the mid.
 * @param publicKeyBinary the 74-byte public key binary (not checked here).
 * @returns the 20-byte digest.
 */
export function computeMid(publicKeyBinary: Uint8Array): Uint8Array {
  return sha1(publicKeyBinary);
}

/**
 * True if `bin` starts with `prefix`.
 * @param bin the bytes to test.
 * @param prefix `PUBLIC_KEY_PREFIX` or `PRIVATE_KEY_PREFIX`.
 * @returns whether the key type prefix matches (the length is not checked).
 */
export function hasKeyPrefix(bin: Uint8Array, prefix: typeof PUBLIC_KEY_PREFIX | typeof PRIVATE_KEY_PREFIX): boolean {
  const p = prefix === PUBLIC_KEY_PREFIX ? PK_PREFIX : SK_PREFIX;
  return bin.length >= p.length && equalBytes(bin.subarray(0, p.length), p);
}

function checkBinary(bin: Uint8Array, kind: 'public' | 'private'): void {
  if (!(bin instanceof Uint8Array)) throw new KeyFormatError(`${kind} key binary must be a Uint8Array, got ${typeof bin}`);
  const isPublic = kind === 'public';
  const prefix = isPublic ? PUBLIC_KEY_PREFIX : PRIVATE_KEY_PREFIX;
  const size = isPublic ? PUBLIC_KEY_BYTES : PRIVATE_KEY_BYTES;
  if (!hasKeyPrefix(bin, prefix)) {
    const swapped = hasKeyPrefix(bin, isPublic ? PRIVATE_KEY_PREFIX : PUBLIC_KEY_PREFIX);
    const hint = swapped ? ` (this is a ${isPublic ? 'private' : 'public'} key)` : '';
    throw new KeyFormatError(`${kind} key binary must start with "${prefix}"${hint}`);
  }
  if (bin.length !== size) {
    throw new KeyFormatError(`${kind} key binary must be ${size} bytes, got ${bin.length}`);
  }
}

/** The live public keys of the process, per backend, by hex of their binary: see {@link PublicKey.fromBinary}. */
const SHARED_KEYS = new WeakMap<SignatureBackend, WeakInterner<PublicKey>>();

/**
 * A peer's public identity: verifies its signatures and names it by its mid.
 * Immutable; the verification handle is built on first use and cached.
 */
export class PublicKey {
  /** The 20-byte mid (SHA-1 of {@link PublicKey.toBinary}), computed once. Do not mutate. */
  readonly mid: Uint8Array;
  /** The mid as 40 lowercase hex characters. */
  readonly midHex: string;
  /** The signature backend this key verifies with. */
  readonly backend: SignatureBackend;
  readonly #bin: Uint8Array;
  #verifier: Verifier | undefined;

  private constructor(bin: Uint8Array, backend: SignatureBackend) {
    this.#bin = bin;
    this.backend = backend;
    this.mid = computeMid(bin);
    this.midHex = toHex(this.mid);
  }

  /**
   * Parses a py-ipv8 public key binary. The bytes are copied. Keys are shared process-wide: while a key
   * with the same bytes and backend is alive anywhere in the process, that instance is returned (keys are
   * immutable, so sharing is safe, and many nodes of one simulation then hold one parsed key and one
   * verification handle per peer instead of one each). Unused keys are not kept (see {@link WeakInterner}).
   * @param bin `"LibNaCLPK:"` + X25519 public key + Ed25519 public key, 74 bytes.
   * @param backend the signature backend; defaults to {@link defaultBackend}.
   * @returns the key.
   * @throws {@link KeyFormatError} on a wrong prefix or length.
   */
  static fromBinary(bin: Uint8Array, backend: SignatureBackend = defaultBackend()): PublicKey {
    checkBinary(bin, 'public');
    let shared = SHARED_KEYS.get(backend);
    if (shared === undefined) {
      shared = new WeakInterner<PublicKey>();
      SHARED_KEYS.set(backend, shared);
    }
    return shared.intern(toHex(bin), () => new PublicKey(bin.slice(), backend));
  }

  /** @returns a copy of the 74-byte public key binary. */
  toBinary(): Uint8Array {
    return this.#bin.slice();
  }

  /** A copy of the 32-byte Ed25519 public key. */
  get ed25519PublicKey(): Uint8Array {
    return this.#bin.slice(ED25519_OFFSET);
  }

  /** A copy of the 32-byte X25519 public key. */
  get x25519PublicKey(): Uint8Array {
    return this.#bin.slice(KEY_PREFIX_BYTES, ED25519_OFFSET);
  }

  /**
   * Checks an Ed25519 signature by this key. Never throws: any malformed input is an invalid signature.
   * @param message the signed bytes.
   * @param signature the 64-byte signature.
   * @returns true only if the signature is valid.
   */
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    if (signatureMemo()?.made(this.#bin.subarray(ED25519_OFFSET), message, signature) === true) return true; // made here: see rememberSignatures
    this.#verifier ??= this.backend.createVerifier(this.#bin.subarray(ED25519_OFFSET));
    return this.#verifier.verify(message, signature);
  }

  /**
   * @param other another public key.
   * @returns true if both hold the same key bytes (the backend does not matter).
   */
  equals(other: PublicKey): boolean {
    return other === this || equalBytes(this.#bin, other.#bin);
  }

  /**
   * @param binary a public key binary.
   * @returns true if this key's binary is exactly `binary` (compared in place, nothing copied).
   */
  hasBinary(binary: Uint8Array): boolean {
    return equalBytes(this.#bin, binary);
  }

  /** @returns `PublicKey(<midHex>)`. */
  toString(): string {
    return `PublicKey(${this.midHex})`;
  }
}

/**
 * A private identity: signs messages. The secret bytes live in private fields (not shown by
 * `console.log`); the signing handle is prepared once at construction.
 */
export class PrivateKey {
  /** The matching public key. */
  readonly publicKey: PublicKey;
  /** The signature backend this key signs with. */
  readonly backend: SignatureBackend;
  readonly #bin: Uint8Array;
  readonly #signer: Signer;
  #agreement: Agreement | undefined;

  private constructor(bin: Uint8Array, backend: SignatureBackend) {
    this.#bin = bin;
    this.backend = backend;
    this.#signer = backend.createSigner(bin.subarray(ED25519_OFFSET));
    const x25519Public = x25519PublicKey(bin.subarray(KEY_PREFIX_BYTES, ED25519_OFFSET), backend.name === 'node');
    this.publicKey = PublicKey.fromBinary(concatBytes(PK_PREFIX, x25519Public, this.#signer.publicKey), backend);
  }

  /**
   * Makes a new random key pair.
   * @param random the source of the 64 secret bytes; defaults to a {@link CryptoRandom}. Use a
   *   `SeededRandom` only in tests and simulations.
   * @param backend the signature backend; defaults to {@link defaultBackend}.
   * @returns the new key.
   * @example
   * ```ts
   * const key = PrivateKey.generate();
   * const sig = key.sign(message);
   * key.publicKey.verify(message, sig); // true
   * ```
   */
  static generate(random: Random = new CryptoRandom(), backend: SignatureBackend = defaultBackend()): PrivateKey {
    const secret = random.bytes(X25519_KEY_BYTES + ED25519_SEED_BYTES);
    return new PrivateKey(concatBytes(SK_PREFIX, secret), backend);
  }

  /**
   * Parses a py-ipv8 private key binary. The bytes are copied.
   * @param bin `"LibNaCLSK:"` + X25519 secret + Ed25519 seed, 74 bytes.
   * @param backend the signature backend; defaults to {@link defaultBackend}.
   * @returns the key.
   * @throws {@link KeyFormatError} on a wrong prefix or length (the message says so if `bin` is a public key).
   */
  static fromBinary(bin: Uint8Array, backend: SignatureBackend = defaultBackend()): PrivateKey {
    checkBinary(bin, 'private');
    return new PrivateKey(bin.slice(), backend);
  }

  /** @returns a copy of the 74-byte private key binary. Secret: store it only in a protected file. */
  toBinary(): Uint8Array {
    return this.#bin.slice();
  }

  /**
   * Signs a message with Ed25519.
   * @param message the bytes to sign.
   * @returns the 64-byte signature.
   */
  sign(message: Uint8Array): Uint8Array {
    const signature = this.#signer.sign(message);
    signatureMemo()?.remember(this.#signer.publicKey, message, signature);
    return signature;
  }

  /**
   * The X25519 shared secret of this key's X25519 half and `peer`'s (libnacl key pairs carry both halves):
   * the same 32 bytes on both sides, known to no one else. {@link PairKeys} derives packet keys from it.
   * Native X25519 with the native backend, `@noble/curves` with the noble one.
   * @param peer the other side's public key.
   * @returns the secret, or `undefined` when `peer`'s X25519 key is a low-order point (the secret would
   *   be all zeros, known to anyone).
   */
  sharedSecret(peer: PublicKey): Uint8Array | undefined {
    this.#agreement ??= createAgreement(
      this.#bin.subarray(KEY_PREFIX_BYTES, ED25519_OFFSET),
      this.publicKey.x25519PublicKey,
      this.backend.name === 'node',
    );
    return this.#agreement(peer.x25519PublicKey);
  }

  /** @returns `PrivateKey(<midHex>)`; never the secret. */
  toString(): string {
    return `PrivateKey(${this.publicKey.midHex})`;
  }
}
