/**
 * Runs the code of docs/immutable.md (docs/examples/immutable-guide.ts), checks every outcome and figure the
 * page states, and that every code block of the page is quoted from the example.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checks, roundTrip } from '../../../docs/examples/immutable-guide.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('docs/immutable.md runs as documented', () => {
  it('round trip of an 8 KiB value, with the figures the page quotes', async () => {
    const r = await roundTrip();
    expect(r.key).toMatch(/^imm:[0-9a-f]{64}$/);
    expect(r).toMatchObject({ chunks: 16, storers: 8, same: true });
    expect(r.storing).toEqual(FIGURES.storing);
    expect(r.fetching).toEqual(FIGURES.fetching);
    expect(Math.max(r.storing.largest, r.fetching.largest)).toBeLessThanOrEqual(1_280);
  });

  it('refusals, and pieces dropped and counted', async () => {
    expect(await checks()).toEqual({ tooLarge: 'too-large', badKey: 'invalid-key', readerRejected: 8, value: undefined, wrongKey: undefined });
  });

  it('every code block of the page is in the example', () => {
    const page = readFileSync(`${ROOT}docs/immutable.md`, 'utf8');
    const example = readFileSync(`${ROOT}docs/examples/immutable-guide.ts`, 'utf8');
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) expect(example).toContain(b);
  });
});

/** The figures docs/immutable.md quotes (deterministic: a seeded network on a virtual clock). */
const FIGURES = {
  storing: { datagrams: 274, bytes: 181_997, largest: 1_249, immutableDatagrams: 256, immutableBytes: 176_128 },
  fetching: { datagrams: 50, bytes: 27_457, largest: 1_214, immutableDatagrams: 32, immutableBytes: 22_030 },
};
