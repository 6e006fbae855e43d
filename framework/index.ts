/**
 * Peerlay's framework: identity, wire format, endpoints, communities and the overlay host.
 * Communities (DHT, discovery, bag, namespace) are separate entry points under `peerlay/…`.
 * @module
 */
import 'reflect-metadata';

export * from './errors.js';
export * from './util/bytes.js';
export { WeakInterner } from './util/intern.js';
export * from './time/clock.js';
export * from './time/system-clock.js';
export * from './time/manual-clock.js';
export * from './random/random.js';
export * from './log/logger.js';
export * from './di/tokens.js';
export type { SignatureBackend, Signer as BackendSigner, Verifier as BackendVerifier } from './crypto/backend.js';
export { backendSelfTest, defaultBackend, nobleBackend, nodeBackend } from './crypto/backend.js';
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
} from './crypto/keys.js';
export { KEY_FILE_MODE, loadKeyFile, loadOrCreateKeyFile, saveKeyFile } from './crypto/key-file.js';
export { PairKeys } from './crypto/pair-keys.js';
export type { PairKeysOptions, PairKeysStats } from './crypto/pair-keys.js';
export { createAgreement } from './crypto/agreement.js';
export type { Agreement } from './crypto/agreement.js';
export { defineSchema, t } from './wire/schema.js';
export type {
  BytesOptions,
  Fields,
  Infer,
  InferFields,
  ListOptions,
  OptionalWireType,
  Schema,
  StringOptions,
  WireType,
} from './wire/schema.js';
export { decodeBody, encodeBody } from './wire/codec.js';
export type { DecodeResult } from './wire/codec.js';
export {
  COMMUNITY_ID_BYTES,
  HEADER_BYTES,
  MAC_TAG_BYTES,
  MAX_PUBLIC_KEY_BYTES,
  PREFIX_BYTES,
  PROTOCOL_VERSION,
  decodePacket,
  defineMessage,
  encodePacket,
  macEnvelopeBytes,
  makePrefix,
  readHeader,
  signedEnvelopeBytes,
  splitSignedEnvelope,
} from './wire/packet.js';
export type { DecodedPacket, MacVerifier, MessageSpec, PacketHeader, PacketMac, SignatureVerifier, SignedEnvelope, Signer } from './wire/packet.js';
export { canonicalIpBytes, ipBlock, isLocalHost, isLocalIp } from './wire/ip.js';
export * from './endpoint/index.js';
export * from './community/index.js';
export { defineRequest } from './community/index.js';
export type { CommunityClass, RequestBody, RequestOptions, RequestType } from './community/index.js';
export * from './overlay/overlay-host.js';
export * from './overlay/rate-limiter.js';
