/**
 * Runs docs/examples/dht-values.ts over real UDP on 127.0.0.1 and on an in-memory network, and checks that
 * docs/dht-values.md quotes every `#region` of it verbatim.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulk, cachedFinds, expiringValues, firstAnswer, freshest } from '../../../docs/examples/dht-values.js';
import { startNodes } from '../../../docs/examples/dht-guide.js';
import type { GuideNetwork } from '../../../docs/examples/dht-guide.js';
import { CryptoRandom, MemoryNetwork, SystemClock } from '../../../framework/index.js';
import { region } from '../../helpers/doc-region.js';

const ROOT = new URL('../../../', import.meta.url);
const PAGE = readFileSync(new URL('docs/dht-values.md', ROOT), 'utf8');
const EXAMPLE = readFileSync(new URL('docs/examples/dht-values.ts', ROOT), 'utf8');

describe('docs/dht-values.md', () => {
  it('quotes every region of docs/examples/dht-values.ts verbatim', () => {
    for (const name of ['expires-at', 'latest', 'cache', 'first', 'bulk']) expect(PAGE, name).toContain(region(EXAMPLE, name));
  });
});

describe('docs/dht-values.md: the page runs as written (UDP on 127.0.0.1)', () => {
  let net: GuideNetwork;
  const lines: string[] = [];
  beforeAll(async () => {
    // Generous request timeouts: this suite shares a loaded machine, and a store that no node answered in
    // time fails (as it should), which is not what the page shows.
    net = await startNodes({ count: 8, settings: { requestTimeoutMs: [1_000, 5_000], valueCache: { enabled: true } } });
  }, 30_000);
  afterAll(async () => {
    await net.stop();
  });

  it('expiresAt, latest, the cache and bulk operations do what the page says', async () => {
    const [alice, bob] = [net.dhts[1]!, net.dhts[6]!];
    const [asked, got] = await expiringValues(alice, bob, (l) => lines.push(l));
    expect(Math.abs(got! - asked!)).toBeLessThan(1_000);
    expect(lines[0]).toMatch(/^i love bees, expires 20\d\d-/);
    expect(await freshest(alice, bob, (l) => lines.push(l))).toBe('v2');
    expect(await cachedFinds(bob, (l) => lines.push(l))).toEqual({ hits: 1, misses: 1 }); // my_key's first find missed; status came from the cache
    expect(await firstAnswer(bob, (l) => lines.push(l))).toEqual({ first: 'v2', quorum: 'v2' });
    const values = await bulk(alice, bob, (l) => lines.push(l));
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `expert.${i} is up`));
    expect(lines.at(-2)).toBe('stored 20 of 20');
  });
});

describe('docs/dht-values.md on an in-memory network', () => {
  it('runs the same code without sockets', async () => {
    const network = new MemoryNetwork(new SystemClock(), new CryptoRandom(), { latencyMs: 1 });
    const net = await startNodes({ count: 8, network, settings: { valueCache: { enabled: true } } });
    const [alice, bob] = [net.dhts[1]!, net.dhts[6]!];
    const log = (): void => undefined;
    await expiringValues(alice, bob, log);
    expect(await freshest(alice, bob, log)).toBe('v2');
    expect(await firstAnswer(bob, log)).toEqual({ first: 'v2', quorum: 'v2' });
    expect((await bulk(alice, bob, log)).filter((v) => v !== '(none)')).toHaveLength(20);
    await net.stop();
  });
});
