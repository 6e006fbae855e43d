import { describe, expect, it } from 'vitest';
import { PeerTokens } from '../../../communities/dht/peer-tokens.js';
import { toHex } from '../../../framework/util/bytes.js';

describe('PeerTokens', () => {
  it('keeps a copy of each token, every byte value intact', () => {
    const tokens = new PeerTokens();
    const packet = Uint8Array.from({ length: 256 }, (_, i) => i);
    tokens.remember('aa', packet.subarray(0x7c, 0x84)); // a view into a larger buffer
    tokens.remember('bb', packet);
    packet.fill(0);
    expect(toHex(tokens.get('aa')!)).toBe('7c7d7e7f80818283');
    expect(tokens.get('bb')!.length).toBe(256);
    expect(tokens.get('bb')![255]).toBe(255);
    expect(tokens.get('cc')).toBeUndefined();
  });

  it('remembers the latest token per node and at most its capacity, least recently updated out first', () => {
    const tokens = new PeerTokens(2);
    tokens.remember('a', Uint8Array.of(1));
    tokens.remember('b', Uint8Array.of(2));
    tokens.remember('a', Uint8Array.of(3));
    tokens.remember('c', Uint8Array.of(4));
    expect(tokens.size).toBe(2);
    expect([tokens.get('a'), tokens.get('b'), tokens.get('c')]).toEqual([Uint8Array.of(3), undefined, Uint8Array.of(4)]);
  });
});
