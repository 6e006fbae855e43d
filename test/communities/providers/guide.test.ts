/**
 * Runs the code of docs/providers.md (docs/examples/providers-guide.ts), checks every outcome the guide
 * states, and checks that every code block of the guide is in the example word for word.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { providersOverUdp, providersPerLookup } from '../../../docs/examples/providers-guide.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('docs/providers.md runs as documented', () => {
  it('every ts block of the guide is code of the example', () => {
    const guide = readFileSync(`${ROOT}docs/providers.md`, 'utf8');
    const example = readFileSync(`${ROOT}docs/examples/providers-guide.ts`, 'utf8');
    const lines = new Set(example.split('\n').map((l) => l.trim()));
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) for (const line of block.split('\n').map((l) => l.trim()).filter((l) => l !== '')) expect(lines, line).toContain(line);
  });

  it('over UDP: Carol finds Alice and Bob at the addresses the storers saw; stop and move', async () => {
    const r = await providersOverUdp();
    expect(r.found).toEqual([`${r.names.alice} 127.0.0.1:6881`, `${r.names.bob} 127.0.0.1:${r.names.bobUdpPort}`].sort());
    expect(r.found).toContain(r.first);
    expect(r.later).toEqual([`${r.names.bob} 127.0.0.1:7000`]);
    expect(r.badPort).toBe('invalid-value');
  });

  it('providers per lookup: 20 providers of one key in a 50-node network', async () => {
    const r = await providersPerLookup();
    console.log(`providers per lookup (${r.nodes} nodes, ${r.providers} providers, mean of ${r.finders} finders): ` + JSON.stringify({ all: r.all, defaultLimit: r.defaultLimit }));
    expect(r.all.found).toBe(20); // every provider, by one lookup
    expect(r.defaultLimit.found).toBe(20);
    expect(r.defaultLimit.queries).toBeLessThanOrEqual(r.all.queries);
  }, 120_000);
});
