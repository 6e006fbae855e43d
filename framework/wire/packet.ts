/**
 * The packet envelope, compatible with py-ipv8:
 *
 * ```text
 * prefix (22 bytes: 0x00, version 0x02, 20-byte community id) | message id (1 byte)
 * | [signed only: u16 big-endian public key length | public key binary]
 * | body (msgpack, see codec)
 * | [signed only: 64-byte Ed25519 signature over ALL preceding bytes]
 * ```
 *
 * A signed message may instead be authenticated for one recipient (a Peerlay extension, see
 * `PairKeys`): the top bit of the key length is set, and the trailer is a {@link MAC_TAG_BYTES}-byte
 * HMAC tag over all preceding bytes, keyed for the sender-to-recipient direction.
 *
 * Signing and verifying are structural ({@link Signer}, {@link SignatureVerifier}) so this module does
 * not depend on the crypto module.
 * @module
 */
import { InvalidArgumentError, InvalidMessageError } from '../errors.js';
import { encodeBodyView, decodeBody } from './codec.js';
import type { Infer, Schema } from './schema.js';

/** Length of the packet prefix in bytes: marker byte, version byte, community id. */
export const PREFIX_BYTES = 22;
/** The protocol version byte (second byte of every packet). */
export const PROTOCOL_VERSION = 0x02;
/** Length of an Ed25519 signature in bytes. */
export const SIGNATURE_BYTES = 64;
/** Length of a community id in bytes. */
export const COMMUNITY_ID_BYTES = 20;
/** Length of prefix plus message id: the smallest possible packet. */
export const HEADER_BYTES = PREFIX_BYTES + 1;
/** Largest public key binary a signed packet can carry (its length is 15 bits of a u16). */
export const MAX_PUBLIC_KEY_BYTES = 0x7fff;
/** Length of the tag of a packet authenticated with a pairwise key instead of a signature. */
export const MAC_TAG_BYTES = 16;

const PK_LENGTH_BYTES = 2;
/** Set in the key length field of a packet carrying a tag instead of a signature. */
const MAC_FLAG = 0x8000;
/** Offset of a signed packet's public key: after the header and the key-length field. */
const KEY_START = HEADER_BYTES + PK_LENGTH_BYTES;

/**
 * The 22-byte packet prefix of a community: `0x00`, {@link PROTOCOL_VERSION}, community id.
 * @throws {@link InvalidArgumentError} unless `communityId` is 20 bytes.
 */
export function makePrefix(communityId: Uint8Array): Uint8Array {
  if (!(communityId instanceof Uint8Array) || communityId.length !== COMMUNITY_ID_BYTES) {
    throw new InvalidArgumentError(`community id must be ${COMMUNITY_ID_BYTES} bytes`);
  }
  const prefix = new Uint8Array(PREFIX_BYTES);
  prefix[1] = PROTOCOL_VERSION;
  prefix.set(communityId, 2);
  return prefix;
}

/** A message a community sends: its id byte, a name for logs and stats, its body schema, and whether it is signed. */
export interface MessageSpec<T> {
  /** Message id byte, 0..255, unique within the community. */
  readonly id: number;
  /** Human-readable name, e.g. `store-request`. */
  readonly name: string;
  /** Body schema. */
  readonly schema: Schema<T>;
  /** True if the packet carries the sender's public key and a signature. */
  readonly signed: boolean;
  /**
   * For signed messages: the handler gets the message before its signature is checked, with the
   * claimed sender, and verifies it only if it needs the sender's identity (see `Incoming.verifySender`).
   * Only for requests whose answer changes no state and is size-bounded anyway: it saves one Ed25519
   * verification per request when the sender is already known. @default false
   */
  readonly deferredVerify: boolean;
}

/**
 * Declares a message.
 * @param spec `signed` defaults to false.
 * @throws {@link InvalidArgumentError} unless `id` is an integer 0..255.
 * @example
 * ```ts
 * const Ping = defineMessage({ id: 1, name: 'ping', schema: defineSchema({ identifier: t.u32() }), signed: true });
 * ```
 */
export function defineMessage<S extends Schema<unknown>>(spec: {
  id: number;
  name: string;
  schema: S;
  signed?: boolean;
  deferredVerify?: boolean;
}): MessageSpec<Infer<S>> {
  if (!Number.isInteger(spec.id) || spec.id < 0 || spec.id > 0xff) {
    throw new InvalidArgumentError(`message id must be an integer 0..255, got ${String(spec.id)}`);
  }
  if (spec.deferredVerify === true && spec.signed !== true) {
    throw new InvalidArgumentError(`message ${spec.name}: deferredVerify needs a signed message`);
  }
  return {
    id: spec.id,
    name: spec.name,
    schema: spec.schema as Schema<Infer<S>>,
    signed: spec.signed ?? false,
    deferredVerify: spec.deferredVerify ?? false,
  };
}

/**
 * Bytes a signed packet adds around its body: header, the 2-byte key length, the public key and the
 * signature. A signed packet is exactly this plus its encoded body.
 * @param publicKeyBytes length of the signer's public key binary (74 for py-ipv8 keys).
 */
export function signedEnvelopeBytes(publicKeyBytes: number): number {
  return HEADER_BYTES + 2 + publicKeyBytes + SIGNATURE_BYTES;
}

/**
 * Bytes a packet authenticated with a pairwise tag adds around its body: header, key length, public
 * key and the {@link MAC_TAG_BYTES}-byte tag (48 bytes less than {@link signedEnvelopeBytes}).
 */
export function macEnvelopeBytes(publicKeyBytes: number): number {
  return HEADER_BYTES + 2 + publicKeyBytes + MAC_TAG_BYTES;
}

/** Tags an outgoing packet for one recipient (see `PairKeys.macFor`). */
export interface PacketMac {
  /** Returns the {@link MAC_TAG_BYTES}-byte tag of `message`. */
  tag(message: Uint8Array): Uint8Array;
}

/** Checks a tag that the key whose public key binary is given claims to have made for us. */
export interface MacVerifier {
  (publicKeyBinary: Uint8Array, message: Uint8Array, tag: Uint8Array): boolean;
}

/** Signs outgoing packets; a private key object fits structurally. */
export interface Signer {
  /** The signer's public key binary, carried in every signed packet (74 bytes for py-ipv8 keys). */
  readonly publicKeyBinary: Uint8Array;
  /** Returns the 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** Checks a signature made by the key whose public key binary is given; returns false (or throws) when invalid. */
export interface SignatureVerifier {
  (publicKeyBinary: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Builds a packet: prefix, message id, then for signed messages the public key, then the msgpack body,
 * then for signed messages the signature over everything before it (or, given `mac`, a tag for one
 * recipient instead of the signature).
 * @param signer the sender's key: its public key binary goes into every signed packet.
 * @param mac tags the packet for its recipient instead of signing it (signed messages only).
 * @throws {@link InvalidMessageError} if `value` does not fit the schema, or a signer is missing for a
 *   signed message or given for an unsigned one.
 * @throws {@link InvalidArgumentError} for a prefix that is not 22 bytes, a signer returning a
 *   signature that is not 64 bytes, or a tag that is not {@link MAC_TAG_BYTES} bytes.
 */
export function encodePacket<T>(prefix: Uint8Array, spec: MessageSpec<T>, value: T, signer?: Signer, mac?: PacketMac): Uint8Array {
  if (!(prefix instanceof Uint8Array) || prefix.length !== PREFIX_BYTES) {
    throw new InvalidArgumentError(`packet prefix must be ${PREFIX_BYTES} bytes`);
  }
  if (spec.signed !== (signer !== undefined)) {
    throw new InvalidMessageError(
      spec.signed ? `message ${spec.name} is signed: a signer is required` : `message ${spec.name} is not signed: no signer expected`,
    );
  }
  const body = encodeBodyView(spec.schema, value);
  if (signer === undefined) {
    const out = new Uint8Array(HEADER_BYTES + body.length);
    out.set(prefix, 0);
    out[PREFIX_BYTES] = spec.id;
    out.set(body, HEADER_BYTES);
    return out;
  }
  const pk = signer.publicKeyBinary;
  if (pk.length > MAX_PUBLIC_KEY_BYTES) throw new InvalidArgumentError(`public key binary of ${pk.length} bytes is too long`);
  const signedLength = HEADER_BYTES + PK_LENGTH_BYTES + pk.length + body.length;
  const out = new Uint8Array(signedLength + (mac === undefined ? SIGNATURE_BYTES : MAC_TAG_BYTES));
  out.set(prefix, 0);
  out[PREFIX_BYTES] = spec.id;
  const lengthField = mac === undefined ? pk.length : pk.length | MAC_FLAG;
  out[HEADER_BYTES] = lengthField >> 8;
  out[HEADER_BYTES + 1] = lengthField & 0xff;
  out.set(pk, HEADER_BYTES + PK_LENGTH_BYTES);
  out.set(body, HEADER_BYTES + PK_LENGTH_BYTES + pk.length);
  if (mac !== undefined) {
    const tag = mac.tag(out.subarray(0, signedLength));
    if (tag.length !== MAC_TAG_BYTES) throw new InvalidArgumentError(`mac returned ${tag.length} bytes, expected ${MAC_TAG_BYTES}`);
    out.set(tag, signedLength);
    return out;
  }
  const signature = signer.sign(out.subarray(0, signedLength));
  if (signature.length !== SIGNATURE_BYTES) {
    throw new InvalidArgumentError(`signer returned ${signature.length} bytes, expected ${SIGNATURE_BYTES}`);
  }
  out.set(signature, signedLength);
  return out;
}

/** The first 23 bytes of a packet, enough to route it to a community and a handler. */
export interface PacketHeader {
  /** The 22-byte prefix (a view into the packet). */
  readonly prefix: Uint8Array;
  /** The message id byte. */
  readonly messageId: number;
}

/**
 * Reads prefix and message id, without checking the version byte or anything after the header.
 * @returns `undefined` if `data` is shorter than 23 bytes or does not start with `0x00`.
 */
export function readHeader(data: Uint8Array): PacketHeader | undefined {
  if (!hasHeader(data)) return undefined;
  return { prefix: view(data, 0, PREFIX_BYTES), messageId: data[PREFIX_BYTES]! };
}

/** True when `data` is long enough for a header and starts with the `0x00` marker. */
function hasHeader(data: Uint8Array): boolean {
  return data instanceof Uint8Array && data.length >= HEADER_BYTES && data[0] === 0;
}

/**
 * The bounds of a signed packet's envelope, as offsets (no object): where its body starts, how many bytes
 * the signature or tag covers, and whether it is tagged; `undefined` when the packet is too short for its
 * declared key length plus a signature or tag. The header is the caller's to check.
 */
function envelopeBounds(data: Uint8Array): { bodyStart: number; signedLength: number; mac: boolean } | undefined {
  if (data.length < HEADER_BYTES + PK_LENGTH_BYTES + MAC_TAG_BYTES) return undefined;
  const field = (data[HEADER_BYTES]! << 8) | data[HEADER_BYTES + 1]!;
  const mac = (field & MAC_FLAG) !== 0;
  const bodyStart = KEY_START + (field & ~MAC_FLAG);
  const signedLength = data.length - (mac ? MAC_TAG_BYTES : SIGNATURE_BYTES);
  return bodyStart > signedLength ? undefined : { bodyStart, signedLength, mac };
}

/** The parts of a signed packet; every part is a view into the packet. */
export interface SignedEnvelope {
  /** Prefix and message id. */
  readonly header: PacketHeader;
  /** The sender's public key binary. */
  readonly publicKeyBinary: Uint8Array;
  /** The body bytes (between the public key and the signature). */
  readonly body: Uint8Array;
  /** Every byte before the signature: what the signature covers. */
  readonly signedPart: Uint8Array;
  /** The trailing 64-byte signature, or the {@link MAC_TAG_BYTES}-byte tag when `mac` is true. */
  readonly signature: Uint8Array;
  /** True for a packet authenticated with a pairwise tag instead of a signature. */
  readonly mac: boolean;
}

/**
 * Splits a signed packet into its parts without verifying or decoding anything.
 * @returns `undefined` if the header is unreadable or the packet is too short for its declared key
 *   length plus a signature.
 */
export function splitSignedEnvelope(data: Uint8Array): SignedEnvelope | undefined {
  const header = readHeader(data);
  const bounds = header === undefined ? undefined : envelopeBounds(data);
  if (header === undefined || bounds === undefined) return undefined;
  const { bodyStart, signedLength, mac } = bounds;
  return {
    header,
    publicKeyBinary: view(data, KEY_START, bodyStart),
    body: view(data, bodyStart, signedLength),
    signedPart: view(data, 0, signedLength),
    signature: view(data, signedLength, data.length),
    mac,
  };
}

/** Outcome of {@link decodePacket}: the body and, for signed messages, the verified sender key. */
export type DecodedPacket<T> =
  | {
      /** Accepted. */
      readonly ok: true;
      /** The validated body. */
      readonly value: T;
      /** The verified sender's public key binary (a copy), or `undefined` for an unsigned message. */
      readonly publicKeyBinary: Uint8Array | undefined;
      /** True when the packet carried a pairwise tag instead of a signature. */
      readonly tagged?: boolean;
      /**
       * Set when the signature was NOT checked (a `deferredVerify` spec): what a later check needs.
       * `publicKeyBinary` is then only claimed.
       */
      readonly unverified?: { readonly signedPart: Uint8Array; readonly signature: Uint8Array; readonly mac: boolean };
    }
  | {
      /** Rejected. */
      readonly ok: false;
      /** Why: bad header, wrong message id, truncated envelope, bad signature or tag, or an invalid body. */
      readonly reason: string;
    };

/**
 * Checks and decodes an untrusted packet as message `spec`: marker and version bytes, message id, then
 * for signed messages the envelope and signature (before any body byte is parsed), then the body.
 * Never throws, also when `verify` throws. A `deferredVerify` spec skips the check and returns what it needs
 * in `unverified` instead.
 * @param verify checks the signature of a signed message; not called for unsigned ones.
 * @param checkMac checks the tag of a packet authenticated for us with a pairwise key; without it such a
 *   packet is rejected.
 * @returns the body and, for a signed message, a copy of the sender's public key binary.
 */
export function decodePacket<T>(spec: MessageSpec<T>, data: Uint8Array, verify: SignatureVerifier, checkMac?: MacVerifier): DecodedPacket<T> {
  // The checks of readHeader and splitSignedEnvelope, on offsets: no header or envelope views per packet.
  if (!hasHeader(data)) return { ok: false, reason: 'not a packet: too short or bad marker byte' };
  if (data[1] !== PROTOCOL_VERSION) return { ok: false, reason: `unsupported protocol version ${data[1]}` };
  const messageId = data[PREFIX_BYTES]!;
  if (messageId !== spec.id) {
    return { ok: false, reason: `expected message id ${spec.id}, got ${messageId}` };
  }
  if (!spec.signed) {
    const r = decodeBody(spec.schema, view(data, HEADER_BYTES, data.length));
    return r.ok ? { ok: true, value: r.value, publicKeyBinary: undefined } : r;
  }
  const bounds = envelopeBounds(data);
  if (bounds === undefined) return { ok: false, reason: 'truncated signed packet' };
  const { bodyStart, signedLength, mac } = bounds;
  if (mac && checkMac === undefined) return { ok: false, reason: 'bad mac: tagged packets are not accepted here' };
  if (spec.deferredVerify) {
    const r = decodeBody(spec.schema, view(data, bodyStart, signedLength));
    if (!r.ok) return r;
    // Copies as plain Uint8Arrays (a Buffer's own slice() would share its memory).
    const unverified = { signedPart: view(data, 0, signedLength).slice(), signature: view(data, signedLength, data.length).slice(), mac };
    return { ok: true, value: r.value, publicKeyBinary: view(data, KEY_START, bodyStart).slice(), unverified };
  }
  const publicKeyBinary = view(data, KEY_START, bodyStart);
  const signedPart = view(data, 0, signedLength);
  const signature = view(data, signedLength, data.length);
  let valid: boolean;
  try {
    valid = mac ? checkMac!(publicKeyBinary, signedPart, signature) === true : verify(publicKeyBinary, signedPart, signature) === true;
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: mac ? 'bad mac' : 'bad signature' };
  const r = decodeBody(spec.schema, view(data, bodyStart, signedLength));
  if (!r.ok) return r;
  return mac ? { ok: true, value: r.value, publicKeyBinary: publicKeyBinary.slice(), tagged: true } : { ok: true, value: r.value, publicKeyBinary: publicKeyBinary.slice() };
}

function view(data: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset + start, end - start);
}
