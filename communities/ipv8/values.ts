/**
 * py-ipv8's serialized DHT values (`DHTCommunity.serialize_value` / `unserialize_value`):
 *
 * ```
 * unsigned: 0x00 | data                                                   (StrPayload, "raw")
 * signed:   0x01 | u16 length | data | u32 version | u16 length | public key | Ed25519 signature (64)
 * ```
 *
 * The signature covers every byte before it, the type byte included. A serialized value is at most
 * {@link IPV8_MAX_VALUE_BYTES} (170) bytes, so a signed value with a 74-byte key carries at most 23 bytes
 * of data and an unsigned one 169. The version is a u32 of seconds (py-ipv8 uses `int(time.time())`);
 * among the values of one publisher under a key the highest version wins.
 * @module
 */
import { PublicKey } from '../../framework/crypto/keys.js';
import type { PrivateKey } from '../../framework/crypto/keys.js';
import { InvalidArgumentError } from '../../framework/errors.js';
import { ByteReader, ByteWriter } from '../../framework/wire/struct/index.js';
import { IPV8_MAX_VALUE_BYTES } from './messages.js';

/** Type byte of an unsigned value (`DHT_ENTRY_STR`). */
export const IPV8_VALUE_UNSIGNED = 0x00;
/** Type byte of a signed value (`DHT_ENTRY_STR_SIGNED`). */
export const IPV8_VALUE_SIGNED = 0x01;
const SIGNATURE_BYTES = 64;
/** Bytes a signed value adds around its data with a 74-byte key: 1 + 2 + 4 + 2 + 74 + 64. */
export const IPV8_SIGNED_OVERHEAD_BYTES = 147;
/** The most data bytes of a signed value (170 - 147). */
export const IPV8_MAX_SIGNED_DATA_BYTES = IPV8_MAX_VALUE_BYTES - IPV8_SIGNED_OVERHEAD_BYTES;
/** The most data bytes of an unsigned value (170 - 1). */
export const IPV8_MAX_UNSIGNED_DATA_BYTES = IPV8_MAX_VALUE_BYTES - 1;

/** A value as py-ipv8's `unserialize_value` gives it. */
export interface Ipv8Value {
  /** The data. */
  readonly data: Uint8Array;
  /** The publisher's public key binary (signed values; the signature was checked), else `undefined`. */
  readonly publicKey: Uint8Array | undefined;
  /** The version (signed values), 0 for unsigned ones. */
  readonly version: number;
}

/**
 * Serializes `data` as py-ipv8 does: unsigned, or signed by `key` with `version`.
 * @throws {@link InvalidArgumentError} when the serialized value would exceed 170 bytes, or the version is not a u32.
 * @example
 * ```ts
 * const value = serializeIpv8Value(utf8('hello'), { key, version: Math.floor(Date.now() / 1000) });
 * ```
 */
export function serializeIpv8Value(data: Uint8Array, signing?: { readonly key: PrivateKey; readonly version: number }): Uint8Array {
  const w = new ByteWriter();
  if (signing === undefined) {
    w.u8(IPV8_VALUE_UNSIGNED);
    w.bytes(data);
  } else {
    const { key, version } = signing;
    if (!Number.isInteger(version) || version < 0 || version > 0xffff_ffff) throw new InvalidArgumentError(`version must be a u32, got ${version}`);
    const publicKey = key.publicKey.toBinary();
    w.u8(IPV8_VALUE_SIGNED);
    w.u16(data.length);
    w.bytes(data);
    w.u32(version);
    w.u16(publicKey.length);
    w.bytes(publicKey);
    w.bytes(key.sign(w.finish()));
  }
  const out = w.finish();
  if (out.length > IPV8_MAX_VALUE_BYTES) {
    throw new InvalidArgumentError(`a serialized py-ipv8 value is at most ${IPV8_MAX_VALUE_BYTES} bytes, this one would be ${out.length} (signed data at most ${IPV8_MAX_SIGNED_DATA_BYTES} bytes)`);
  }
  return out;
}

/**
 * Parses a serialized value and checks its signature. Never throws.
 * @returns the value, or `undefined` for an unknown type byte, a malformed value, a bad key or signature.
 */
export function parseIpv8Value(value: Uint8Array): Ipv8Value | undefined {
  if (value.length === 0 || value.length > IPV8_MAX_VALUE_BYTES) return undefined;
  if (value[0] === IPV8_VALUE_UNSIGNED) return { data: value.slice(1), publicKey: undefined, version: 0 };
  if (value[0] !== IPV8_VALUE_SIGNED || value.length < 1 + SIGNATURE_BYTES) return undefined;
  try {
    const signedEnd = value.length - SIGNATURE_BYTES;
    const r = new ByteReader(value.subarray(0, signedEnd), 1);
    const data = r.bytes(r.u16());
    const version = r.u32();
    const publicKey = r.bytes(r.u16());
    if (r.remaining !== 0) return undefined;
    const key = PublicKey.fromBinary(publicKey);
    if (!key.verify(value.subarray(0, signedEnd), value.subarray(signedEnd))) return undefined;
    return { data, publicKey, version };
  } catch {
    return undefined;
  }
}
