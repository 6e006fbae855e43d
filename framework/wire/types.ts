/**
 * Implementations of the field types the `t` builder returns. Each validates a value on the way out
 * (`toWire`, giving what msgpackr packs) and a msgpackr-decoded value on the way in (`fromWire`),
 * throwing a {@link FieldError} on a mismatch. Instances are built once per schema and hold no
 * per-call state, so encoding and decoding allocate only the values themselves.
 * @module
 */
import { isValidPort } from '../endpoint/address.js';
import type { Address } from '../endpoint/address.js';
import { asUint8Array } from '../util/bytes.js';
import { FieldError, describeValue, withSegment } from './field-error.js';
import { bytesToIp, ipToBytes } from './ip.js';
import type { Schema, WireType } from './schema.js';

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;
const LONE_SURROGATE = /\p{Cs}/u;

function fail(expected: string, got: unknown): never {
  throw new FieldError(`expected ${expected}, got ${describeValue(got)}`);
}

/** `u8`, `u16`, `u32` and `uint`: a JS number holding a non-negative integer up to `max`. */
export class UintType implements WireType<number> {
  readonly optional = false;
  readonly #expected: string;

  /** @param kind type name. @param max largest allowed value (at most 2^53-1). */
  constructor(
    readonly kind: string,
    readonly max: number,
  ) {
    this.#expected = `${kind} (integer 0..${max})`;
  }

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > this.max) {
      fail(this.#expected, value);
    }
    // msgpackr packs integers above 2^32 as float64; a bigint gives a msgpack int64 instead.
    return value > U32_MAX ? BigInt(value) : value + 0; // `+ 0` turns -0 into 0
  }

  /** @inheritDoc */
  fromWire(wire: unknown): number {
    if (typeof wire === 'number') {
      if (Number.isInteger(wire) && wire >= 0 && wire <= this.max) return wire + 0;
    } else if (typeof wire === 'bigint' && wire >= 0n && wire <= BigInt(this.max)) {
      return Number(wire);
    }
    return fail(this.#expected, wire);
  }
}

/** `u64`: a bigint in 0..2^64-1. Small values go on the wire as compact msgpack integers. */
export class U64Type implements WireType<bigint> {
  readonly optional = false;
  readonly kind = 'u64';

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) fail('u64 (bigint 0..2^64-1)', value);
    return value <= 0xffff_ffffn ? Number(value) : value;
  }

  /** @inheritDoc */
  fromWire(wire: unknown): bigint {
    if (typeof wire === 'bigint') {
      if (wire >= 0n && wire <= U64_MAX) return wire;
    } else if (typeof wire === 'number' && Number.isSafeInteger(wire) && wire >= 0) {
      return BigInt(wire);
    }
    return fail('u64 (integer 0..2^64-1)', wire);
  }
}

/** `bool`. */
export class BoolType implements WireType<boolean> {
  readonly optional = false;
  readonly kind = 'bool';

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    if (typeof value !== 'boolean') fail('bool', value);
    return value;
  }

  /** @inheritDoc */
  fromWire(wire: unknown): boolean {
    if (typeof wire !== 'boolean') fail('bool', wire);
    return wire;
  }
}

/** `bytes`: a Uint8Array of an exact length, or of at most `max` bytes. */
export class BytesType implements WireType<Uint8Array> {
  readonly optional = false;
  readonly kind: string;

  /** @param length exact length, if fixed. @param max maximum length otherwise. */
  constructor(
    readonly length: number | undefined,
    readonly max: number,
  ) {
    this.kind = length === undefined ? `bytes(max ${max})` : `bytes(${length})`;
  }

  #check(value: unknown): Uint8Array {
    if (!(value instanceof Uint8Array)) return fail('bytes', value);
    if (this.length !== undefined) {
      if (value.length !== this.length) throw new FieldError(`expected ${this.length} bytes, got ${value.length}`);
    } else if (value.length > this.max) {
      throw new FieldError(`expected at most ${this.max} bytes, got ${value.length}`);
    }
    return value;
  }

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    return asUint8Array(this.#check(value));
  }

  /** @inheritDoc */
  fromWire(wire: unknown): Uint8Array {
    const b = this.#check(wire);
    // The codec unpacks a private plain copy of the input, so bin values are plain views of that copy.
    return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b);
  }
}

/** `string`: well-formed UTF-16 text of at most `max` UTF-8 bytes. */
export class StringType implements WireType<string> {
  readonly optional = false;
  readonly kind: string;

  /** @param max maximum length in UTF-8 bytes. */
  constructor(readonly max: number) {
    this.kind = `string(max ${max})`;
  }

  #check(value: unknown): string {
    if (typeof value !== 'string') return fail('string', value);
    if (value.length * 3 > this.max) {
      const n = Buffer.byteLength(value, 'utf8');
      if (n > this.max) throw new FieldError(`expected at most ${this.max} UTF-8 bytes, got ${n}`);
    }
    if (LONE_SURROGATE.test(value)) throw new FieldError('expected well-formed text, got a lone surrogate');
    return value;
  }

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    return this.#check(value);
  }

  /** @inheritDoc */
  fromWire(wire: unknown): string {
    return this.#check(wire);
  }
}

/**
 * The wire form of each frozen address encoded (its host and port cannot change): the routing table's
 * contacts share frozen addresses, and a find answer encodes eight of them, so each is parsed once. The
 * encoder only reads a wire value.
 */
const FROZEN_WIRE = new WeakMap<object, unknown>();

/** `address`: an {@link Address}, on the wire as `[ip bytes (4 or 16), port]`. */
export class AddressType implements WireType<Address> {
  readonly optional = false;
  readonly kind = 'address';

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return fail('address', value);
    const known = FROZEN_WIRE.get(value);
    if (known !== undefined) return known;
    const { host, port } = value as Partial<Address>;
    const ip = typeof host === 'string' ? ipToBytes(host) : undefined;
    if (ip === undefined) throw new FieldError('expected address with a literal IPv4 or IPv6 host');
    if (typeof port !== 'number' || !isValidPort(port)) fail('address port 0..65535', port);
    const wire = [ip, port];
    if (Object.isFrozen(value)) FROZEN_WIRE.set(value, wire);
    return wire;
  }

  /** @inheritDoc */
  fromWire(wire: unknown): Address {
    if (!Array.isArray(wire) || wire.length !== 2) return fail('address [ip, port]', wire);
    const ip: unknown = wire[0];
    const port: unknown = wire[1];
    const host = ip instanceof Uint8Array ? bytesToIp(ip) : undefined;
    if (host === undefined) return fail('address ip of 4 or 16 bytes', ip);
    if (typeof port !== 'number' || !isValidPort(port)) return fail('address port 0..65535', port);
    return { host, port: port + 0 };
  }
}

/** `list`: an array of at most `max` items of one type. */
export class ListType<T> implements WireType<T[]> {
  readonly optional = false;
  readonly kind: string;

  /** @param item type of every item. @param max maximum number of items. */
  constructor(
    readonly item: WireType<T>,
    readonly max: number,
  ) {
    this.kind = `list(${item.kind}, max ${max})`;
  }

  #checkLength(value: unknown): unknown[] {
    if (!Array.isArray(value)) return fail('list', value);
    if (value.length > this.max) throw new FieldError(`expected at most ${this.max} items, got ${value.length}`);
    return value;
  }

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    const items = this.#checkLength(value);
    const out = new Array<unknown>(items.length);
    let i = 0;
    try {
      for (; i < items.length; i++) out[i] = this.item.toWire(items[i]);
    } catch (e) {
      throw withSegment(e, i);
    }
    return out;
  }

  /** @inheritDoc */
  fromWire(wire: unknown): T[] {
    const items = this.#checkLength(wire);
    const out = new Array<T>(items.length);
    let i = 0;
    try {
      for (; i < items.length; i++) out[i] = this.item.fromWire(items[i]);
    } catch (e) {
      throw withSegment(e, i);
    }
    return out;
  }
}

/** `optional`: `undefined` in JS, msgpack `nil` on the wire. */
export class OptionalType<T> implements WireType<T | undefined> {
  readonly optional = true;
  readonly kind: string;

  /** @param inner type of a present value. */
  constructor(readonly inner: WireType<T>) {
    this.kind = `optional(${inner.kind})`;
  }

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    return value === undefined ? null : this.inner.toWire(value);
  }

  /** @inheritDoc */
  fromWire(wire: unknown): T | undefined {
    // msgpackr decodes nil as null and its own `undefined` extension as undefined: both mean absent.
    return wire === null || wire === undefined ? undefined : this.inner.fromWire(wire);
  }
}

/** `struct` (and every schema): an object whose fields go on the wire as one positional array. */
export class StructType<T> implements Schema<T> {
  readonly optional = false;
  readonly kind: string;
  readonly #types: readonly WireType<unknown>[];

  /** @param fieldNames field names in declaration order. @param fieldTypes their types. */
  constructor(
    readonly fieldNames: readonly string[],
    fieldTypes: readonly WireType<unknown>[],
  ) {
    this.#types = fieldTypes;
    this.kind = `struct(${fieldNames.join(', ')})`;
  }

  /** @inheritDoc */
  toWire(value: unknown): unknown {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      return fail('object', value);
    }
    const record = value as Readonly<Record<string, unknown>>;
    const names = this.fieldNames;
    const types = this.#types;
    const out = new Array<unknown>(names.length);
    let i = 0;
    try {
      for (; i < names.length; i++) out[i] = types[i]!.toWire(record[names[i]!]);
    } catch (e) {
      throw withSegment(e, names[i]!);
    }
    return out;
  }

  /** @inheritDoc */
  fromWire(wire: unknown): T {
    const names = this.fieldNames;
    if (!Array.isArray(wire)) return fail(`array of ${names.length} fields`, wire);
    if (wire.length !== names.length) {
      throw new FieldError(`expected array of ${names.length} fields, got ${wire.length}`);
    }
    const types = this.#types;
    const out: Record<string, unknown> = {};
    let i = 0;
    try {
      for (; i < names.length; i++) out[names[i]!] = types[i]!.fromWire(wire[i]);
    } catch (e) {
      throw withSegment(e, names[i]!);
    }
    return out as T;
  }
}
