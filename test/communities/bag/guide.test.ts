/**
 * Runs the code of docs/bag-and-namespace.md (docs/examples/bag-and-namespace.ts) and checks every outcome
 * the guide states.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { amplificationBound, bagBasics, bagLimits, expiryAndRepublish, namespaceBasics } from '../../../docs/examples/bag-and-namespace.js';

describe('docs/bag-and-namespace.md runs as documented', () => {
  it('bag basics: the set, paging with cursors, removal', async () => {
    const r = await bagBasics();
    expect(r.found.length).toBe(3);
    expect(r.found.filter((f) => f.endsWith(':pancakes')).length).toBe(2);
    expect(r.paged).toEqual(['pancakes', 'pancakes', 'waffles']);
    expect(r.pages).toBeGreaterThanOrEqual(2);
    expect(r.afterRemove).toEqual(['pancakes', 'pancakes']);
  });

  it('bag limits: named errors and storer verdicts', async () => {
    expect(await bagLimits()).toEqual({ tooLarge: 'too-large', badTtl: 'invalid-ttl', overQuota: 'rejected', verdicts: ['quota'] });
  });

  it('amplification: tokenless responses within 3x, token responses within the datagram', async () => {
    const r = await amplificationBound();
    // The guide quotes this run: a 200-byte request, 452 bytes back without a token (nodes, no entry), 1,306 with it.
    expect(r.request).toBeGreaterThanOrEqual(190);
    expect(r.request).toBeLessThanOrEqual(210);
    expect(r.tokenless).toBeLessThanOrEqual(3 * r.request);
    expect(r.withToken).toBeGreaterThanOrEqual(1_000);
    expect(r.withToken).toBeGreaterThan(3 * r.request);
    expect(r.withToken).toBeLessThanOrEqual(r.maxPacket);
  });

  it('namespace basics: seq, rollback, compare-and-swap', async () => {
    expect(await namespaceBasics()).toEqual({ seqs: [0, 1, 2], latest: 'final', rollback: 'stale', casFailure: 'conflict', afterCas: 3 });
  });

  it('expiry: republished while running, gone after the publisher stops', async () => {
    expect(await expiryAndRepublish()).toEqual({ whileRunning: 1, afterStop: 0 });
  });
});
