import { isIP, SocketAddress } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToIp, ipToBytes } from '../../../framework/wire/ip.js';
import { toHex } from '../../../framework/util/bytes.js';
import { ipv6BytesArb } from './fixtures.js';

describe('IP text and bytes', () => {
  it('formats IPv6 exactly like node:net (inet_ntop)', () => {
    fc.assert(
      fc.property(ipv6BytesArb, (b) => {
        const text = bytesToIp(b)!;
        expect(text).toBe(new SocketAddress({ address: text, family: 'ipv6' }).address);
        expect(ipToBytes(text)).toStrictEqual(b);
      }),
      { numRuns: 500 },
    );
  });
  it('parses any IPv6 text fast-check generates to the bytes node:net agrees with', () => {
    fc.assert(
      fc.property(fc.ipV6(), (host) => {
        const b = ipToBytes(host)!;
        expect(bytesToIp(b)).toBe(new SocketAddress({ address: host, family: 'ipv6' }).address);
      }),
      { numRuns: 500 },
    );
  });
  it('round-trips IPv4', () => {
    fc.assert(fc.property(fc.ipV4(), (host) => {
      expect(bytesToIp(ipToBytes(host)!)).toBe(host);
    }), { numRuns: 200 });
  });
  it('handles the special forms', () => {
    const cases: Array<[string, string, string]> = [
      ['::', '00000000000000000000000000000000', '::'],
      ['::1', '00000000000000000000000000000001', '::1'],
      ['1::', '00010000000000000000000000000000', '1::'],
      ['::ffff:1.2.3.4', '00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
      ['::ffff:0102:0304', '00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
      ['1:0:0:2:0:0:0:3', '00010000000000020000000000000003', '1:0:0:2::3'],
      ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
      ['1:2:3:4:5:6:7:0', '00010002000300040005000600070000', '1:2:3:4:5:6:7:0'],
    ];
    for (const [text, hex, canonical] of cases) {
      expect(toHex(ipToBytes(text)!)).toBe(hex);
      expect(bytesToIp(ipToBytes(text)!)).toBe(canonical);
    }
  });
  it('rejects names, zone ids and wrong lengths', () => {
    expect(ipToBytes('localhost')).toBeUndefined();
    expect(ipToBytes('fe80::1%eth0')).toBeUndefined();
    expect(ipToBytes('1.2.3.04')).toBeUndefined();
    expect(bytesToIp(new Uint8Array(5))).toBeUndefined();
  });

  it('reads a dotted quad exactly when node:net calls it IPv4, to the same bytes', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('', '00', '01', '007', '255', '256', '1a', ' 1', '-1'));
    const quadLike = fc.array(part, { minLength: 2, maxLength: 6 }).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(fc.oneof(quadLike, fc.string({ maxLength: 16 })), (text) => {
        const bytes = ipToBytes(text);
        if (isIP(text) !== 4) {
          if (isIP(text) === 0) expect(bytes).toBeUndefined();
          return;
        }
        expect(bytes !== undefined && [...bytes].join('.')).toBe(text);
      }),
      { numRuns: 3_000 },
    );
  });
});
