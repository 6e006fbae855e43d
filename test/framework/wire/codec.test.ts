import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../../framework/wire/codec.js';
import { defineSchema, t } from '../../../framework/wire/schema.js';
import type { Schema } from '../../../framework/wire/schema.js';
import { InvalidArgumentError, InvalidMessageError } from '../../../framework/errors.js';
import { concatBytes, toHex } from '../../../framework/util/bytes.js';
import {
  Inner,
  Kitchen,
  NO_NULL_PROTO,
  U64_MAX,
  addressArb,
  innerArb,
  kitchenArb,
  onlyPlainBytes,
  stringArb,
  u32Arb,
  u64Arb,
  uintArb,
} from './fixtures.js';

const RUNS = { numRuns: 300 };
const rec = <R extends Record<string, fc.Arbitrary<unknown>>>(r: R) => fc.record(r, NO_NULL_PROTO);
const plain = new Packr({ useRecords: false });

function roundTrip<T>(schema: Schema<T>, arb: fc.Arbitrary<T>): void {
  fc.assert(
    fc.property(arb, (value) => {
      const r = decodeBody(schema, encodeBody(schema, value));
      expect(r).toStrictEqual({ ok: true, value });
      expect(onlyPlainBytes(r)).toBe(true);
    }),
    RUNS,
  );
}

function reason<T>(schema: Schema<T>, bytes: Uint8Array): string {
  const r = decodeBody(schema, bytes);
  if (r.ok) throw new Error(`expected a rejection, decoded ${String(r.value)}`);
  return r.reason;
}

const pack = (v: unknown): Uint8Array => new Uint8Array(plain.pack(v));

describe('round trip, one schema per field type', () => {
  it('u8 / u16 / u32 / uint', () => {
    roundTrip(defineSchema({ v: t.u8() }), rec({ v: fc.integer({ min: 0, max: 255 }) }));
    roundTrip(defineSchema({ v: t.u16() }), rec({ v: fc.integer({ min: 0, max: 0xffff }) }));
    roundTrip(defineSchema({ v: t.u32() }), rec({ v: u32Arb }));
    roundTrip(defineSchema({ v: t.uint() }), rec({ v: uintArb }));
  });
  it('u64 including the extremes', () => roundTrip(defineSchema({ v: t.u64() }), rec({ v: u64Arb })));
  it('bool', () => roundTrip(defineSchema({ v: t.bool() }), rec({ v: fc.boolean() })));
  it('bytes: exact length, max length, empty, at the maximum', () => {
    roundTrip(defineSchema({ v: t.bytes({ length: 20 }) }), rec({ v: fc.uint8Array({ minLength: 20, maxLength: 20 }) }));
    roundTrip(defineSchema({ v: t.bytes({ max: 300 }) }), rec({ v: fc.uint8Array({ maxLength: 300 }) }));
    const Unbounded = defineSchema({ v: t.bytes() });
    for (const v of [new Uint8Array(0), new Uint8Array(70_000).fill(9)]) {
      const r = decodeBody(Unbounded, encodeBody(Unbounded, { v }));
      expect(r.ok && toHex(r.value.v) === toHex(v)).toBe(true);
    }
  });
  it('string up to its UTF-8 byte maximum', () => roundTrip(defineSchema({ v: t.string({ max: 40 }) }), rec({ v: stringArb(40) })));
  it('address, IPv4 and IPv6 in canonical form', () => roundTrip(defineSchema({ v: t.address() }), rec({ v: addressArb })));
  it('nested struct, list and optional', () => {
    roundTrip(defineSchema({ v: Inner }), rec({ v: innerArb }));
    roundTrip(defineSchema({ v: t.list(Inner, { max: 5 }) }), rec({ v: fc.array(innerArb, { maxLength: 5 }) }));
    roundTrip(defineSchema({ v: t.optional(Inner) }), rec({ v: fc.option(innerArb, { nil: undefined }) }));
  });
  it('every type at once', () => roundTrip(Kitchen, kitchenArb));
  it('an empty schema is an empty array', () => {
    const Empty = defineSchema({});
    expect(toHex(encodeBody(Empty, {}))).toBe('90');
    expect(decodeBody(Empty, new Uint8Array([0x90]))).toStrictEqual({ ok: true, value: {} });
  });
});

describe('wire form', () => {
  it('is one positional msgpack array in declaration order', () => {
    const S = defineSchema({ b: t.u8(), a: t.bytes({ max: 4 }), s: t.string({ max: 4 }), o: t.optional(t.u8()) });
    expect(toHex(encodeBody(S, { b: 7, a: new Uint8Array([1, 2]), s: 'hi', o: undefined }))).toBe('9407c4020102a26869c0');
  });
  it('packs small u64 values compactly and large ones as 64-bit integers', () => {
    const S = defineSchema({ v: t.u64() });
    expect(toHex(encodeBody(S, { v: 5n }))).toBe('9105');
    expect(toHex(encodeBody(S, { v: U64_MAX }))).toBe('91cfffffffffffffffff');
  });
  it('packs uint above 2^32 as an integer, not a float', () => {
    expect(toHex(encodeBody(defineSchema({ v: t.uint() }), { v: 2 ** 40 }))).toBe('91d30000010000000000');
  });
  it('encodes an address as [ip bytes, port]', () => {
    const S = defineSchema({ v: t.address() });
    expect(toHex(encodeBody(S, { v: { host: '10.0.0.1', port: 8090 } }))).toBe('9192c4040a000001cd1f9a');
  });
  it('decodes IPv6 hosts to canonical text and accepts Buffer input', () => {
    const S = defineSchema({ v: t.address() });
    const bytes = encodeBody(S, { v: { host: '2001:DB8:0:0:0:0:0:1', port: 1 } });
    expect(decodeBody(S, Buffer.from(bytes))).toStrictEqual({ ok: true, value: { v: { host: '2001:db8::1', port: 1 } } });
  });
  it('returns bytes that do not alias the input and leaves the input untouched', () => {
    const S = defineSchema({ v: t.bytes({ max: 8 }) });
    const input = encodeBody(S, { v: new Uint8Array([1, 2, 3]) });
    const r = decodeBody(S, input);
    input.fill(0);
    expect(r).toStrictEqual({ ok: true, value: { v: new Uint8Array([1, 2, 3]) } });
    expect(Object.keys(input)).not.toContain('dataView');
  });
  it('accepts msgpack 64-bit and bigint encodings of small integers', () => {
    const S = defineSchema({ a: t.u8(), b: t.u64() });
    expect(decodeBody(S, pack([3n, 4]))).toStrictEqual({ ok: true, value: { a: 3, b: 4n } });
  });
});

describe('decode rejects, with a reason naming the field', () => {
  const S = defineSchema({ key: t.bytes({ length: 20 }), name: t.string({ max: 8 }), a: t.u8(), b: t.u16(), c: t.u32() });
  const ok = { key: new Uint8Array(20), name: 'x', a: 1, b: 2, c: 3 };
  const wire = (over: Partial<Record<keyof typeof ok, unknown>>): unknown[] => Object.values({ ...ok, ...over });

  it('accepts the baseline', () => expect(decodeBody(S, pack(wire({})))).toStrictEqual({ ok: true, value: ok }));
  it('wrong length bytes', () => expect(reason(S, pack(wire({ key: new Uint8Array(19) })))).toBe('key: expected 20 bytes, got 19'));
  it('too-long string', () => expect(reason(S, pack(wire({ name: 'ééééé' })))).toBe('name: expected at most 8 UTF-8 bytes, got 10'));
  it('out-of-range u8 / u16 / u32', () => {
    expect(reason(S, pack(wire({ a: 256 })))).toBe('a: expected u8 (integer 0..255), got 256');
    expect(reason(S, pack(wire({ b: 65_536 })))).toBe('b: expected u16 (integer 0..65535), got 65536');
    expect(reason(S, pack(wire({ c: 2 ** 32 })))).toMatch(/^c: expected u32/);
    expect(reason(S, pack(wire({ a: -1 })))).toMatch(/^a: expected u8/);
    expect(reason(S, pack(wire({ a: 1.5 })))).toMatch(/^a: expected u8/);
  });
  it('wrong type', () => expect(reason(S, pack(wire({ key: 'x'.repeat(20) })))).toBe('key: expected bytes, got string of 20 chars'));
  it('wrong array arity', () => {
    expect(reason(S, pack([...wire({}), 1]))).toBe('body: expected array of 5 fields, got 6');
    expect(reason(S, pack(wire({}).slice(0, 4)))).toBe('body: expected array of 5 fields, got 4');
    expect(reason(S, pack({ key: 1 }))).toBe('body: expected array of 5 fields, got object');
  });
  it('trailing garbage', () => expect(reason(S, concatBytes(pack(wire({})), new Uint8Array([0])))).toBe('trailing bytes after the msgpack body'));
  it('truncated and empty input', () => {
    expect(reason(S, pack(wire({})).subarray(0, 10))).toMatch(/^malformed msgpack/);
    expect(reason(S, new Uint8Array(0))).toBe('empty body');
  });
  it('nested paths', () => {
    const L = defineSchema({ items: t.list(Inner, { max: 5 }) });
    const items = [[new Uint8Array(20), 1, null], [new Uint8Array(21), 1, null]];
    expect(reason(L, pack([items]))).toBe('items[1].key: expected 20 bytes, got 21');
    expect(reason(L, pack([new Array(6).fill(items[0])]))).toBe('items: expected at most 5 items, got 6');
  });
  it('bad addresses', () => {
    const A = defineSchema({ to: t.address() });
    expect(reason(A, pack([[new Uint8Array(5), 1]]))).toBe('to: expected address ip of 4 or 16 bytes, got 5 bytes');
    expect(reason(A, pack([[new Uint8Array(4), 70_000]]))).toBe('to: expected address port 0..65535, got 70000');
  });
  it('u64 out of range and negative', () => {
    const U = defineSchema({ v: t.u64() });
    expect(reason(U, pack([-1n]))).toMatch(/^v: expected u64/);
    expect(reason(U, pack([-1]))).toMatch(/^v: expected u64/);
  });
  it('lone surrogates in decoded text', () => {
    const T = defineSchema({ s: t.string({ max: 8 }) });
    expect(reason(T, new Uint8Array([0x91, 0xa3, 0xed, 0xa0, 0x80]))).toMatch(/^s: /);
  });
});

describe('encode rejects with InvalidMessageError naming the field', () => {
  const L = defineSchema({ items: t.list(t.struct({ key: t.bytes({ length: 20 }) }), { max: 8 }) });
  it('names the path', () => {
    const items = [0, 1, 2, 3].map((i) => ({ key: new Uint8Array(i === 3 ? 19 : 20) }));
    expect(() => encodeBody(L, { items })).toThrow(new InvalidMessageError('items[3].key: expected 20 bytes, got 19'));
  });
  const bad: Array<[Schema<unknown>, unknown, string]> = [
    [defineSchema({ a: t.u8() }), { a: 256 }, 'a: expected u8 (integer 0..255), got 256'],
    [defineSchema({ a: t.u32() }), { a: '1' }, 'a: expected u32 (integer 0..4294967295), got string of 1 chars'],
    [defineSchema({ a: t.uint() }), { a: 2 ** 53 }, 'a: expected uint (integer 0..9007199254740991), got 9007199254740992'],
    [defineSchema({ a: t.u64() }), { a: 1 }, 'a: expected u64 (bigint 0..2^64-1), got 1'],
    [defineSchema({ a: t.u64() }), { a: U64_MAX + 1n }, `a: expected u64 (bigint 0..2^64-1), got ${U64_MAX + 1n}n`],
    [defineSchema({ a: t.bool() }), { a: 0 }, 'a: expected bool, got 0'],
    [defineSchema({ a: t.string({ max: 3 }) }), { a: '\ud800' }, 'a: expected well-formed text, got a lone surrogate'],
    [defineSchema({ a: t.address() }), { a: { host: 'localhost', port: 1 } }, 'a: expected address with a literal IPv4 or IPv6 host'],
    [defineSchema({ a: t.address() }), { a: { host: 'fe80::1%eth0', port: 1 } }, 'a: expected address with a literal IPv4 or IPv6 host'],
    [defineSchema({ a: t.address() }), { a: { host: '::1', port: -1 } }, 'a: expected address port 0..65535, got -1'],
    [defineSchema({ a: t.optional(t.u8()) }), { a: null }, 'a: expected u8 (integer 0..255), got null'],
    [defineSchema({ a: t.list(t.u8(), { max: 1 }) }), { a: [1, 2] }, 'a: expected at most 1 items, got 2'],
    [defineSchema({ a: Inner }), { a: [] }, 'a: expected object, got array of 0'],
    [defineSchema({ a: t.u8() }), null, 'body: expected object, got null'],
  ];
  it.each(bad)('%#: %s', (schema, value, message) => {
    expect(() => encodeBody(schema, value)).toThrow(new InvalidMessageError(message));
  });
});

describe('schema definition', () => {
  it('rejects bad builder options', () => {
    expect(() => t.bytes({ length: 2, max: 3 })).toThrow(InvalidArgumentError);
    expect(() => t.bytes({ max: -1 })).toThrow(InvalidArgumentError);
    expect(() => t.string({ max: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => t.optional(t.optional(t.u8()))).toThrow(InvalidArgumentError);
    expect(() => defineSchema({ a: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => defineSchema(JSON.parse('{"__proto__": 1}') as never)).toThrow(InvalidArgumentError);
  });
  it('keeps declaration order', () => {
    expect(Kitchen.fieldNames).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n']);
  });
});
