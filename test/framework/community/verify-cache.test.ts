import { describe, expect, it } from 'vitest';
import { PrivateKey, PublicKeyCache, SeededRandom, utf8 } from '../../../framework/index.js';

describe('PublicKeyCache.verifyCached', () => {
  it('memoises valid signatures only, and never for a different message or signature', () => {
    const key = PrivateKey.generate(new SeededRandom(9));
    const cache = new PublicKeyCache(16);
    const pk = cache.get(key.publicKey.toBinary())!;
    const msg = utf8('a stored value');
    const sig = key.sign(msg);
    expect(cache.verifyCached(pk, msg, sig)).toBe(true);
    expect(cache.verifiedHits).toBe(0);
    expect(cache.verifyCached(pk, msg, sig)).toBe(true);
    expect(cache.verifiedHits).toBe(1);
    expect(cache.verifyCached(pk, utf8('a stored valuf'), sig)).toBe(false);
    const bad = sig.slice();
    bad[10]! ^= 1;
    expect(cache.verifyCached(pk, msg, bad)).toBe(false);
    expect(cache.verifyCached(pk, msg, bad)).toBe(false);
    expect(cache.verifiedHits).toBe(1);
  });
});
