import { describe, expect, it } from 'vitest';
import { decodePacket, defineMessage, encodePacket, makePrefix, splitSignedEnvelope } from '../../../framework/wire/packet.js';
import type { DecodedPacket, MessageSpec } from '../../../framework/wire/packet.js';
import { decodeBody } from '../../../framework/wire/codec.js';
import { defineSchema, t } from '../../../framework/wire/schema.js';
import { fromHex, toHex } from '../../../framework/util/bytes.js';
import { makeSigner, verifyEd25519 } from './fixtures.js';

const prefix = makePrefix(fromHex('8d0be1845d74d175f178197cad001591d04d73cc'));
const Body = defineSchema({ identifier: t.u32(), data: t.bytes({ max: 100 }) });
const Signed = defineMessage({ id: 2, name: 'signed', schema: Body, signed: true });
const Deferred = defineMessage({ id: 2, name: 'deferred', schema: Body, signed: true, deferredVerify: true });
const signer = makeSigner();
const value = { identifier: 7, data: new Uint8Array([1, 2, 3]) };
const tagOf = (m: Uint8Array): Uint8Array => new Uint8Array(16).fill(m.length & 0xff);
const checkMac = (_pk: Uint8Array, m: Uint8Array, tag: Uint8Array): boolean => toHex(tag) === toHex(tagOf(m));

/** decodePacket of a signed spec as written on splitSignedEnvelope (the code before the offsets). */
function reference<T>(spec: MessageSpec<T>, data: Uint8Array): DecodedPacket<T> {
  if (data.length < 23 || data[0] !== 0) return { ok: false, reason: 'not a packet: too short or bad marker byte' };
  if (data[1] !== prefix[1]) return { ok: false, reason: `unsupported protocol version ${data[1]}` };
  if (data[22] !== spec.id) return { ok: false, reason: `expected message id ${spec.id}, got ${data[22]}` };
  const env = splitSignedEnvelope(data);
  if (env === undefined) return { ok: false, reason: 'truncated signed packet' };
  if (spec.deferredVerify) {
    const r = decodeBody(spec.schema, env.body);
    if (!r.ok) return r;
    const unverified = { signedPart: env.signedPart.slice(), signature: env.signature.slice(), mac: env.mac };
    return { ok: true, value: r.value, publicKeyBinary: env.publicKeyBinary.slice(), unverified };
  }
  const valid = env.mac ? checkMac(env.publicKeyBinary, env.signedPart, env.signature) : verifyEd25519(env.publicKeyBinary, env.signedPart, env.signature);
  if (!valid) return { ok: false, reason: env.mac ? 'bad mac' : 'bad signature' };
  const r = decodeBody(spec.schema, env.body);
  if (!r.ok) return r;
  return env.mac ? { ok: true, value: r.value, publicKeyBinary: env.publicKeyBinary.slice(), tagged: true } : { ok: true, value: r.value, publicKeyBinary: env.publicKeyBinary.slice() };
}

describe('decodePacket on offsets', () => {
  const packets = [encodePacket(prefix, Signed, value, signer), encodePacket(prefix, Signed, value, signer, { tag: tagOf })];

  it('gives what the envelope split gave, for every truncation and every changed byte of the header and key length', () => {
    let cases = 0;
    for (const spec of [Signed, Deferred]) {
      for (const packet of packets) {
        for (let n = 0; n <= packet.length; n++) {
          expect(decodePacket(spec, packet.subarray(0, n), verifyEd25519, checkMac)).toStrictEqual(reference(spec, packet.subarray(0, n)));
          cases++;
        }
        for (let at = 0; at < 25; at++) {
          for (const flip of [0x01, 0x80, 0xff]) {
            const changed = packet.slice();
            changed[at] = changed[at]! ^ flip;
            expect(decodePacket(spec, changed, verifyEd25519, checkMac)).toStrictEqual(reference(spec, changed));
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(888);
  });

  it('a deferred spec gets copies (plain Uint8Arrays, also from a Buffer) that later changes to the packet do not reach', () => {
    for (const packet of packets) {
      const data = Buffer.from(packet);
      const r = decodePacket(Deferred, data, verifyEd25519, checkMac);
      if (!r.ok || r.unverified === undefined) throw new Error('expected a deferred packet');
      const kept = [r.publicKeyBinary!, r.unverified.signedPart, r.unverified.signature];
      const before = kept.map((b) => toHex(b));
      data.fill(0);
      expect(kept.map((b) => toHex(b))).toEqual(before);
      for (const b of kept) expect(Buffer.isBuffer(b)).toBe(false);
    }
  });
});
