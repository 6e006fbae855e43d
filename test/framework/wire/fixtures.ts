/** Shared schemas, fast-check arbitraries and signing helpers for the wire tests. */
import { SocketAddress } from 'node:net';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { defineSchema, t } from '../../../framework/wire/schema.js';
import type { Infer } from '../../../framework/wire/schema.js';
import { bytesToIp } from '../../../framework/wire/ip.js';
import type { Signer, SignatureVerifier } from '../../../framework/wire/packet.js';
import type { Address } from '../../../framework/endpoint/address.js';
import { concatBytes, utf8 } from '../../../framework/util/bytes.js';

/** fast-check may build null-prototype records; decoded objects are plain. */
export const NO_NULL_PROTO = { noNullPrototype: true } as const;

export const U64_MAX = (1n << 64n) - 1n;

export const Inner = t.struct({
  key: t.bytes({ length: 20 }),
  n: t.u16(),
  note: t.optional(t.string({ max: 16 })),
});

/** One schema holding every field type, nested. */
export const Kitchen = defineSchema({
  a: t.u8(),
  b: t.u16(),
  c: t.u32(),
  d: t.uint(),
  e: t.u64(),
  f: t.bool(),
  g: t.bytes({ max: 64 }),
  h: t.bytes({ length: 0 }),
  i: t.string({ max: 40 }),
  j: t.address(),
  k: t.list(Inner, { max: 5 }),
  l: t.optional(t.u64()),
  m: t.optional(Inner),
  n: t.list(t.list(t.u8(), { max: 3 }), { max: 3 }),
});
export type Kitchen = Infer<typeof Kitchen>;

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');
const wellFormed = (s: string): boolean => !/\p{Cs}/u.test(s);

export const u32Arb = fc.bigInt({ min: 0n, max: 0xffff_ffffn }).map(Number);
export const u64Arb = fc.oneof(
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.constantFrom(0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, (1n << 53n) - 1n, (1n << 63n) - 1n, 1n << 63n, U64_MAX),
);
export const uintArb = fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 0xffff_ffff, 2 ** 32, Number.MAX_SAFE_INTEGER));

/** Text of at most `max` UTF-8 bytes, including the exact maximum and non-ASCII. */
export function stringArb(max: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: max }),
      fc.string({ unit: 'grapheme', maxLength: max }),
      fc.constant('x'.repeat(max)),
      fc.constant('é'.repeat(Math.floor(max / 2))),
    )
    .filter((s) => byteLength(s) <= max && wellFormed(s));
}

/** IPv6 text in the canonical form node:net produces. */
export function canonicalIpv6(host: string): string {
  return new SocketAddress({ address: host, family: 'ipv6' }).address;
}

export const ipv6BytesArb = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  // Many zero groups, to exercise :: compression and the embedded IPv4 forms.
  fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0x1234), { minLength: 8, maxLength: 8 }).map((words) => {
    const b = new Uint8Array(16);
    words.forEach((w, i) => {
      b[2 * i] = w >> 8;
      b[2 * i + 1] = w & 0xff;
    });
    return b;
  }),
);

export const addressArb: fc.Arbitrary<Address> = fc.record({
  host: fc.oneof(
    fc.ipV4(),
    fc.ipV6().map(canonicalIpv6),
    ipv6BytesArb.map((b) => bytesToIp(b)!),
    fc.constantFrom('0.0.0.0', '255.255.255.255', '::', '::1', '::ffff:1.2.3.4'),
  ),
  port: fc.integer({ min: 0, max: 65_535 }),
}, NO_NULL_PROTO);

export const innerArb = fc.record({
  key: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  n: fc.integer({ min: 0, max: 0xffff }),
  note: fc.option(stringArb(16), { nil: undefined }),
}, NO_NULL_PROTO);

export const kitchenArb: fc.Arbitrary<Kitchen> = fc.record({
  a: fc.integer({ min: 0, max: 255 }),
  b: fc.integer({ min: 0, max: 0xffff }),
  c: u32Arb,
  d: uintArb,
  e: u64Arb,
  f: fc.boolean(),
  g: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 64, maxLength: 64 })),
  h: fc.constant(new Uint8Array(0)),
  i: stringArb(40),
  j: addressArb,
  k: fc.array(innerArb, { maxLength: 5 }),
  l: fc.option(u64Arb, { nil: undefined }),
  m: fc.option(innerArb, { nil: undefined }),
  n: fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }), { maxLength: 3 }),
}, NO_NULL_PROTO);

/** Asserts (by returning false) that no Buffer or Uint8Array subclass hides anywhere in `value`. */
export function onlyPlainBytes(value: unknown): boolean {
  if (value instanceof Uint8Array) return Object.getPrototypeOf(value) === Uint8Array.prototype;
  if (Array.isArray(value)) return value.every(onlyPlainBytes);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(onlyPlainBytes);
  return true;
}

/** Mutations of a valid encoding: flip a bit, truncate, extend, overwrite a byte. */
export function mutatedArb(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.constantFrom('flip', 'truncate', 'extend', 'set'),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
    )
    .map(([bytes, op, pos, byte, extra]) => {
      const i = bytes.length === 0 ? 0 : pos % bytes.length;
      switch (op) {
        case 'flip': {
          const out = bytes.slice();
          out[i] = out[i]! ^ (1 << (byte % 8));
          return out;
        }
        case 'truncate':
          return bytes.slice(0, i);
        case 'extend':
          return concatBytes(bytes, extra);
        default: {
          const out = bytes.slice();
          out[i] = byte;
          return out;
        }
      }
    });
}

/** A py-ipv8 style public key binary: "LibNaCLPK:" + 32 (X25519, zero here) + 32 Ed25519 bytes. */
export function makeSigner(): Signer {
  const secret = ed25519.utils.randomSecretKey();
  const publicKeyBinary = concatBytes(utf8('LibNaCLPK:'), new Uint8Array(32), ed25519.getPublicKey(secret));
  return { publicKeyBinary, sign: (message) => ed25519.sign(message, secret) };
}

/** Verifies with the last 32 bytes of the public key binary as the Ed25519 key. */
export const verifyEd25519: SignatureVerifier = (publicKeyBinary, message, signature) =>
  publicKeyBinary.length >= 32 && ed25519.verify(signature, message, publicKeyBinary.subarray(publicKeyBinary.length - 32));
