/**
 * Runs the code of docs/dict.md (docs/examples/dict.ts), checks every outcome the guide states, and checks
 * that the guide quotes each `docs:start`/`docs:end` block of the example exactly.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dictBasics, expiry, laterExpirationWins, ownedSubkeys } from '../../../docs/examples/dict.js';

/** `code` without the indentation its first line has. */
function dedent(code: string): string {
  const indent = /^ */.exec(code)![0].length;
  return code
    .split('\n')
    .map((line) => line.slice(Math.min(indent, /^ */.exec(line)![0].length)))
    .join('\n');
}

describe('docs/dict.md runs as documented', () => {
  it('quotes every block of docs/examples/dict.ts exactly', () => {
    const source = readFileSync(new URL('../../../docs/examples/dict.ts', import.meta.url), 'utf8');
    const doc = readFileSync(new URL('../../../docs/dict.md', import.meta.url), 'utf8');
    const blocks = [...source.matchAll(/\/\/ docs:start ([\w-]+)\n([\s\S]*?)\n *\/\/ docs:end\n/g)];
    expect(blocks.map((b) => b[1])).toEqual(['setup', 'basics', 'paging', 'later-wins', 'forgery']);
    for (const [, name, code] of blocks) expect(doc.includes(`\`\`\`ts\n${dedent(code!)}\n\`\`\``), name).toBe(true);
  });

  it('basics: subkeys add up, owned and open; paging with cursors', async () => {
    const r = await dictBasics();
    expect(r.subkeys).toEqual(['alice=10.0.0.1:8090', 'bob=10.0.0.2:8090', 'leader=bob']);
    expect(r.owners).toEqual(['alice:alice', 'bob:bob', 'leader:open']);
    expect(r.pages).toEqual([2, 1]);
  });

  it('the later expiration wins; an earlier one is stale; a tie goes to the lowest entry', async () => {
    expect(await laterExpirationWins()).toEqual({ winner: 'from b', earlier: 'stale', tie: 'xxx' });
  });

  it("owned subkeys: a forgery is refused by every storer; mallory's own subkey sits next to alice's", async () => {
    const r = await ownedSubkeys();
    expect(r.verdicts).toEqual({ 'bad-signature': 8 });
    expect(r.values).toEqual(['alice:alice v1', 'mallory:the real alice']);
  });

  it('expiry: read until the expiration, then gone from readers and storers', async () => {
    expect(await expiry()).toEqual({ before: 1, after: 0, held: 0 });
  });
});
