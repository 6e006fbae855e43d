import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidMessageError } from '../../../framework/errors.js';
import { toHex } from '../../../framework/util/bytes.js';
import { ByteWriter, decodeStruct, defineStruct, encodeStruct, s } from '../../../framework/wire/struct/index.js';

const Kitchen = defineStruct({
  a: s.u8(),
  b: s.u16(),
  c: s.u32(),
  d: s.u64(),
  e: s.bool(),
  f: s.bits(),
  g: s.bytes(3),
  h: s.varlenH({ max: 300 }),
  i: s.ipv4(),
  j: s.ipAddress(),
  k: s.list(s.struct({ x: s.u16(), y: s.varlenH({ max: 4 }) }), { max: 3 }),
  l: s.raw({ max: 600 }),
});

const sample = {
  a: 0xab,
  b: 0x1234,
  c: 0xdeadbeef,
  d: 0x0102030405060708n,
  e: true,
  f: [true, false, false, false, false, false, false, true] as const,
  g: new Uint8Array([9, 8, 7]),
  h: new Uint8Array([1, 2]),
  i: { host: '10.1.2.3', port: 80 },
  j: { host: '2001:db8::5', port: 443 },
  k: [{ x: 1, y: new Uint8Array([0xff]) }],
  l: new Uint8Array([0xee, 0xee]),
};

describe('struct encoding (py-ipv8 formats)', () => {
  it('lays fields out big-endian with no framing, as Python struct ">" does', () => {
    const hex = toHex(encodeStruct(Kitchen, sample));
    expect(hex).toBe(
      'ab' + '1234' + 'deadbeef' + '0102030405060708' + '01' + '81' + '090807' + '00020102' + '0a01020300' + '50' +
        '03' + '20010db8000000000000000000000005' + '01bb' + '01' + '0001' + '0001ff' + 'eeee',
    );
    const r = decodeStruct(Kitchen, encodeStruct(Kitchen, sample));
    expect(r).toEqual({ ok: true, value: sample });
  });

  it('writes past its first buffer (a body of thousands of bytes survives intact)', () => {
    const Big = defineStruct({ head: s.u32(), body: s.varlenH(), tail: s.u16() });
    const body = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const r = decodeStruct(Big, encodeStruct(Big, { head: 7, body, tail: 9 }));
    expect(r).toEqual({ ok: true, value: { head: 7, body, tail: 9 } });
    const w = new ByteWriter();
    for (let i = 0; i < 1000; i++) w.u16(i);
    expect(w.finish()[1998]).toBe(999 >> 8);
  });

  it('refuses bad values on the way out, naming the field', () => {
    expect(() => encodeStruct(Kitchen, { ...sample, b: 70000 })).toThrow(new InvalidMessageError('b: expected u16 (integer 0..65535), got 70000'));
    expect(() => encodeStruct(Kitchen, { ...sample, g: new Uint8Array(2) })).toThrow(/g: expected 3 bytes, got 2/);
    expect(() => encodeStruct(Kitchen, { ...sample, i: { host: '::1', port: 1 } })).toThrow(/i: expected an IPv4 address/);
    expect(() => encodeStruct(Kitchen, { ...sample, k: [{ x: 1, y: new Uint8Array(5) }] })).toThrow(/k\[0\]\.y: expected at most 4 bytes/);
    expect(() => encodeStruct(Kitchen, { ...sample, d: -1n })).toThrow(/d: expected u64/);
  });

  it('refuses bad bytes on the way in without throwing: short, over a bound, unknown address type, bad bool, trailing', () => {
    const good = encodeStruct(Kitchen, sample);
    for (let cut = 1; cut < good.length - 2; cut += 3) expect(decodeStruct(Kitchen, good.subarray(0, cut)).ok).toBe(false);
    const badBool = good.slice();
    badBool[15] = 2;
    expect(decodeStruct(Kitchen, badBool)).toEqual({ ok: false, reason: 'e: expected bool byte 0 or 1, got 2' });
    const Two = defineStruct({ n: s.u8(), m: s.u8() });
    expect(decodeStruct(Two, new Uint8Array([1, 2, 3]))).toEqual({ ok: false, reason: '1 trailing bytes after the body' });
    const List = defineStruct({ items: s.list(s.u8(), { max: 2 }) });
    expect(decodeStruct(List, new Uint8Array([3, 1, 2, 3]))).toEqual({ ok: false, reason: 'items: expected at most 2 items, got count 3' });
    const Addr = defineStruct({ at: s.ipAddress() });
    expect(decodeStruct(Addr, new Uint8Array([2, 0, 1, 0x61, 0, 80]))).toEqual({ ok: false, reason: 'at: expected address type 1 or 3, got 2' });
  });

  it('checks declarations: raw only last, list counts fit their count bytes', () => {
    expect(() => defineStruct({ r: s.raw(), n: s.u8() })).toThrow(InvalidArgumentError);
    expect(() => s.list(s.u8(), { max: 256 })).toThrow(InvalidArgumentError);
    expect(() => s.list(s.u8(), { max: 256, countBytes: 2 })).not.toThrow();
    expect(() => s.varlenH({ max: 70000 })).toThrow(InvalidArgumentError);
  });

  it('decoding arbitrary bytes never throws, and whatever decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const r = decodeStruct(Kitchen, bytes);
        if (r.ok) expect(toHex(encodeStruct(Kitchen, r.value))).toBe(toHex(bytes));
      }),
      { numRuns: 2000, seed: 1919 },
    );
  });
});
