/**
 * Body codec: a message body is ONE msgpack array holding the schema's fields in declaration order.
 * Encoding validates and throws {@link InvalidMessageError}; decoding never throws and returns a
 * {@link DecodeResult} whose reason names the offending field (`items[3].key: expected 20 bytes, got 19`).
 * @module
 */
import { Packr } from 'msgpackr';
import { InvalidMessageError } from '../errors.js';
import { DECLINED, fastPack } from './fast-pack.js';
import { fastUnpack, UNREAD } from './fast-unpack.js';
import { FieldError, describeFieldError } from './field-error.js';
import type { Schema } from './schema.js';

/** Outcome of decoding untrusted bytes: the value, or why it was rejected. */
export type DecodeResult<T> =
  | {
      /** Accepted. */
      readonly ok: true;
      /** The validated value. */
      readonly value: T;
    }
  | {
      /** Rejected. */
      readonly ok: false;
      /** Why, naming the field when one is at fault. */
      readonly reason: string;
    };

/**
 * One shared msgpackr instance. `useRecords: false` keeps to standard msgpack (no record extension
 * when packing); `int64AsType: 'bigint'` decodes msgpack 64-bit integers as bigints (never lossy floats).
 * Decoded bin values are `subarray` views of the input, which decodeBody makes a private copy.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

const MAX_REASON_CHARS = 160;

/**
 * Where every body is packed (by `fastPack`, or msgpackr when it declines): the output is copied at once, so one
 * buffer serves every encode, where msgpackr alone allocates a fresh 8 KiB buffer every few bodies. A
 * body larger than it makes msgpackr allocate a larger one for that body only.
 */
const SCRATCH = Buffer.allocUnsafeSlow(64 * 1024);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer, SCRATCH.byteOffset, SCRATCH.byteLength);

/**
 * Encodes `value` against `schema`, returning a view of msgpackr's shared output buffer (internal: the
 * caller copies it).
 */
export function encodeBodyView<T>(schema: Schema<T>, value: T): Uint8Array {
  let wire: unknown;
  try {
    wire = schema.toWire(value);
  } catch (e) {
    if (e instanceof FieldError) throw new InvalidMessageError(describeFieldError(e));
    throw new InvalidMessageError(`cannot encode body: ${errorText(e)}`, { cause: e });
  }
  try {
    const written = fastPack(wire, SCRATCH, SCRATCH_VIEW);
    if (written !== DECLINED) return new Uint8Array(SCRATCH.buffer, SCRATCH.byteOffset, written);
    packr.useBuffer(SCRATCH);
    const packed = packr.pack(wire);
    return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
  } catch (e) {
    throw new InvalidMessageError(`cannot encode body: ${errorText(e)}`, { cause: e });
  }
}

/**
 * Validates `value` against `schema` and encodes it as a msgpack array.
 * @returns a new plain `Uint8Array` owned by the caller.
 * @throws {@link InvalidMessageError} naming the field path when `value` does not fit the schema.
 * @example
 * ```ts
 * const Ping = defineSchema({ identifier: t.u32() });
 * const bytes = encodeBody(Ping, { identifier: 7 });
 * ```
 */
export function encodeBody<T>(schema: Schema<T>, value: T): Uint8Array {
  return encodeBodyView(schema, value).slice();
}

/**
 * Decodes and validates untrusted bytes against `schema`. Never throws: malformed msgpack, trailing
 * bytes, a wrong field count, type, length or range all give `{ ok: false, reason }`.
 * Byte fields of the result are plain `Uint8Array`s (never `Buffer`s) viewing one private copy of
 * `bytes`, so later changes to `bytes` do not affect them.
 * @example
 * ```ts
 * const r = decodeBody(Ping, bytes);
 * if (r.ok) console.log(r.value.identifier);
 * ```
 */
export function decodeBody<T>(schema: Schema<T>, bytes: Uint8Array): DecodeResult<T> {
  if (!(bytes instanceof Uint8Array)) return reject('body is not a Uint8Array');
  if (bytes.length === 0) return reject('empty body');
  let wire: unknown;
  try {
    // One private plain copy: decoded byte fields are views into it, so they never alias the caller's
    // buffer and are never Buffers; and msgpackr caches a DataView on its input object, which must not
    // leak onto the caller's array.
    const own = new Uint8Array(bytes.length);
    own.set(bytes);
    wire = fastUnpack(own);
    if (wire === UNREAD) wire = packr.unpack(own);
  } catch (e) {
    return reject(msgpackReason(e));
  }
  try {
    return { ok: true, value: schema.fromWire(wire) };
  } catch (e) {
    return reject(e instanceof FieldError ? describeFieldError(e) : `invalid body: ${errorText(e)}`);
  }
}

function reject(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason: reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}...` : reason };
}

function msgpackReason(e: unknown): string {
  const text = errorText(e);
  // msgpackr's message for trailing bytes quotes the decoded data; do not echo untrusted content.
  if (text.startsWith('Data read, but end of buffer not reached')) return 'trailing bytes after the msgpack body';
  return `malformed msgpack: ${text}`;
}

function errorText(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'unknown error';
  }
}
