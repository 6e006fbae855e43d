/**
 * A msgpack writer for the values message bodies are made of on the hot path (arrays, byte strings,
 * 32-bit integers, 64-bit bigints, booleans, nil), writing exactly the bytes the codec's msgpackr
 * instance writes for them (a property test holds it to that), several times faster because it writes
 * straight into one buffer. Anything else (text, floats, maps, `undefined`, a body larger than the buffer)
 * it declines, and the codec packs the body with msgpackr instead.
 * @module
 */

/** Returned by {@link fastPack} for a value it does not write. */
export const DECLINED = -1;

const MAX_DEPTH = 32;
/** Byte strings up to this long are copied by a loop (cheaper than `set` for ids, addresses, tokens). */
const SMALL_BYTES = 32;

/**
 * Writes `value` as msgpack at the start of `target`.
 * @returns the number of bytes written, or {@link DECLINED} (what was written is then garbage).
 */
export function fastPack(value: unknown, target: Uint8Array, view: DataView): number {
  try {
    return write(value, target, view, 0, 0);
  } catch {
    return DECLINED; // a RangeError past the end of the buffer
  }
}

function write(value: unknown, t: Uint8Array, v: DataView, at: number, depth: number): number {
  if (at < 0 || at + 9 > t.length) return DECLINED;
  switch (typeof value) {
    case 'number':
      return writeNumber(value, t, v, at);
    case 'boolean':
      t[at] = value ? 0xc3 : 0xc2;
      return at + 1;
    case 'bigint':
      if (value < 0x8000000000000000n && value >= -0x8000000000000000n) {
        t[at] = 0xd3;
        v.setBigInt64(at + 1, value);
        return at + 9;
      }
      if (value < 0x10000000000000000n && value > 0n) {
        t[at] = 0xcf;
        v.setBigUint64(at + 1, value);
        return at + 9;
      }
      return DECLINED;
    case 'object': {
      if (value === null) {
        t[at] = 0xc0;
        return at + 1;
      }
      if (value instanceof Uint8Array) return writeBytes(value, t, v, at);
      if (value.constructor !== Array || depth >= MAX_DEPTH) return DECLINED;
      const items = value as unknown[];
      const n = items.length;
      let p = at;
      if (n < 0x10) t[p++] = 0x90 | n;
      else if (n < 0x10000) {
        t[p] = 0xdc;
        v.setUint16(p + 1, n);
        p += 3;
      } else {
        t[p] = 0xdd;
        v.setUint32(p + 1, n);
        p += 5;
      }
      for (let i = 0; i < n; i++) {
        p = write(items[i], t, v, p, depth + 1);
        if (p === DECLINED) return DECLINED;
      }
      return p;
    }
    default:
      return DECLINED;
  }
}

function writeNumber(value: number, t: Uint8Array, v: DataView, at: number): number {
  if (value >>> 0 === value) {
    if (value < 0x80) {
      t[at] = value;
      return at + 1;
    }
    if (value < 0x100) {
      t[at] = 0xcc;
      t[at + 1] = value;
      return at + 2;
    }
    if (value < 0x10000) {
      t[at] = 0xcd;
      v.setUint16(at + 1, value);
      return at + 3;
    }
    t[at] = 0xce;
    v.setUint32(at + 1, value);
    return at + 5;
  }
  if (value >> 0 === value) {
    if (value >= -0x20) {
      t[at] = 0x100 + value;
      return at + 1;
    }
    if (value >= -0x80) {
      t[at] = 0xd0;
      t[at + 1] = value + 0x100;
      return at + 2;
    }
    if (value >= -0x8000) {
      t[at] = 0xd1;
      v.setInt16(at + 1, value);
      return at + 3;
    }
    t[at] = 0xd2;
    v.setInt32(at + 1, value);
    return at + 5;
  }
  return DECLINED; // a float, or an integer past 32 bits: msgpackr's own choice
}

function writeBytes(bytes: Uint8Array, t: Uint8Array, v: DataView, at: number): number {
  const n = bytes.byteLength;
  let p = at;
  if (n < 0x100) {
    t[p] = 0xc4;
    t[p + 1] = n;
    p += 2;
  } else if (n < 0x10000) {
    t[p] = 0xc5;
    v.setUint16(p + 1, n);
    p += 3;
  } else {
    t[p] = 0xc6;
    v.setUint32(p + 1, n);
    p += 5;
  }
  if (p + n > t.length) return DECLINED;
  if (n <= SMALL_BYTES) for (let i = 0; i < n; i++) t[p + i] = bytes[i]!;
  else t.set(bytes, p);
  return p + n;
}
