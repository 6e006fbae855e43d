import { describe, expect, it } from 'vitest';
import { RELAY_OVERHEAD_BYTES, SeededRandom, defineMessage, defineSchema, encodePacket, makePrefix, readHeader, t } from '../../../framework/index.js';
import {
  RELAY_MAGIC,
  decodeRelay,
  encodeAllocated,
  encodeCookieMessage,
  encodeRefused,
  encodeWrapped,
  isRelayDatagram,
  wrapOverhead,
} from '../../../framework/relay/relay-wire.js';

describe('relay wire format', () => {
  it('round-trips every message type', () => {
    const cookie = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    expect(decodeRelay(encodeCookieMessage('allocate', 0xfedc_ba98, cookie))).toEqual({ type: 'allocate', requestId: 0xfedc_ba98, cookie });
    expect(decodeRelay(encodeCookieMessage('challenge', 5, cookie))).toEqual({ type: 'challenge', requestId: 5, cookie });
    expect(decodeRelay(encodeCookieMessage('release', 0, cookie))).toEqual({ type: 'release', cookie });
    expect(decodeRelay(encodeAllocated(9, 40_000, 60))).toEqual({ type: 'allocated', requestId: 9, port: 40_000, lifetimeSeconds: 60 });
    expect(decodeRelay(encodeRefused(9, 'ip-limit'))).toEqual({ type: 'refused', requestId: 9, reason: 'ip-limit' });
    expect(decodeRelay(encodeRefused(9, 'open-failed'))).toEqual({ type: 'refused', requestId: 9, reason: 'open-failed' });
    const v4 = { host: '198.18.3.4', port: 7_000 };
    const v6 = { host: '2001:db8::1', port: 65_535 };
    const payload = Uint8Array.of(0, 2, 9, 9);
    expect(decodeRelay(encodeWrapped('send', v4, payload)!)).toEqual({ type: 'send', peer: v4, payload });
    expect(decodeRelay(encodeWrapped('data', v6, payload)!)).toEqual({ type: 'data', peer: v6, payload });
    expect(encodeWrapped('data', { host: 'example.org', port: 1 }, payload)).toBeUndefined();
  });

  it('wrapping adds 12 bytes for an IPv4 peer and 24 (RELAY_OVERHEAD_BYTES) for an IPv6 peer', () => {
    const payload = new Uint8Array(1_400);
    expect(encodeWrapped('data', { host: '10.0.0.1', port: 1 }, payload)!.length).toBe(1_412);
    expect(encodeWrapped('data', { host: '::1', port: 1 }, payload)!.length).toBe(1_400 + RELAY_OVERHEAD_BYTES);
    expect(wrapOverhead({ host: '10.0.0.1', port: 1 })).toBe(12);
    expect(wrapOverhead({ host: '::1', port: 1 })).toBe(RELAY_OVERHEAD_BYTES);
  });

  it('answers are never larger than an ALLOCATE (25 bytes)', () => {
    const allocate = encodeCookieMessage('allocate', 1, new Uint8Array(16)).length;
    expect(allocate).toBe(25);
    expect(encodeCookieMessage('challenge', 1, new Uint8Array(16)).length).toBeLessThanOrEqual(allocate);
    expect(encodeAllocated(1, 1, 1).length).toBeLessThanOrEqual(allocate);
    expect(encodeRefused(1, 'full').length).toBeLessThanOrEqual(allocate);
  });

  it('no Peerlay or py-ipv8 packet is a relay datagram, and no relay datagram has a Peerlay header', () => {
    const spec = defineMessage({ id: 1, name: 'x', schema: defineSchema({ n: t.u8() }) });
    const packet = encodePacket(makePrefix(new Uint8Array(20).fill(0xf0)), spec, { n: 0xf0 });
    expect(packet[0]).toBe(0);
    expect(isRelayDatagram(packet)).toBe(false);
    const random = new SeededRandom(3);
    for (let i = 0; i < 200; i++) {
      const d = random.bytes(1 + random.int(60));
      d[0] = 0;
      expect(isRelayDatagram(d)).toBe(false);
    }
    expect(readHeader(encodeCookieMessage('allocate', 1, new Uint8Array(16)))).toBeUndefined();
    expect(RELAY_MAGIC[0]).toBe(0xf0);
  });

  it('decodes any byte string without throwing: malformed ones give undefined', () => {
    const random = new SeededRandom(4);
    let decoded = 0;
    for (let i = 0; i < 5_000; i++) {
      const d = Uint8Array.of(...RELAY_MAGIC, 1 + random.int(8), ...random.bytes(random.int(40)));
      if (decodeRelay(d) !== undefined) decoded++;
    }
    expect(decoded).toBeGreaterThan(0); // SEND/DATA with a valid family and port decode from random bytes
    expect(decodeRelay(Uint8Array.of(...RELAY_MAGIC, 6, 4, 1, 2, 3, 4, 0, 0))).toBeUndefined(); // port 0
    expect(decodeRelay(Uint8Array.of(...RELAY_MAGIC, 3, 0, 0, 0, 1, 0, 0, 0, 60))).toBeUndefined(); // port 0
    expect(decodeRelay(Uint8Array.of(...RELAY_MAGIC, 4, 0, 0, 0, 1, 9))).toBeUndefined(); // unknown reason
    expect(decodeRelay(Uint8Array.of(0xf0, 0x52, 0x4c))).toBeUndefined();
  });
});
