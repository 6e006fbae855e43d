/** Untrusted input never makes a decoder throw: random bytes and mutated valid encodings. */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../../framework/wire/codec.js';
import type { DecodeResult } from '../../../framework/wire/codec.js';
import { decodePacket, defineMessage, encodePacket, makePrefix } from '../../../framework/wire/packet.js';
import type { DecodedPacket } from '../../../framework/wire/packet.js';
import type { Schema } from '../../../framework/wire/schema.js';
import { Kitchen, kitchenArb, makeSigner, mutatedArb, onlyPlainBytes, verifyEd25519 } from './fixtures.js';

const RUNS = { numRuns: 400 };
const prefix = makePrefix(new Uint8Array(20).fill(7));
const Unsigned = defineMessage({ id: 3, name: 'kitchen', schema: Kitchen });
const Signed = defineMessage({ id: 4, name: 'kitchen-signed', schema: Kitchen, signed: true });
const signer = makeSigner();
const alwaysValid = (): boolean => true;

/** A decode result is well-formed; an accepted value fits the schema and survives a second round trip. */
function checkResult<T>(schema: Schema<T>, r: DecodeResult<T> | DecodedPacket<T>): void {
  expect(typeof r.ok).toBe('boolean');
  if (r.ok) {
    expect(onlyPlainBytes(r.value)).toBe(true);
    const again = decodeBody(schema, encodeBody(schema, r.value));
    expect(again).toStrictEqual({ ok: true, value: r.value });
  } else {
    expect(typeof r.reason).toBe('string');
    expect(r.reason.length).toBeGreaterThan(0);
  }
}

const validBody = kitchenArb.map((v) => encodeBody(Kitchen, v));

/** Generic msgpack built from arbitrary JS values, some of which are close to the Kitchen shape. */
const anyMsgpack = fc
  .anything({ withBigInt: true, withTypedArray: true, withNullPrototype: true, withMap: true, withSet: true })
  .map((v) => {
    try {
      return new Uint8Array(new Packr({ useRecords: false, moreTypes: true }).pack(v));
    } catch {
      return new Uint8Array([0xc1]);
    }
  });

describe('decodeBody never throws', () => {
  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => checkResult(Kitchen, decodeBody(Kitchen, b))), RUNS);
  });
  it('on random bytes behind a valid array header', () => {
    const arb = fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.of(0x9e, ...b));
    fc.assert(fc.property(arb, (b) => checkResult(Kitchen, decodeBody(Kitchen, b))), RUNS);
  });
  it('on arbitrary msgpack values, extensions included', () => {
    fc.assert(fc.property(anyMsgpack, (b) => checkResult(Kitchen, decodeBody(Kitchen, b))), RUNS);
  });
  it('on msgpackr record definitions, bundled strings and other extensions', () => {
    const samples = [
      [0xd4, 0x72, 0x40],
      [0xd5, 0x72, 0x40, 0x91],
      [0xd6, 0x62, 0, 0, 0, 9],
      [0xd6, 0x78, 0xa1, 0x28, 0xa0, 0xa0],
      [0xc7, 2, 0x74, 1, 2],
      [0xd4, 0x70, 0],
      [0xd6, 0xff, 0, 0, 0, 0],
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61],
    ];
    for (const s of samples) checkResult(Kitchen, decodeBody(Kitchen, new Uint8Array(s)));
  });
  it('on mutated valid encodings', () => {
    fc.assert(fc.property(mutatedArb(validBody), (b) => checkResult(Kitchen, decodeBody(Kitchen, b))), RUNS);
  });
  it('on values that are not Uint8Arrays', () => {
    for (const x of [undefined, null, 'abc', [1, 2], new ArrayBuffer(4)]) {
      expect(decodeBody(Kitchen, x as unknown as Uint8Array)).toMatchObject({ ok: false });
    }
  });
});

describe('decodePacket never throws', () => {
  it('on random bytes, with and without the prefix', () => {
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.of(...prefix, 3, ...b)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.of(...prefix, 4, 0, 74, ...b)),
    );
    fc.assert(
      fc.property(arb, (b) => {
        checkResult(Kitchen, decodePacket(Unsigned, b, verifyEd25519));
        checkResult(Kitchen, decodePacket(Signed, b, alwaysValid));
      }),
      RUNS,
    );
  });
  it('on mutated unsigned packets', () => {
    const arb = mutatedArb(kitchenArb.map((v) => encodePacket(prefix, Unsigned, v)));
    fc.assert(fc.property(arb, (b) => checkResult(Kitchen, decodePacket(Unsigned, b, verifyEd25519))), RUNS);
  });
  it('on mutated signed packets, with a real and with an accept-all verifier', () => {
    const arb = mutatedArb(kitchenArb.map((v) => encodePacket(prefix, Signed, v, signer)));
    fc.assert(
      fc.property(arb, (b) => {
        const real = decodePacket(Signed, b, verifyEd25519);
        checkResult(Kitchen, real);
        checkResult(Kitchen, decodePacket(Signed, b, alwaysValid));
        if (real.ok) expect(real.publicKeyBinary).toStrictEqual(signer.publicKeyBinary);
      }),
      { numRuns: 150 },
    );
  });
  it('when the verifier throws', () => {
    const packet = encodePacket(prefix, Signed, fc.sample(kitchenArb, 1)[0]!, signer);
    const throwing = (): boolean => {
      throw new Error('bad key');
    };
    expect(decodePacket(Signed, packet, throwing)).toStrictEqual({ ok: false, reason: 'bad signature' });
  });
});
