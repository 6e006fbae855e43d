import { describe, expect, it } from 'vitest';
import { benchCrypto } from '../../../bench/micro-crypto.js';

describe('benchCrypto', () => {
  it('reports sign, verify and pairwise-tag rates for both backends', async () => {
    const results = await benchCrypto({ durationMs: 20 });
    expect(results.map((r) => `${r.name}/${r.backend}`)).toEqual([
      'sign/node',
      'verify/node',
      'agree/node',
      'tag/node',
      'check-tag/node',
      'sign/noble',
      'verify/noble',
      'agree/noble',
      'tag/noble',
      'check-tag/noble',
    ]);
    for (const r of results) {
      expect(Number.isFinite(r.opsPerSec)).toBe(true);
      expect(r.opsPerSec).toBeGreaterThan(0);
    }
  });
});
