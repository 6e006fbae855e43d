import { describe, expect, it } from 'vitest';
import { SHARED_KEY_GENERATION, shareKeys, sharedKey, sharingKeys } from '../../../framework/util/shared-key.js';

describe('sharedKey', () => {
  it('is off until shareKeys() (a node alone pays no table lookup per packet), then stays on', () => {
    expect(sharingKeys()).toBe(false);
    expect(sharedKey('127.0.0.1:9')).toBe('127.0.0.1:9');
    shareKeys();
    shareKeys();
    expect(sharingKeys()).toBe(true);
  });

  it('gives a string equal to the key, for keys met once, again, and again after the table has turned over twice', () => {
    const key = (i: number): string => `198.18.${i >> 8}.${i & 255}:${7000 + (i % 7)}`;
    const total = 2 * SHARED_KEY_GENERATION + 100;
    const wrong: number[] = [];
    for (let i = 0; i < total; i++) if (sharedKey(key(i)) !== key(i)) wrong.push(i);
    for (let i = 0; i < total; i += 97) if (sharedKey(key(i)) !== key(i)) wrong.push(i);
    expect(wrong).toEqual([]);
    expect(sharedKey('')).toBe('');
    expect(sharedKey('0604ced85f51d207948014d390b2e0f97efa2ed5')).toBe('0604ced85f51d207948014d390b2e0f97efa2ed5');
  });
});
