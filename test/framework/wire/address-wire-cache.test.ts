import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../../framework/wire/codec.js';
import { defineSchema, t } from '../../../framework/wire/schema.js';

const Ref = defineSchema({ at: t.address(), more: t.list(t.address(), { max: 8 }) });

describe('address encoding of frozen addresses (remembered per object)', () => {
  it('encodes a frozen address to the same bytes every time, as an equal unfrozen one', () => {
    const frozen = Object.freeze({ host: '192.0.2.7', port: 4000 });
    const plain = { host: '192.0.2.7', port: 4000 };
    const v6 = Object.freeze({ host: '2001:db8::1', port: 1 });
    const bytes = encodeBody(Ref, { at: plain, more: [plain, { host: '2001:db8::1', port: 1 }] });
    for (let i = 0; i < 3; i++) expect(encodeBody(Ref, { at: frozen, more: [frozen, v6] })).toEqual(bytes);
    const back = decodeBody(Ref, bytes);
    expect(back.ok && back.value.more).toEqual([plain, { host: '2001:db8::1', port: 1 }]);
  });

  it('an unfrozen address changed since is encoded as it is now', () => {
    const address = { host: '192.0.2.7', port: 4000 };
    const before = encodeBody(Ref, { at: address, more: [] });
    address.port = 4001;
    address.host = '192.0.2.8';
    const after = encodeBody(Ref, { at: address, more: [] });
    expect(after).not.toEqual(before);
    expect(after).toEqual(encodeBody(Ref, { at: { host: '192.0.2.8', port: 4001 }, more: [] }));
  });

  it('a frozen address that is not a literal IP or has a bad port is refused every time', () => {
    const named = Object.freeze({ host: 'example.org', port: 1 });
    const badPort = Object.freeze({ host: '192.0.2.7', port: 70_000 });
    for (let i = 0; i < 2; i++) {
      expect(() => encodeBody(Ref, { at: named, more: [] })).toThrow(/literal IPv4 or IPv6/);
      expect(() => encodeBody(Ref, { at: badPort, more: [] })).toThrow(/port/);
    }
  });
});
