/**
 * A msgpack reader for the values message bodies are made of on the hot path (arrays, byte strings,
 * integers, 64-bit integers as bigints, booleans, nil), giving exactly what the codec's msgpackr
 * instance gives for them (a property test holds it to that): byte strings as views into the input.
 * Anything else (text, floats, maps, extensions), a truncated input, trailing bytes or deep nesting it
 * declines, and the codec decodes the input with msgpackr instead, so every rejection and its reason
 * stay msgpackr's.
 * @module
 */

/** Returned by {@link fastUnpack} for an input it does not read. */
export const UNREAD: unique symbol = Symbol('unread');

const MAX_DEPTH = 32;

let src: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(src.buffer);
let at = 0;

/**
 * Reads one msgpack value that takes all of `bytes`.
 * @returns the value, or {@link UNREAD}.
 */
export function fastUnpack(bytes: Uint8Array): unknown {
  src = bytes;
  view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  at = 0;
  try {
    const value = read(0);
    return value === UNREAD || at !== bytes.length ? UNREAD : value;
  } catch {
    return UNREAD; // read past the end
  } finally {
    src = EMPTY;
    view = EMPTY_VIEW;
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

function read(depth: number): unknown {
  if (at >= src.length) return UNREAD;
  const b = src[at++]!;
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if ((b & 0xf0) === 0x90) return readArray(b & 0x0f, depth);
  let n: number;
  let v: unknown;
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      n = view.getUint8(at);
      at += 1;
      return readBin(n);
    case 0xc5:
      n = view.getUint16(at);
      at += 2;
      return readBin(n);
    case 0xc6:
      n = view.getUint32(at);
      at += 4;
      return readBin(n);
    case 0xcc:
      v = view.getUint8(at);
      at += 1;
      return v;
    case 0xcd:
      v = view.getUint16(at);
      at += 2;
      return v;
    case 0xce:
      v = view.getUint32(at);
      at += 4;
      return v;
    case 0xcf:
      v = view.getBigUint64(at);
      at += 8;
      return v;
    case 0xd0:
      v = view.getInt8(at);
      at += 1;
      return v;
    case 0xd1:
      v = view.getInt16(at);
      at += 2;
      return v;
    case 0xd2:
      v = view.getInt32(at);
      at += 4;
      return v;
    case 0xd3:
      v = view.getBigInt64(at);
      at += 8;
      return v;
    case 0xdc:
      n = view.getUint16(at);
      at += 2;
      return readArray(n, depth);
    case 0xdd:
      n = view.getUint32(at);
      at += 4;
      return readArray(n, depth);
    default:
      return UNREAD;
  }
}

function readBin(n: number): unknown {
  if (at + n > src.length) return UNREAD;
  const out = src.subarray(at, at + n);
  at += n;
  return out;
}

function readArray(n: number, depth: number): unknown {
  if (depth >= MAX_DEPTH || n > src.length - at) return UNREAD; // each item takes at least one byte
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const item = read(depth + 1);
    if (item === UNREAD) return UNREAD;
    out[i] = item;
  }
  return out;
}
