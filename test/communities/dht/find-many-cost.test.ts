/**
 * What the multi-key find saves, at a size a test affords (`bench/find-many.ts`, the `find-many` benchmark):
 * three copies of one in-memory network, 12 keys found by single finds, by findMany with one key a request,
 * and by findMany with multi-key requests; deterministic for the seed (at this commit: 72 datagrams and
 * 30,654 bytes single, the same with one key a request, 46 and 22,305 with 9 multi-key requests).
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { measureFindMany } from '../../../bench/find-many.js';

describe('multi-key find cost', () => {
  it('12 keys on 20 nodes: the same values, and fewer datagrams and bytes than with one key a request and than single finds', async () => {
    const r = await measureFindMany({ nodes: 20, keys: 12, seed: 4 });
    expect(r.same).toBe(true);
    expect([r.single.ok, r.oneKeyPerRequest.ok, r.multiKey.ok]).toEqual([12, 12, 12]);
    const datagrams = (a: { sent: number; received: number }): number => a.sent + a.received;
    expect(r.multiKey.multiKeyRequests).toBeGreaterThan(0);
    expect(r.oneKeyPerRequest.multiKeyRequests).toBe(0);
    expect(datagrams(r.multiKey)).toBeLessThan(0.8 * datagrams(r.oneKeyPerRequest));
    expect(datagrams(r.multiKey)).toBeLessThan(0.7 * datagrams(r.single));
    expect(r.multiKey.bytes).toBeLessThan(r.oneKeyPerRequest.bytes);
  }, 60_000);
});
