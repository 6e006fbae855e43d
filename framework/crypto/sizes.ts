/**
 * Byte sizes of the Ed25519 and py-ipv8 key material, shared by the backends and the key classes.
 * @module
 */

/** Size in bytes of an Ed25519 seed (the secret a signing key is derived from). */
export const ED25519_SEED_BYTES = 32;

/** Size in bytes of an encoded Ed25519 public key. */
export const ED25519_PUBLIC_KEY_BYTES = 32;

/** Size in bytes of an X25519 secret or public key. */
export const X25519_KEY_BYTES = 32;

/** Size in bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/** Size in bytes of a mid: the SHA-1 digest of a public key binary. */
export const MID_BYTES = 20;

/** Size in bytes of the ASCII type prefix (`"LibNaCLPK:"` or `"LibNaCLSK:"`) of a key binary. */
export const KEY_PREFIX_BYTES = 10;

/** Size in bytes of a py-ipv8 public key binary: prefix, X25519 public key, Ed25519 public key. */
export const PUBLIC_KEY_BYTES = KEY_PREFIX_BYTES + X25519_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES;

/** Size in bytes of a py-ipv8 private key binary: prefix, X25519 secret, Ed25519 seed. */
export const PRIVATE_KEY_BYTES = KEY_PREFIX_BYTES + X25519_KEY_BYTES + ED25519_SEED_BYTES;
