/**
 * The field types of the struct encoding (py-ipv8's `Serializer` formats). Each writes its value to a
 * {@link ByteWriter} and reads it back from a {@link ByteReader}, validating on the way out (type, range,
 * length) and on the way in (enough bytes, known address type), throwing a {@link FieldError} that the
 * codec reports with the field path. Names in comments are py-ipv8's format names.
 * @module
 */
import { isValidPort } from '../../endpoint/address.js';
import type { Address } from '../../endpoint/address.js';
import { FieldError, describeValue, withSegment } from '../field-error.js';
import { IPV4_BYTES, IPV6_BYTES, bytesToIp, ipToBytes } from '../ip.js';
import type { ByteReader, ByteWriter } from './byte-io.js';

/** py-ipv8's `ip_address` type byte of an IPv4 address. */
export const ADDRESS_TYPE_IPV4 = 0x01;
/** py-ipv8's `ip_address` type byte of a domain name (refused: its `ip_address` format is `ip_only`). */
export const ADDRESS_TYPE_DOMAIN_NAME = 0x02;
/** py-ipv8's `ip_address` type byte of an IPv6 address. */
export const ADDRESS_TYPE_IPV6 = 0x03;

/**
 * One field type of the struct encoding.
 * @typeParam T the JavaScript value type.
 */
export interface StructType<T> {
  /** Short description, e.g. `u32` or `varlenH(max 170)`. */
  readonly kind: string;
  /** Validates `value` and appends its bytes. */
  write(w: ByteWriter, value: unknown): void;
  /** Reads and validates one value. */
  read(r: ByteReader): T;
}

/** Eight flags packed into one byte; index 0 is the most significant bit (`0x80`), as py-ipv8's `bits`. */
export type Bits = readonly [boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean];

function fail(expected: string, got: unknown): never {
  throw new FieldError(`expected ${expected}, got ${describeValue(got)}`);
}

/** Fixed-size big-endian unsigned integers: `B` (u8), `H` (u16), `I` (u32), numbers. */
export class UintField implements StructType<number> {
  readonly #write: (w: ByteWriter, v: number) => void;
  readonly #read: (r: ByteReader) => number;
  readonly #max: number;

  /** @param kind `u8`, `u16` or `u32`. */
  constructor(readonly kind: 'u8' | 'u16' | 'u32') {
    this.#max = kind === 'u8' ? 0xff : kind === 'u16' ? 0xffff : 0xffff_ffff;
    this.#write = kind === 'u8' ? (w, v) => w.u8(v) : kind === 'u16' ? (w, v) => w.u16(v) : (w, v) => w.u32(v);
    this.#read = kind === 'u8' ? (r) => r.u8() : kind === 'u16' ? (r) => r.u16() : (r) => r.u32();
  }

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > this.#max) {
      fail(`${this.kind} (integer 0..${this.#max})`, value);
    }
    this.#write(w, value);
  }

  /** @inheritDoc */
  read(r: ByteReader): number {
    return this.#read(r);
  }
}

/** `Q`: a big-endian unsigned 64-bit integer, as a bigint. */
export class U64Field implements StructType<bigint> {
  readonly kind = 'u64';

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) fail('u64 (bigint 0..2^64-1)', value);
    w.u64(value);
  }

  /** @inheritDoc */
  read(r: ByteReader): bigint {
    return r.u64();
  }
}

/** `?`: one byte, 0 or 1 (any other byte is refused on the way in). */
export class BoolField implements StructType<boolean> {
  readonly kind = 'bool';

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (typeof value !== 'boolean') fail('bool', value);
    w.u8(value ? 1 : 0);
  }

  /** @inheritDoc */
  read(r: ByteReader): boolean {
    const b = r.u8();
    if (b > 1) throw new FieldError(`expected bool byte 0 or 1, got ${b}`);
    return b === 1;
  }
}

/** `bits`: eight flags in one byte. */
export class BitsField implements StructType<Bits> {
  readonly kind = 'bits';

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (!Array.isArray(value) || value.length !== 8 || !value.every((b) => typeof b === 'boolean')) {
      fail('bits (8 booleans)', value);
    }
    let byte = 0;
    for (let i = 0; i < 8; i++) if (value[i] === true) byte |= 0x80 >> i;
    w.u8(byte);
  }

  /** @inheritDoc */
  read(r: ByteReader): Bits {
    const byte = r.u8();
    const out: boolean[] = [];
    for (let i = 0; i < 8; i++) out.push((byte & (0x80 >> i)) !== 0);
    return out as unknown as Bits;
  }
}

/** `20s`, `64s`, ...: exactly `length` bytes. */
export class FixedBytesField implements StructType<Uint8Array> {
  readonly kind: string;

  /** @param length the byte count. */
  constructor(readonly length: number) {
    this.kind = `bytes(${length})`;
  }

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (!(value instanceof Uint8Array)) fail('bytes', value);
    if (value.length !== this.length) throw new FieldError(`expected ${this.length} bytes, got ${value.length}`);
    w.bytes(value);
  }

  /** @inheritDoc */
  read(r: ByteReader): Uint8Array {
    return r.bytes(this.length, this.kind);
  }
}

/** `varlenH`: a big-endian u16 length, then that many bytes (at most `max`). */
export class VarlenHField implements StructType<Uint8Array> {
  readonly kind: string;

  /** @param max the most bytes accepted either way (at most 65535). */
  constructor(readonly max: number) {
    this.kind = `varlenH(max ${max})`;
  }

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (!(value instanceof Uint8Array)) fail('bytes', value);
    if (value.length > this.max) throw new FieldError(`expected at most ${this.max} bytes, got ${value.length}`);
    w.u16(value.length);
    w.bytes(value);
  }

  /** @inheritDoc */
  read(r: ByteReader): Uint8Array {
    const n = r.u16();
    if (n > this.max) throw new FieldError(`expected at most ${this.max} bytes, got length ${n}`);
    return r.bytes(n, this.kind);
  }
}

/** `raw`: every remaining byte (so only as the last field). */
export class RawField implements StructType<Uint8Array> {
  readonly kind: string;

  /** @param max the most bytes accepted either way. */
  constructor(readonly max: number) {
    this.kind = `raw(max ${max})`;
  }

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (!(value instanceof Uint8Array)) fail('bytes', value);
    if (value.length > this.max) throw new FieldError(`expected at most ${this.max} bytes, got ${value.length}`);
    w.bytes(value);
  }

  /** @inheritDoc */
  read(r: ByteReader): Uint8Array {
    if (r.remaining > this.max) throw new FieldError(`expected at most ${this.max} bytes, got ${r.remaining}`);
    return r.rest();
  }
}

function checkAddress(value: unknown): { ip: Uint8Array; port: number } {
  if (typeof value !== 'object' || value === null) return fail('address', value);
  const { host, port } = value as Partial<Address>;
  const ip = typeof host === 'string' ? ipToBytes(host) : undefined;
  if (ip === undefined) throw new FieldError('expected address with a literal IPv4 or IPv6 host');
  if (typeof port !== 'number' || !isValidPort(port)) fail('address port 0..65535', port);
  return { ip, port };
}

/** `ipv4`: 4 address bytes and a u16 port (the old introduction messages). */
export class Ipv4Field implements StructType<Address> {
  readonly kind = 'ipv4';

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    const { ip, port } = checkAddress(value);
    if (ip.length !== IPV4_BYTES) throw new FieldError('expected an IPv4 address');
    w.bytes(ip);
    w.u16(port);
  }

  /** @inheritDoc */
  read(r: ByteReader): Address {
    const host = bytesToIp(r.bytes(IPV4_BYTES, 'ipv4'))!;
    return { host, port: r.u16() };
  }
}

/** `ip_address`: a type byte (1 IPv4, 3 IPv6), the address bytes and a u16 port; domain names refused. */
export class IpAddressField implements StructType<Address> {
  readonly kind = 'ip_address';

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    const { ip, port } = checkAddress(value);
    w.u8(ip.length === IPV4_BYTES ? ADDRESS_TYPE_IPV4 : ADDRESS_TYPE_IPV6);
    w.bytes(ip);
    w.u16(port);
  }

  /** @inheritDoc */
  read(r: ByteReader): Address {
    const type = r.u8();
    let ip: Uint8Array;
    if (type === ADDRESS_TYPE_IPV4) ip = r.bytes(IPV4_BYTES, 'ipv4 address');
    else if (type === ADDRESS_TYPE_IPV6) ip = r.bytes(IPV6_BYTES, 'ipv6 address');
    else throw new FieldError(`expected address type 1 or 3, got ${type}`);
    return { host: bytesToIp(ip)!, port: r.u16() };
  }
}

/** `ListOf`: a count (u8 by default, as py-ipv8's), then that many items (at most `max`). */
export class ListField<T> implements StructType<T[]> {
  readonly kind: string;

  /** @param item every item's type. @param max the most items. @param countBytes 1 (`>B`) or 2 (`>H`). */
  constructor(
    readonly item: StructType<T>,
    readonly max: number,
    readonly countBytes: 1 | 2,
  ) {
    this.kind = `list(${item.kind}, max ${max})`;
  }

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (!Array.isArray(value)) fail('list', value);
    if (value.length > this.max) throw new FieldError(`expected at most ${this.max} items, got ${value.length}`);
    if (this.countBytes === 1) w.u8(value.length);
    else w.u16(value.length);
    let i = 0;
    try {
      for (; i < value.length; i++) this.item.write(w, value[i]);
    } catch (e) {
      throw withSegment(e, i);
    }
  }

  /** @inheritDoc */
  read(r: ByteReader): T[] {
    const n = this.countBytes === 1 ? r.u8() : r.u16();
    if (n > this.max) throw new FieldError(`expected at most ${this.max} items, got count ${n}`);
    const out: T[] = [];
    let i = 0;
    try {
      for (; i < n; i++) out.push(this.item.read(r));
    } catch (e) {
      throw withSegment(e, i);
    }
    return out;
  }
}

/** A struct: its fields one after another, in declaration order, with nothing between them. */
export class StructFields<T> implements StructType<T> {
  readonly kind: string;

  /** @param names field names in wire order. @param types their types. */
  constructor(
    readonly names: readonly string[],
    readonly types: readonly StructType<unknown>[],
  ) {
    this.kind = `struct(${names.join(', ')})`;
  }

  /** @inheritDoc */
  write(w: ByteWriter, value: unknown): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      fail('object', value);
    }
    const record = value as Readonly<Record<string, unknown>>;
    let i = 0;
    try {
      for (; i < this.names.length; i++) this.types[i]!.write(w, record[this.names[i]!]);
    } catch (e) {
      throw withSegment(e, this.names[i]!);
    }
  }

  /** @inheritDoc */
  read(r: ByteReader): T {
    const out: Record<string, unknown> = {};
    let i = 0;
    try {
      for (; i < this.names.length; i++) out[this.names[i]!] = this.types[i]!.read(r);
    } catch (e) {
      throw withSegment(e, this.names[i]!);
    }
    return out as T;
  }
}
