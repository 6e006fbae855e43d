import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PrivateKey, PublicKey } from '../../../framework/crypto/keys.js';
import { fromHex, toHex } from '../../../framework/util/bytes.js';
import { decodeIpv8Packet, encodeIpv8Packet } from '../../../framework/wire/struct/index.js';
import type { Ipv8MessageSpec } from '../../../framework/wire/struct/index.js';
import * as M from '../../../communities/ipv8/messages.js';
import { ipv8NodeId } from '../../../communities/ipv8/node-id.js';
import { IPV8_MAX_SIGNED_DATA_BYTES, parseIpv8Value, serializeIpv8Value } from '../../../communities/ipv8/values.js';
import { IPV8_DHT_COMMUNITY_ID } from '../../../communities/ipv8/community-ids.js';

interface PacketFixture {
  name: string;
  message_id: number;
  signed: boolean;
  global_time: boolean;
  fields: Record<string, unknown>;
  hex: string;
}
interface Fixtures {
  community_id: string;
  prefix: string;
  sender_public_key_bin: string;
  packets: PacketFixture[];
  values: Array<{ data: string; signed: boolean; version?: number; public_key_bin?: string; hex: string }>;
  node_ids: Array<{ address: { host: string; port: number }; mid: string; node_id: string }>;
}

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/ipv8-packets.json', import.meta.url), 'utf8')) as Fixtures;
const keys = JSON.parse(readFileSync(new URL('../../fixtures/ipv8-keys.json', import.meta.url), 'utf8')) as { keys: Array<{ private_key_bin: string }> };
const key = PrivateKey.fromBinary(fromHex(keys.keys[0]!.private_key_bin));
const signer = { publicKeyBinary: key.publicKey.toBinary(), sign: (m: Uint8Array): Uint8Array => key.sign(m) };
const verify = (bin: Uint8Array, m: Uint8Array, sig: Uint8Array): boolean => PublicKey.fromBinary(bin).verify(m, sig);
const prefix = fromHex(fixtures.prefix);

const SPECS: Record<string, Ipv8MessageSpec<unknown>> = {
  'introduction-request': M.IntroductionRequest,
  'new-introduction-request': M.NewIntroductionRequest,
  'new-introduction-request-ipv6': M.NewIntroductionRequest,
  'introduction-response': M.IntroductionResponse,
  'new-introduction-response': M.NewIntroductionResponse,
  puncture: M.Puncture,
  'new-puncture': M.NewPuncture,
  'puncture-request': M.PunctureRequest,
  'new-puncture-request': M.NewPunctureRequest,
  'ping-request': M.PingRequest,
  'ping-response': M.PingResponse,
  'store-request': M.StoreRequest,
  'store-response': M.StoreResponse,
  'find-request': M.FindRequest,
  'find-response-values': M.FindResponse,
  'find-response-nodes': M.FindResponse,
  'store-peer-request': M.StorePeerRequest,
  'store-peer-response': M.StorePeerResponse,
  'connect-peer-request': M.ConnectPeerRequest,
  'connect-peer-response': M.ConnectPeerResponse,
} as Record<string, Ipv8MessageSpec<unknown>>;

/** The fixture's field values in this side's form (hex strings to bytes, snake_case to camelCase). */
function expected(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(fields)) {
    if (name === 'global_time') continue;
    const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[camel === 'forceNodes' ? camel : camel] = convert(name, v);
  }
  return out;
}
function convert(name: string, v: unknown): unknown {
  if (typeof v === 'string') return fromHex(v);
  if (Array.isArray(v)) return v.map((x) => convert(name, x));
  if (typeof v === 'object' && v !== null && 'public_key' in v) {
    const n = v as { address: unknown; public_key: string };
    return { address: n.address, publicKey: fromHex(n.public_key) };
  }
  return v;
}

describe('py-ipv8 known-answer packets (test/fixtures/ipv8-packets.json)', () => {
  it('the fixtures are py-ipv8 DHT community packets from key 0 of ipv8-keys.json', () => {
    expect(fixtures.community_id).toBe(toHex(IPV8_DHT_COMMUNITY_ID));
    expect(fixtures.sender_public_key_bin).toBe(toHex(key.publicKey.toBinary()));
    expect(fixtures.packets).toHaveLength(20);
  });

  for (const f of fixtures.packets) {
    it(`${f.name} (${f.message_id}) decodes to py-ipv8's fields and re-encodes byte for byte`, () => {
      const spec = SPECS[f.name]!;
      expect(spec.id).toBe(f.message_id);
      expect(spec.signed).toBe(f.signed);
      expect(spec.globalTime).toBe(f.global_time);
      const bytes = fromHex(f.hex);
      const r = decodeIpv8Packet(spec, bytes, verify);
      if (!r.ok) throw new Error(r.reason);
      expect(r.value.value).toMatchObject(expected(f.fields));
      if (f.signed) expect(toHex(r.value.publicKeyBinary!)).toBe(fixtures.sender_public_key_bin);
      if (f.global_time) expect(r.value.globalTime).toBe(BigInt(f.fields['global_time'] as number));
      const again = encodeIpv8Packet(prefix, spec, r.value.value, f.signed ? signer : undefined, r.value.globalTime);
      expect(toHex(again)).toBe(f.hex);
    });
  }

  it('a flipped bit anywhere in a signed packet, a truncation or a trailing byte is refused', () => {
    for (const f of fixtures.packets) {
      const spec = SPECS[f.name]!;
      const bytes = fromHex(f.hex);
      for (const cut of [1, 10, 64, 65]) {
        expect(decodeIpv8Packet(spec, bytes.subarray(0, bytes.length - cut), verify).ok).toBe(false);
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      if (!f.signed) expect(decodeIpv8Packet(spec, longer, verify).ok).toBe(false);
      if (f.signed) {
        for (const at of [23, 30, bytes.length - 70, bytes.length - 1]) {
          const bad = bytes.slice();
          bad[at]! ^= 0x01;
          expect(decodeIpv8Packet(spec, bad, verify).ok).toBe(false);
        }
      }
    }
  });

  it('the old introduction request flags: advice set, everything else clear (py-ipv8 walk_to)', () => {
    const r = decodeIpv8Packet(M.IntroductionRequest, fromHex(fixtures.packets[0]!.hex), verify);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.value.flags).toEqual([false, false, false, false, false, false, false, true]);
  });

  it('an ip_address of type 2 (domain name) is refused, as py-ipv8 ip_only does', () => {
    const f = fixtures.packets.find((p) => p.name === 'new-puncture-request')!;
    const bytes = fromHex(f.hex);
    expect(bytes[31]).toBe(1);
    bytes[31] = 2;
    const r = decodeIpv8Packet(M.NewPunctureRequest, bytes, verify);
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('lanWalkerAddress: expected address type 1 or 3, got 2') as unknown });
  });
});

describe('py-ipv8 DHT values', () => {
  it('an unsigned value parses and re-serializes byte for byte', () => {
    const v = fixtures.values[0]!;
    const parsed = parseIpv8Value(fromHex(v.hex))!;
    expect(toHex(parsed.data)).toBe(v.data);
    expect(parsed.publicKey).toBeUndefined();
    expect(toHex(serializeIpv8Value(parsed.data))).toBe(v.hex);
  });

  it("a signed value's signature verifies here, and signing it here gives py-ipv8's bytes", () => {
    const v = fixtures.values[1]!;
    const parsed = parseIpv8Value(fromHex(v.hex))!;
    expect(toHex(parsed.data)).toBe(v.data);
    expect(parsed.version).toBe(v.version);
    expect(toHex(parsed.publicKey!)).toBe(v.public_key_bin);
    expect(toHex(serializeIpv8Value(parsed.data, { key, version: v.version! }))).toBe(v.hex);
  });

  it('a tampered signed value is refused; a value over 170 bytes is refused both ways', () => {
    const bad = fromHex(fixtures.values[1]!.hex);
    bad[5]! ^= 1;
    expect(parseIpv8Value(bad)).toBeUndefined();
    expect(parseIpv8Value(new Uint8Array(171))).toBeUndefined();
    expect(parseIpv8Value(new Uint8Array([7, 1, 2]))).toBeUndefined();
    expect(serializeIpv8Value(new Uint8Array(IPV8_MAX_SIGNED_DATA_BYTES), { key, version: 1 })).toHaveLength(170);
    expect(() => serializeIpv8Value(new Uint8Array(IPV8_MAX_SIGNED_DATA_BYTES + 1), { key, version: 1 })).toThrow(/at most 170 bytes/);
    expect(serializeIpv8Value(new Uint8Array(169))).toHaveLength(170);
    expect(() => serializeIpv8Value(new Uint8Array(170))).toThrow(/at most 170 bytes/);
  });
});

describe('py-ipv8 node ids (calc_node_id)', () => {
  for (const n of fixtures.node_ids) {
    it(`${n.address.host} gives py-ipv8's id`, () => {
      expect(toHex(ipv8NodeId(n.address, fromHex(n.mid)))).toBe(n.node_id);
    });
  }
});
