/**
 * The second encoding of the schema layer: py-ipv8's struct-based payloads. A body is its fields one
 * after another with no framing (big-endian fixed-size integers, `varlenH` byte strings, count-prefixed
 * lists, `ip_address`), exactly as py-ipv8's `Serializer` packs a `format_list`. Declare a body once with
 * {@link defineStruct} and the field builders in {@link s}; {@link encodeStruct} validates and encodes,
 * {@link decodeStruct} never throws and returns a {@link DecodeResult} naming the offending field.
 *
 * @example
 * ```ts
 * // py-ipv8's StoreRequestPayload: format_list = ["I", "20s", "20s", "varlenH-list"]
 * const StoreRequest = defineStruct({
 *   identifier: s.u32(),
 *   token: s.bytes(20),
 *   target: s.bytes(20),
 *   values: s.list(s.varlenH({ max: 170 }), { max: 8 }),
 * });
 * const bytes = encodeStruct(StoreRequest, { identifier: 7, token, target, values: [] });
 * ```
 * @module
 */
import type { Address } from '../../endpoint/address.js';
import { InvalidArgumentError, InvalidMessageError } from '../../errors.js';
import type { DecodeResult } from '../codec.js';
import { FieldError, describeFieldError } from '../field-error.js';
import { ByteReader, ByteWriter } from './byte-io.js';
import {
  BitsField,
  BoolField,
  FixedBytesField,
  IpAddressField,
  Ipv4Field,
  ListField,
  RawField,
  StructFields,
  U64Field,
  UintField,
  VarlenHField,
} from './struct-types.js';
import type { Bits, StructType } from './struct-types.js';

/** The field types of a struct body, by field name, in wire order. */
export type StructFieldTypes = Readonly<Record<string, StructType<unknown>>>;

/** The JavaScript value type of a {@link StructType}. */
export type InferStruct<S extends StructType<unknown>> = ReturnType<S['read']>;

/** The object type of a struct with fields `F`. */
export type InferStructFields<F extends StructFieldTypes> = { [K in keyof F]: InferStruct<F[K]> };

/** A struct body declared with {@link defineStruct}. @typeParam T its value type. */
export interface StructSchema<T> extends StructType<T> {
  /** Field names in wire order. */
  readonly names: readonly string[];
}

/** Options of {@link s.varlenH} and {@link s.raw}. */
export interface VarBytesOptions {
  /** The most bytes accepted. @default 65535 */
  readonly max?: number;
}

/** Options of {@link s.list}. */
export interface StructListOptions {
  /** The most items accepted (py-ipv8's lists count in one byte: at most 255). */
  readonly max: number;
  /** Bytes of the count: 1 (`>B`, py-ipv8's default) or 2 (`>H`). @default 1 */
  readonly countBytes?: 1 | 2;
}

const U16_MAX = 0xffff;

function checkCount(what: string, n: unknown, max: number): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new InvalidArgumentError(`${what} must be an integer in 0..${max}, got ${String(n)}`);
  }
  return n;
}

function isStructType(x: unknown): x is StructType<unknown> {
  const f = x as Partial<StructType<unknown>> | null;
  return typeof f === 'object' && f !== null && typeof f.write === 'function' && typeof f.read === 'function';
}

function struct<F extends StructFieldTypes>(fields: F): StructSchema<InferStructFields<F>> {
  if (typeof fields !== 'object' || fields === null) throw new InvalidArgumentError('fields must be an object');
  const names = Object.keys(fields);
  const types = names.map((name, i) => {
    if (name === '__proto__') throw new InvalidArgumentError('field name __proto__ is not allowed');
    const type = fields[name];
    if (!isStructType(type)) throw new InvalidArgumentError(`field ${name} is not a field type from s`);
    if (type instanceof RawField && i !== names.length - 1) throw new InvalidArgumentError(`raw field ${name} must be the last field`);
    return type;
  });
  return new StructFields<InferStructFields<F>>(names, types);
}

/** Field type builders of the struct encoding; the py-ipv8 format name of each is in brackets. */
export const s = {
  /** Unsigned 8-bit integer [`B`]. */
  u8: (): StructType<number> => new UintField('u8'),
  /** Big-endian unsigned 16-bit integer [`H`]. */
  u16: (): StructType<number> => new UintField('u16'),
  /** Big-endian unsigned 32-bit integer [`I`]. */
  u32: (): StructType<number> => new UintField('u32'),
  /** Big-endian unsigned 64-bit integer as a bigint [`Q`]. */
  u64: (): StructType<bigint> => new U64Field(),
  /** A boolean byte, 0 or 1 [`?`]. */
  bool: (): StructType<boolean> => new BoolField(),
  /** Eight flags in one byte, most significant bit first [`bits`]. */
  bits: (): StructType<Bits> => new BitsField(),
  /** Exactly `length` bytes [`20s`, `64s`, ...]. @throws {@link InvalidArgumentError} for a bad length. */
  bytes: (length: number): StructType<Uint8Array> => new FixedBytesField(checkCount('bytes length', length, U16_MAX)),
  /** A u16 length and that many bytes [`varlenH`]. @throws {@link InvalidArgumentError} for a bad max. */
  varlenH: (options: VarBytesOptions = {}): StructType<Uint8Array> =>
    new VarlenHField(checkCount('varlenH max', options.max ?? U16_MAX, U16_MAX)),
  /** Every remaining byte; only as a struct's last field [`raw`]. */
  raw: (options: VarBytesOptions = {}): StructType<Uint8Array> =>
    new RawField(checkCount('raw max', options.max ?? U16_MAX, Number.MAX_SAFE_INTEGER)),
  /** An IPv4 address and port, 6 bytes [`ipv4`]. */
  ipv4: (): StructType<Address> => new Ipv4Field(),
  /** A type byte, an IPv4 or IPv6 address and a port [`ip_address`]. */
  ipAddress: (): StructType<Address> => new IpAddressField(),
  /** A count and that many items [`ListOf`, e.g. `varlenH-list`]. @throws {@link InvalidArgumentError} for a bad max. */
  list: <T>(item: StructType<T>, options: StructListOptions): StructType<T[]> => {
    if (!isStructType(item)) throw new InvalidArgumentError('list item is not a field type from s');
    const countBytes = options.countBytes ?? 1;
    if (countBytes !== 1 && countBytes !== 2) throw new InvalidArgumentError('list countBytes must be 1 or 2');
    return new ListField(item, checkCount('list max', options.max, countBytes === 1 ? 0xff : U16_MAX), countBytes);
  },
  /** A nested struct, its fields inline (py-ipv8 packers such as `NodePacker`). */
  struct,
} as const;

/**
 * Declares a struct body. Field order is wire order.
 * @throws {@link InvalidArgumentError} for a field that is not a field type from {@link s}, or a `raw` field that is not last.
 * @example
 * ```ts
 * const Ping = defineStruct({ identifier: s.u32() }); // py-ipv8's PingRequestPayload
 * ```
 */
export function defineStruct<F extends StructFieldTypes>(fields: F): StructSchema<InferStructFields<F>> {
  return struct(fields);
}

/**
 * Validates `value` against `schema` and appends its bytes to `writer` (for an envelope around the body).
 * @throws {@link InvalidMessageError} naming the field path when `value` does not fit.
 */
export function writeStruct<T>(writer: ByteWriter, schema: StructType<T>, value: T): void {
  try {
    schema.write(writer, value);
  } catch (e) {
    if (e instanceof FieldError) throw new InvalidMessageError(describeFieldError(e));
    throw new InvalidMessageError(`cannot encode body: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Validates `value` against `schema` and encodes it.
 * @returns a new array owned by the caller.
 * @throws {@link InvalidMessageError} naming the field path when `value` does not fit the schema.
 * @example
 * ```ts
 * const bytes = encodeStruct(Ping, { identifier: 7 }); // 00 00 00 07
 * ```
 */
export function encodeStruct<T>(schema: StructType<T>, value: T): Uint8Array {
  const w = new ByteWriter();
  writeStruct(w, schema, value);
  return w.finish();
}

/**
 * Decodes and validates untrusted bytes against `schema`, from `offset` to the end: every byte must be
 * consumed (py-ipv8's `consume_all`). Never throws: short input, a bad address type, a count or length
 * over its bound, or trailing bytes give `{ ok: false, reason }`. Byte fields of the result are copies.
 * @example
 * ```ts
 * const r = decodeStruct(Ping, bytes);
 * if (r.ok) console.log(r.value.identifier);
 * ```
 */
export function decodeStruct<T>(schema: StructType<T>, bytes: Uint8Array, offset = 0): DecodeResult<T> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'body is not a Uint8Array' };
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) return { ok: false, reason: 'offset out of range' };
  const r = new ByteReader(bytes, offset);
  let value: T;
  try {
    value = schema.read(r);
  } catch (e) {
    return { ok: false, reason: e instanceof FieldError ? describeFieldError(e) : 'invalid body' };
  }
  if (r.remaining !== 0) return { ok: false, reason: `${r.remaining} trailing bytes after the body` };
  return { ok: true, value };
}
