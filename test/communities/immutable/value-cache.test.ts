/**
 * The immutable value cache's bounds: most values, most bytes, most age, and never past the value's expiry
 * on the network (a cached copy must not answer for a value every storer has dropped).
 */
import { describe, expect, it } from 'vitest';
import { ImmutableValueCache } from '../../../communities/immutable/value-cache.js';

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

describe('ImmutableValueCache', () => {
  it('answers until maxAgeMs, or until the expiry the storers reported when that comes first', () => {
    const cache = new ImmutableValueCache({ maxEntries: 8, maxBytes: 1_000, maxAgeMs: 600_000 });
    cache.put('aa', bytes(10), 0); // no expiry known: maxAgeMs
    cache.put('bb', bytes(10), 0, 60_000); // the network drops it at 60 s
    expect(cache.get('bb', 59_999)).toEqual(bytes(10));
    expect(cache.get('bb', 60_000)).toBeUndefined();
    expect(cache.get('aa', 599_999)).toEqual(bytes(10));
    expect(cache.get('aa', 600_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect([cache.hits, cache.misses]).toEqual([2, 2]);
  });

  it('keeps nothing already expired, and evicts the least recently used beyond the entry and byte limits', () => {
    const cache = new ImmutableValueCache({ maxEntries: 2, maxBytes: 25, maxAgeMs: 600_000 });
    cache.put('old', bytes(5), 1_000, 1_000);
    expect(cache.size).toBe(0);
    cache.put('a', bytes(10, 1), 0);
    cache.put('b', bytes(10, 2), 0);
    expect(cache.get('a', 1)).toEqual(bytes(10, 1)); // a is now the most recent
    cache.put('c', bytes(10, 3), 0); // three entries: b (least recent) goes
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toEqual(bytes(10, 1));
    cache.put('d', bytes(20, 4), 0); // 40 bytes: c, then a go
    expect(cache.size).toBe(1);
    expect(cache.get('d', 1)).toEqual(bytes(20, 4));
  });
});
