import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAC_TAG_BYTES,
  PREFIX_BYTES,
  PROTOCOL_VERSION,
  SIGNATURE_BYTES,
  decodePacket,
  defineMessage,
  encodePacket,
  macEnvelopeBytes,
  makePrefix,
  readHeader,
  signedEnvelopeBytes,
  splitSignedEnvelope,
} from '../../../framework/wire/packet.js';
import { encodeBody } from '../../../framework/wire/codec.js';
import { defineSchema, t } from '../../../framework/wire/schema.js';
import { InvalidArgumentError, InvalidMessageError } from '../../../framework/errors.js';
import { fromHex, toHex } from '../../../framework/util/bytes.js';
import { Kitchen, kitchenArb, makeSigner, verifyEd25519 } from './fixtures.js';

const communityId = fromHex('8d0be1845d74d175f178197cad001591d04d73cc');
const prefix = makePrefix(communityId);
const Body = defineSchema({ identifier: t.u32(), data: t.bytes({ max: 100 }) });
const Ping = defineMessage({ id: 1, name: 'ping', schema: Body });
const SignedPing = defineMessage({ id: 2, name: 'signed-ping', schema: Body, signed: true });
const signer = makeSigner();
const value = { identifier: 0x1234, data: new Uint8Array([1, 2, 3]) };

describe('prefix and message specs', () => {
  it('makePrefix is 0x00, version, community id', () => {
    expect(toHex(prefix)).toBe(`0002${toHex(communityId)}`);
    expect(() => makePrefix(new Uint8Array(19))).toThrow(InvalidArgumentError);
  });
  it('defineMessage checks the id and defaults to unsigned', () => {
    expect(Ping.signed).toBe(false);
    expect(() => defineMessage({ id: 256, name: 'x', schema: Body })).toThrow(InvalidArgumentError);
    expect(() => defineMessage({ id: -1, name: 'x', schema: Body })).toThrow(InvalidArgumentError);
  });
});

describe('unsigned packets', () => {
  it('are prefix | id | body', () => {
    const packet = encodePacket(prefix, Ping, value);
    expect(toHex(packet)).toBe(`${toHex(prefix)}01${toHex(encodeBody(Body, value))}`);
    expect(readHeader(packet)).toStrictEqual({ prefix, messageId: 1 });
    expect(decodePacket(Ping, packet, verifyEd25519)).toStrictEqual({ ok: true, value, publicKeyBinary: undefined });
  });
  it('round trip every schema type', () => {
    const Msg = defineMessage({ id: 9, name: 'kitchen', schema: Kitchen });
    fc.assert(
      fc.property(kitchenArb, (v) => {
        expect(decodePacket(Msg, encodePacket(prefix, Msg, v), verifyEd25519)).toStrictEqual({ ok: true, value: v, publicKeyBinary: undefined });
      }),
      { numRuns: 200 },
    );
  });
});

describe('signed packets', () => {
  const packet = encodePacket(prefix, SignedPing, value, signer);
  it('are prefix | id | pk length | pk | body | signature over all before it', () => {
    const pk = signer.publicKeyBinary;
    const body = encodeBody(Body, value);
    expect(packet.length).toBe(PREFIX_BYTES + 1 + 2 + pk.length + body.length + SIGNATURE_BYTES);
    expect(toHex(packet.subarray(0, 25))).toBe(`${toHex(prefix)}02004a`);
    const env = splitSignedEnvelope(packet)!;
    expect(env.publicKeyBinary).toStrictEqual(pk);
    expect(env.body).toStrictEqual(body);
    expect(env.signedPart).toStrictEqual(packet.subarray(0, packet.length - 64));
    expect(verifyEd25519(pk, env.signedPart, env.signature)).toBe(true);
  });
  it('decode to the value and the sender key', () => {
    const r = decodePacket(SignedPing, packet, verifyEd25519);
    expect(r).toStrictEqual({ ok: true, value, publicKeyBinary: signer.publicKeyBinary });
    if (r.ok) expect(r.publicKeyBinary!.buffer).not.toBe(packet.buffer);
  });
  it('round trip every schema type', () => {
    const Msg = defineMessage({ id: 10, name: 'kitchen', schema: Kitchen, signed: true });
    fc.assert(
      fc.property(kitchenArb, (v) => {
        expect(decodePacket(Msg, encodePacket(prefix, Msg, v, signer), verifyEd25519)).toMatchObject({ ok: true, value: v });
      }),
      { numRuns: 50 },
    );
  });
  it('need a signer exactly when the message is signed', () => {
    expect(() => encodePacket(prefix, SignedPing, value)).toThrow(InvalidMessageError);
    expect(() => encodePacket(prefix, Ping, value, signer)).toThrow(InvalidMessageError);
    expect(() => encodePacket(new Uint8Array(21), Ping, value)).toThrow(InvalidArgumentError);
    expect(() => encodePacket(prefix, SignedPing, value, { ...signer, sign: () => new Uint8Array(63) })).toThrow(InvalidArgumentError);
  });
  it('encode rejects a bad body naming the field', () => {
    expect(() => encodePacket(prefix, Ping, { identifier: -1, data: new Uint8Array(0) })).toThrow(
      new InvalidMessageError('identifier: expected u32 (integer 0..4294967295), got -1'),
    );
  });
});

describe('decodePacket rejects', () => {
  const signed = encodePacket(prefix, SignedPing, value, signer);
  const unsigned = encodePacket(prefix, Ping, value);
  const withByte = (p: Uint8Array, i: number, b: number): Uint8Array => {
    const out = p.slice();
    out[i] = b;
    return out;
  };
  it('a wrong version byte', () => {
    expect(decodePacket(Ping, withByte(unsigned, 1, 0x03), verifyEd25519)).toStrictEqual({ ok: false, reason: 'unsupported protocol version 3' });
  });
  it('a wrong marker byte or a short packet', () => {
    expect(readHeader(withByte(unsigned, 0, 1))).toBeUndefined();
    expect(readHeader(unsigned.subarray(0, 22))).toBeUndefined();
    expect(decodePacket(Ping, unsigned.subarray(0, 22), verifyEd25519)).toMatchObject({ ok: false });
  });
  it('a wrong message id', () => {
    expect(decodePacket(SignedPing, unsigned, verifyEd25519)).toStrictEqual({ ok: false, reason: 'expected message id 2, got 1' });
  });
  it('a bad signature (one flipped bit anywhere) without parsing the body', () => {
    for (const i of [1 + PREFIX_BYTES, 30, signed.length - 70, signed.length - 1]) {
      const bad = withByte(signed, i, signed[i]! ^ 0x01);
      expect(decodePacket(SignedPing, bad, verifyEd25519)).toMatchObject({ ok: false });
    }
    const bodyBitFlip = withByte(signed, signed.length - 65, signed[signed.length - 65]! ^ 0x10);
    expect(decodePacket(SignedPing, bodyBitFlip, verifyEd25519)).toStrictEqual({ ok: false, reason: 'bad signature' });
  });
  it('a truncated signed packet', () => {
    for (const n of [23, 24, 25, 25 + 74, 25 + 74 + 63]) {
      expect(decodePacket(SignedPing, signed.subarray(0, n), verifyEd25519)).toMatchObject({ ok: false });
      if (n >= 25) expect(decodePacket(SignedPing, signed.subarray(0, n), verifyEd25519)).toStrictEqual({ ok: false, reason: 'truncated signed packet' });
    }
    expect(decodePacket(SignedPing, signed.subarray(0, signed.length - 1), verifyEd25519)).toStrictEqual({ ok: false, reason: 'bad signature' });
  });
  it('a valid signature over a body that does not fit the schema', () => {
    const Loose = defineMessage({ id: 2, name: 'loose', schema: defineSchema({ identifier: t.u32() }), signed: true });
    const p = encodePacket(prefix, Loose, { identifier: 1 }, signer);
    expect(decodePacket(SignedPing, p, verifyEd25519)).toStrictEqual({ ok: false, reason: 'body: expected array of 2 fields, got 1' });
  });
  it('trailing bytes after an unsigned body', () => {
    const p = Uint8Array.of(...unsigned, 0);
    expect(decodePacket(Ping, p, verifyEd25519)).toStrictEqual({ ok: false, reason: 'trailing bytes after the msgpack body' });
  });
});

describe('py-ipv8 known-answer envelope', () => {
  const vectors = JSON.parse(readFileSync(new URL('../../fixtures/ipv8-keys.json', import.meta.url), 'utf8')) as {
    keys: Array<{ public_key_bin: string }>;
    ipv8_dht: { prefix: string; community_id: string; ping_request_packet_identifier_0x1234: string };
  };
  const packet = fromHex(vectors.ipv8_dht.ping_request_packet_identifier_0x1234);

  it('has our prefix layout and message id 1', () => {
    expect(toHex(makePrefix(fromHex(vectors.ipv8_dht.community_id)))).toBe(vectors.ipv8_dht.prefix);
    const header = readHeader(packet)!;
    expect(toHex(header.prefix)).toBe(vectors.ipv8_dht.prefix);
    expect(header.prefix[1]).toBe(PROTOCOL_VERSION);
    expect(header.messageId).toBe(1);
  });
  it('splits into a 74-byte key, the body and a signature that verifies over every byte before it', () => {
    const env = splitSignedEnvelope(packet)!;
    expect(toHex(packet.subarray(23, 25))).toBe('004a');
    expect(env.publicKeyBinary.length).toBe(74);
    expect(toHex(env.publicKeyBinary)).toBe(vectors.keys[0]!.public_key_bin);
    expect(Buffer.from(env.publicKeyBinary.subarray(0, 10)).toString('latin1')).toBe('LibNaCLPK:');
    expect(toHex(env.body)).toBe('00001234');
    expect(env.signature.length).toBe(SIGNATURE_BYTES);
    expect(env.signedPart.length).toBe(packet.length - SIGNATURE_BYTES);
    expect(ed25519.verify(env.signature, env.signedPart, env.publicKeyBinary.subarray(42))).toBe(true);
    const flipped = packet.slice();
    flipped[100] = flipped[100]! ^ 1;
    const bad = splitSignedEnvelope(flipped)!;
    expect(ed25519.verify(bad.signature, bad.signedPart, bad.publicKeyBinary.subarray(42))).toBe(false);
  });
  it('passes the signature check in decodePacket (the py-ipv8 struct body is not msgpack)', () => {
    const Py = defineMessage({ id: 1, name: 'ping', schema: defineSchema({ identifier: t.u32() }), signed: true });
    const r = decodePacket(Py, packet, verifyEd25519);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).not.toBe('bad signature');
  });
});

describe('signedEnvelopeBytes', () => {
  it('is exactly what a signed packet adds around its body', () => {
    for (const [identifier, n] of [[0, 0], [1, 3], [70_000, 50], [2 ** 32 - 1, 100]] as const) {
      const v = { identifier, data: new Uint8Array(n) };
      const packet = encodePacket(prefix, SignedPing, v, signer);
      const body = encodeBody(Body, v);
      expect(packet.length).toBe(signedEnvelopeBytes(signer.publicKeyBinary.length) + body.length);
    }
  });
});

describe('tagged packets (a pairwise tag instead of a signature)', () => {
  const tagOf = (m: Uint8Array): Uint8Array => new Uint8Array(16).fill(m.length & 0xff);
  const mac = { tag: tagOf };
  const checkMac = (_pk: Uint8Array, m: Uint8Array, tag: Uint8Array): boolean => toHex(tag) === toHex(tagOf(m));
  const packet = encodePacket(prefix, SignedPing, value, signer, mac);

  it('set the top bit of the key length and end in a 16-byte tag over all before it', () => {
    const body = encodeBody(Body, value);
    expect(packet.length).toBe(macEnvelopeBytes(signer.publicKeyBinary.length) + body.length);
    expect(packet.length).toBe(signedEnvelopeBytes(signer.publicKeyBinary.length) + body.length - (SIGNATURE_BYTES - MAC_TAG_BYTES));
    expect(toHex(packet.subarray(0, 25))).toBe(`${toHex(prefix)}02804a`);
    const env = splitSignedEnvelope(packet)!;
    expect(env.mac).toBe(true);
    expect(env.publicKeyBinary).toStrictEqual(signer.publicKeyBinary);
    expect(env.body).toStrictEqual(body);
    expect(env.signature).toStrictEqual(tagOf(packet.subarray(0, packet.length - MAC_TAG_BYTES)));
    expect(splitSignedEnvelope(encodePacket(prefix, SignedPing, value, signer))!.mac).toBe(false);
  });
  it('decode with the tag checker, never with the signature verifier', () => {
    expect(decodePacket(SignedPing, packet, verifyEd25519, checkMac)).toStrictEqual({ ok: true, value, publicKeyBinary: signer.publicKeyBinary, tagged: true });
    expect(decodePacket(SignedPing, packet, () => true)).toStrictEqual({ ok: false, reason: 'bad mac: tagged packets are not accepted here' });
    const bad = packet.slice();
    bad[30] = bad[30]! ^ 1;
    expect(decodePacket(SignedPing, bad, () => true, () => false)).toStrictEqual({ ok: false, reason: 'bad mac' });
    expect(decodePacket(SignedPing, packet, () => true, () => { throw new Error('boom'); })).toStrictEqual({ ok: false, reason: 'bad mac' });
  });
  it('a deferred spec gets the parts to check later, marked as a tag', () => {
    const Deferred = defineMessage({ id: 2, name: 'deferred', schema: Body, signed: true, deferredVerify: true });
    const r = decodePacket(Deferred, packet, () => false, () => false);
    expect(r.ok && r.unverified).toStrictEqual({ signedPart: packet.subarray(0, packet.length - 16), signature: tagOf(packet.subarray(0, packet.length - 16)), mac: true });
  });
  it('a truncated tagged packet, and a mac of the wrong length', () => {
    for (const n of [40, 25 + 74, 25 + 74 + 15]) {
      expect(decodePacket(SignedPing, packet.subarray(0, n), verifyEd25519, checkMac)).toStrictEqual({ ok: false, reason: 'truncated signed packet' });
    }
    expect(() => encodePacket(prefix, SignedPing, value, signer, { tag: () => new Uint8Array(32) })).toThrow(InvalidArgumentError);
  });
});
