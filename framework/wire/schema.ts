/**
 * A small typed schema language for message bodies. A community declares each message body once with
 * {@link defineSchema} and the field builders in {@link t}; the codec validates every value against it
 * in both directions, and {@link Infer} gives the TypeScript type of a body.
 *
 * @example
 * ```ts
 * const StoreRequest = defineSchema({
 *   key: t.bytes({ length: 20 }),
 *   value: t.bytes({ max: 1000 }),
 *   version: t.u64(),
 *   tags: t.list(t.string({ max: 32 }), { max: 8 }),
 *   replyTo: t.optional(t.address()), // Address | undefined
 * });
 * type StoreRequest = Infer<typeof StoreRequest>;
 * ```
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { InvalidArgumentError } from '../errors.js';
import {
  AddressType,
  BoolType,
  BytesType,
  ListType,
  OptionalType,
  StringType,
  StructType,
  U64Type,
  UintType,
} from './types.js';

/**
 * One field type. `toWire` and `fromWire` are what the codec calls; they throw an internal
 * `FieldError` on a mismatch, which the codec reports with the field path.
 * @typeParam T the JavaScript value type.
 */
export interface WireType<T> {
  /** Short description, e.g. `bytes(20)` or `list(u32, max 8)`. */
  readonly kind: string;
  /** True only for {@link t.optional} types, whose value may be `undefined`. */
  readonly optional: boolean;
  /** Validates `value` and returns the form msgpackr packs. */
  toWire(value: unknown): unknown;
  /** Validates a value as msgpackr decoded it and returns the typed value. */
  fromWire(wire: unknown): T;
}

/**
 * A message body: a struct whose fields go on the wire, in declaration order, as one msgpack array.
 * @typeParam T the body's value type (see {@link Infer}).
 */
export interface Schema<T> extends WireType<T> {
  /** Field names in declaration (= wire) order. */
  readonly fieldNames: readonly string[];
}

/** The field types of a struct or schema, by field name. */
export type Fields = Readonly<Record<string, WireType<unknown>>>;

/** The JavaScript value type of a {@link WireType} or {@link Schema}. */
export type Infer<S extends WireType<unknown>> = ReturnType<S['fromWire']>;

/**
 * The object type of a struct with fields `F`. A {@link t.optional} field is a required key whose value
 * may be `undefined` (decoded objects always carry every key).
 */
export type InferFields<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** Options of {@link t.bytes}: give `length` for a fixed size, or `max` for a bound; neither means unbounded. */
export interface BytesOptions {
  /** Exact length in bytes. */
  readonly length?: number;
  /** Maximum length in bytes. @default unbounded (the packet size limits it) */
  readonly max?: number;
}

/** Options of {@link t.string}. */
export interface StringOptions {
  /** Maximum length in UTF-8 bytes. */
  readonly max: number;
}

/** Options of {@link t.list}. */
export interface ListOptions {
  /** Maximum number of items. */
  readonly max: number;
}

/** The optional-field type {@link t.optional} returns. */
export interface OptionalWireType<T> extends WireType<T | undefined> {
  /** Always true. */
  readonly optional: true;
}

function checkCount(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(n)}`);
  }
  return n;
}

function isWireType(x: unknown): x is WireType<unknown> {
  const w = x as Partial<WireType<unknown>> | null;
  return typeof w === 'object' && w !== null && typeof w.toWire === 'function' && typeof w.fromWire === 'function';
}

function struct<F extends Fields>(fields: F): Schema<InferFields<F>> {
  if (typeof fields !== 'object' || fields === null) throw new InvalidArgumentError('fields must be an object');
  const names = Object.keys(fields);
  const types = names.map((name) => {
    if (name === '__proto__') throw new InvalidArgumentError('field name __proto__ is not allowed');
    const type = fields[name];
    if (!isWireType(type)) throw new InvalidArgumentError(`field ${name} is not a field type from t`);
    return type;
  });
  return new StructType<InferFields<F>>(names, types);
}

/**
 * Field type builders. Integer types take JS numbers except `u64`, which takes a bigint.
 */
export const t = {
  /** Unsigned 8-bit integer (number 0..255). */
  u8: (): WireType<number> => new UintType('u8', 0xff),
  /** Unsigned 16-bit integer (number 0..65535). */
  u16: (): WireType<number> => new UintType('u16', 0xffff),
  /** Unsigned 32-bit integer (number 0..2^32-1). */
  u32: (): WireType<number> => new UintType('u32', 0xffff_ffff),
  /** Non-negative safe integer (number 0..2^53-1), e.g. a timestamp in milliseconds. */
  uint: (): WireType<number> => new UintType('uint', Number.MAX_SAFE_INTEGER),
  /** Unsigned 64-bit integer as a bigint (0..2^64-1). */
  u64: (): WireType<bigint> => new U64Type(),
  /** Boolean. */
  bool: (): WireType<boolean> => new BoolType(),
  /**
   * Byte string (decoded as a plain `Uint8Array`, never a `Buffer`, not sharing memory with the input).
   * @throws {@link InvalidArgumentError} if both `length` and `max` are given, or either is not a count.
   */
  bytes: (options: BytesOptions = {}): WireType<Uint8Array> => {
    const { length, max } = options;
    if (length !== undefined && max !== undefined) throw new InvalidArgumentError('give bytes length or max, not both');
    if (length !== undefined) return new BytesType(checkCount('bytes length', length), length);
    return new BytesType(undefined, max === undefined ? Number.MAX_SAFE_INTEGER : checkCount('bytes max', max));
  },
  /** UTF-8 text of at most `max` bytes; lone surrogates are rejected. */
  string: (options: StringOptions): WireType<string> => new StringType(checkCount('string max', options.max)),
  /** An {@link Address}; decoded hosts are canonical text (IPv4 dotted, IPv6 compressed lowercase). */
  address: (): WireType<Address> => new AddressType(),
  /** An array of at most `max` items of type `item`. */
  list: <T>(item: WireType<T>, options: ListOptions): WireType<T[]> => {
    if (!isWireType(item)) throw new InvalidArgumentError('list item is not a field type from t');
    return new ListType(item, checkCount('list max', options.max));
  },
  /**
   * A value that may be `undefined` (msgpack `nil` on the wire).
   * @throws {@link InvalidArgumentError} for an optional of an optional (ambiguous on the wire).
   */
  optional: <T>(inner: WireType<T>): OptionalWireType<T> => {
    if (!isWireType(inner) || inner.optional) throw new InvalidArgumentError('optional needs a non-optional field type');
    return new OptionalType(inner) as OptionalWireType<T>;
  },
  /** A nested object, on the wire as a positional array of its fields. */
  struct,
} as const;

/**
 * Declares a message body. Field order is declaration order, and is the wire order: append new fields
 * rather than reordering.
 * @param fields field types built with {@link t}.
 * @returns the schema, to pass to `encodeBody`/`decodeBody` or `defineMessage`.
 * @throws {@link InvalidArgumentError} for a field that is not a field type, or named `__proto__`.
 * @example
 * ```ts
 * const Ping = defineSchema({ identifier: t.u32(), sentAt: t.uint() });
 * ```
 */
export function defineSchema<F extends Fields>(fields: F): Schema<InferFields<F>> {
  return struct(fields);
}
