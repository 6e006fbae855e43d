/**
 * Identity and signatures: py-ipv8-compatible key pairs, Ed25519 backends, and key files.
 * @module
 */
export type { SignatureBackend, Signer, Verifier } from './backend.js';
export { backendSelfTest, defaultBackend, nobleBackend, nodeBackend } from './backend.js';
export {
  computeMid,
  hasKeyPrefix,
  MID_BYTES,
  PRIVATE_KEY_BYTES,
  PRIVATE_KEY_PREFIX,
  PrivateKey,
  PUBLIC_KEY_BYTES,
  PUBLIC_KEY_PREFIX,
  PublicKey,
  SIGNATURE_BYTES,
} from './keys.js';
export { KEY_FILE_MODE, loadKeyFile, loadOrCreateKeyFile, saveKeyFile } from './key-file.js';
export { PairKeys } from './pair-keys.js';
export type { PairKeysOptions, PairKeysStats } from './pair-keys.js';
export { createAgreement } from './agreement.js';
export type { Agreement } from './agreement.js';
export { rememberSignatures, SignatureMemo, signatureMemo } from './signature-memo.js';
export type { SignatureMemoStats } from './signature-memo.js';
export { PairKeyMemo, pairKeyMemo, rememberPairKeys } from './pair-key-memo.js';
export type { PairKeyMemoStats, PairKeysOf } from './pair-key-memo.js';
export { x25519PublicKey } from './agreement.js';
