import { describe, expect, it } from 'vitest';
import { PrivateKey } from '../../../framework/crypto/keys.js';
import { PairKeys } from '../../../framework/crypto/pair-keys.js';
import { SeededRandom } from '../../../framework/random/random.js';

const keys = (seed: number): PrivateKey => PrivateKey.generate(new SeededRandom(seed));
const message = new Uint8Array([1, 2, 3]);

describe('PairKeys: recency with a peer used several times in a row', () => {
  it('a peer used twice in a row stays the most recent; the least recently used is the one forgotten', () => {
    const me = keys(20);
    const pairs = new PairKeys(me, { capacity: 3 });
    const [x, y, z, w, v] = [keys(21), keys(22), keys(23), keys(24), keys(25)];
    const tagFrom = (peer: PrivateKey) => new PairKeys(peer).macFor(me.publicKey)!.tag(message);
    pairs.macFor(x.publicKey);
    pairs.macFor(y.publicKey);
    pairs.macFor(z.publicKey);
    // x: a request's check then its answer's tag, twice over; then y once.
    expect(pairs.check(x.publicKey, message, tagFrom(x))).toBe(true);
    pairs.macFor(x.publicKey);
    pairs.macFor(x.publicKey);
    pairs.macFor(y.publicKey);
    pairs.macFor(w.publicKey); // forgets z, the least recently used
    expect([x, y, z, w].map((k) => pairs.has(k.publicKey))).toEqual([true, true, false, true]);
    pairs.macFor(v.publicKey); // forgets x (y and w were used after it)
    expect([x, y, w, v].map((k) => pairs.has(k.publicKey))).toEqual([false, true, true, true]);
    expect(pairs.stats.agreements).toBe(5);
    pairs.clear();
    pairs.macFor(v.publicKey); // after clear, the same peer first again: derived and held
    expect(pairs.has(v.publicKey)).toBe(true);
    expect(pairs.size).toBe(1);
  });
});
