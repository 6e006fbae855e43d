/**
 * Wire format: typed message schemas, the msgpack body codec and the py-ipv8 compatible packet envelope.
 * @module
 */
export { defineSchema, t } from './schema.js';
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
} from './schema.js';
export { decodeBody, encodeBody } from './codec.js';
export type { DecodeResult } from './codec.js';
export {
  COMMUNITY_ID_BYTES,
  HEADER_BYTES,
  MAC_TAG_BYTES,
  MAX_PUBLIC_KEY_BYTES,
  PREFIX_BYTES,
  PROTOCOL_VERSION,
  SIGNATURE_BYTES,
  decodePacket,
  defineMessage,
  encodePacket,
  macEnvelopeBytes,
  makePrefix,
  readHeader,
  signedEnvelopeBytes,
  splitSignedEnvelope,
} from './packet.js';
export type { DecodedPacket, MacVerifier, MessageSpec, PacketHeader, PacketMac, SignatureVerifier, SignedEnvelope, Signer } from './packet.js';
export { bytesToIp, canonicalIpBytes, ipBlock, ipToBytes, isLocalHost, isLocalIp } from './ip.js';
