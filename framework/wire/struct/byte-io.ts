/**
 * Byte-level reading and writing for the struct encoding: big-endian fixed-size integers and byte runs,
 * as Python's `struct` module lays them out with a `>` format. The reader never reads past its end: a
 * short input is a {@link FieldError}, never a silently truncated slice (py-ipv8's `unpack_from` slices
 * quietly; this side refuses).
 * @module
 */
import { FieldError } from '../field-error.js';

const INITIAL_BYTES = 256;

/** A growable buffer that struct field types append to. */
export class ByteWriter {
  #buf = new Uint8Array(INITIAL_BYTES);
  #view = new DataView(this.#buf.buffer);
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #reserve(n: number): number {
    const at = this.#length;
    const need = at + n;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, at));
      this.#buf = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length = need;
    return at;
  }

  /** Appends one byte. */
  u8(v: number): void {
    const at = this.#reserve(1);
    this.#buf[at] = v;
  }

  /** Appends a big-endian 16-bit unsigned integer. */
  u16(v: number): void {
    const at = this.#reserve(2);
    this.#view.setUint16(at, v, false);
  }

  /** Appends a big-endian 32-bit unsigned integer. */
  u32(v: number): void {
    const at = this.#reserve(4);
    this.#view.setUint32(at, v, false);
  }

  /** Appends a big-endian 64-bit unsigned integer. */
  u64(v: bigint): void {
    const at = this.#reserve(8);
    this.#view.setBigUint64(at, v, false);
  }

  /** Appends bytes as they are. */
  bytes(b: Uint8Array): void {
    // Reserve first: it may replace the buffer.
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
  }

  /** A new array holding what was written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }
}

/** Reads a byte array front to back; every read checks the bytes are there. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset: number;

  /** @param bytes the input (not copied: byte fields read from it are copies). @param offset where to start. */
  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = offset;
  }

  /** Where the next read starts. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(n: number, what: string): number {
    if (n > this.remaining) throw new FieldError(`expected ${n} bytes for ${what}, got ${this.remaining}`);
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  /** Reads one byte. */
  u8(): number {
    return this.#bytes[this.#take(1, 'u8')]!;
  }

  /** Reads a big-endian 16-bit unsigned integer. */
  u16(): number {
    return this.#view.getUint16(this.#take(2, 'u16'), false);
  }

  /** Reads a big-endian 32-bit unsigned integer. */
  u32(): number {
    return this.#view.getUint32(this.#take(4, 'u32'), false);
  }

  /** Reads a big-endian 64-bit unsigned integer. */
  u64(): bigint {
    return this.#view.getBigUint64(this.#take(8, 'u64'), false);
  }

  /** Reads `n` bytes into a new array. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    const at = this.#take(n, what);
    return this.#bytes.slice(at, at + n);
  }

  /** Reads everything left into a new array. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
}
