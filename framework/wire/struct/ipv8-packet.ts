/**
 * The py-ipv8 packet envelope around a struct body, as its `lazy_community` builds it:
 *
 * ```
 * prefix (22) | message id (1) | [u16 key length | public key] | [u64 global time] | body | [signature (64)]
 * ```
 *
 * The key and signature are there for signed messages (`BinMemberAuthenticationPayload`), the global time
 * for messages whose py-ipv8 handler unpacks a `GlobalTimeDistributionPayload` first (introductions,
 * punctures, puncture requests); the DHT's messages carry neither global time nor anything else. Unlike
 * Peerlay's own envelope there is no pairwise tag: a key length with its top bit set is just a long key.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';
import type { DecodeResult } from '../codec.js';
import { HEADER_BYTES, PREFIX_BYTES, PROTOCOL_VERSION, SIGNATURE_BYTES } from '../packet.js';
import type { SignatureVerifier, Signer } from '../packet.js';
import { ByteReader, ByteWriter } from './byte-io.js';
import { decodeStruct, writeStruct } from './struct-schema.js';
import type { StructType } from './struct-types.js';

/** One py-ipv8 message: its id, body and envelope. @typeParam T the body's value type. */
export interface Ipv8MessageSpec<T> {
  /** Message id byte (py-ipv8's `msg_id`). */
  readonly id: number;
  /** Name for counters and logs, e.g. `find-request`. */
  readonly name: string;
  /** Body layout. */
  readonly schema: StructType<T>;
  /** Carries the sender's key and a signature (py-ipv8's `lazy_wrapper`; `lazy_wrapper_unsigned` otherwise). */
  readonly signed: boolean;
  /** Carries a u64 global time before the body (`GlobalTimeDistributionPayload`). */
  readonly globalTime: boolean;
}

/** A decoded py-ipv8 packet. @typeParam T the body's value type. */
export interface Ipv8Packet<T> {
  /** The body. */
  readonly value: T;
  /** The sender's public key binary (signed messages only; its signature was verified). */
  readonly publicKeyBinary: Uint8Array | undefined;
  /** The global time (messages with {@link Ipv8MessageSpec.globalTime} only). */
  readonly globalTime: bigint | undefined;
}

/**
 * Declares a py-ipv8 message.
 * @throws {@link InvalidArgumentError} for an id outside 0..255.
 * @example
 * ```ts
 * const PingRequest = defineIpv8Message({ id: 1, name: 'ping-request', schema: defineStruct({ identifier: s.u32() }) });
 * ```
 */
export function defineIpv8Message<T>(spec: {
  id: number;
  name: string;
  schema: StructType<T>;
  signed?: boolean;
  globalTime?: boolean;
}): Ipv8MessageSpec<T> {
  if (!Number.isInteger(spec.id) || spec.id < 0 || spec.id > 255) throw new InvalidArgumentError(`message id must be 0..255, got ${spec.id}`);
  return Object.freeze({ id: spec.id, name: spec.name, schema: spec.schema, signed: spec.signed ?? true, globalTime: spec.globalTime ?? false });
}

/**
 * Builds a py-ipv8 packet.
 * @param signer required for a signed spec (its key goes in the packet, its signature at the end).
 * @param globalTime the global time, for a spec with `globalTime`. @default 0n
 * @throws {@link InvalidArgumentError} for a bad prefix or a signed spec without a signer; {@link InvalidMessageError} for a body that does not fit.
 * @example
 * ```ts
 * const packet = encodeIpv8Packet(prefix, PingRequest, { identifier: 7 }, key);
 * ```
 */
export function encodeIpv8Packet<T>(prefix: Uint8Array, spec: Ipv8MessageSpec<T>, value: T, signer?: Signer, globalTime = 0n): Uint8Array {
  if (!(prefix instanceof Uint8Array) || prefix.length !== PREFIX_BYTES) throw new InvalidArgumentError(`packet prefix must be ${PREFIX_BYTES} bytes`);
  if (spec.signed && signer === undefined) throw new InvalidArgumentError(`message ${spec.name} is signed: give a signer`);
  const w = new ByteWriter();
  w.bytes(prefix);
  w.u8(spec.id);
  if (spec.signed) {
    w.u16(signer!.publicKeyBinary.length);
    w.bytes(signer!.publicKeyBinary);
  }
  if (spec.globalTime) w.u64(globalTime);
  writeStruct(w, spec.schema, value);
  if (!spec.signed) return w.finish();
  const unsigned = w.finish();
  const out = new Uint8Array(unsigned.length + SIGNATURE_BYTES);
  out.set(unsigned);
  out.set(signer!.sign(unsigned), unsigned.length);
  return out;
}

/**
 * Decodes an untrusted py-ipv8 packet: version, message id, key, signature (checked before the body is
 * decoded), global time and body, every byte accounted for. Never throws.
 * @param verify checks a signature with the key binary the packet carries.
 * @example
 * ```ts
 * const r = decodeIpv8Packet(PingRequest, bytes, keys.verify);
 * if (r.ok) reply(r.value.value.identifier);
 * ```
 */
export function decodeIpv8Packet<T>(spec: Ipv8MessageSpec<T>, data: Uint8Array, verify: SignatureVerifier): DecodeResult<Ipv8Packet<T>> {
  if (!(data instanceof Uint8Array) || data.length < HEADER_BYTES) return { ok: false, reason: 'packet too short' };
  if (data[0] !== 0 || data[1] !== PROTOCOL_VERSION) return { ok: false, reason: 'unknown protocol version' };
  if (data[PREFIX_BYTES] !== spec.id) return { ok: false, reason: `expected message id ${spec.id}` };
  let end = data.length;
  let publicKeyBinary: Uint8Array | undefined;
  const r = new ByteReader(data, HEADER_BYTES);
  if (spec.signed) {
    if (r.remaining < 2) return { ok: false, reason: 'malformed: no key length' };
    const keyLength = r.u16();
    if (r.remaining < keyLength + SIGNATURE_BYTES) return { ok: false, reason: 'malformed: packet shorter than its key and signature' };
    publicKeyBinary = r.bytes(keyLength);
    end = data.length - SIGNATURE_BYTES;
    const signed = data.subarray(0, end);
    let valid = false;
    try {
      valid = verify(publicKeyBinary, signed, data.subarray(end));
    } catch {
      valid = false;
    }
    if (!valid) return { ok: false, reason: 'bad signature' };
  }
  let globalTime: bigint | undefined;
  if (spec.globalTime) {
    if (end - r.offset < 8) return { ok: false, reason: 'malformed: no global time' };
    globalTime = r.u64();
  }
  const body = decodeStruct(spec.schema, data.subarray(0, end), r.offset);
  if (!body.ok) return { ok: false, reason: `malformed: ${body.reason}` };
  return { ok: true, value: { value: body.value, publicKeyBinary, globalTime } };
}
