/**
 * Runs docs/examples/discovery-guide.ts (real UDP on 127.0.0.1) and checks that the snippet in
 * the "Finding peers" section of docs/dht.md is the example's `connect` region, verbatim.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../../docs/examples/discovery-guide.js';
import { region } from '../../helpers/doc-region.js';

const ROOT = new URL('../../../', import.meta.url);

describe('docs: finding peers (discovery guide)', () => {
  it('the example finds a peer by mid over UDP: verified, at its real address; a second call returns the same Peer; an unknown mid is not-found once the search is exhausted, before the timeout', async () => {
    const started = performance.now();
    const result = await main();
    expect(result.foundMid).toBe(result.wantedMid);
    expect(result.wantedMid).toMatch(/^[0-9a-f]{40}$/);
    expect(result.foundAddress).toBe(result.actualAddress);
    expect(result.foundAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(result.verified).toBe(true);
    expect(result.secondCallSamePeer).toBe(true);
    expect(result.missingReason).toBe('not-found');
    expect(result.missingWaitedMs).toBeLessThan(2_500); // the timeout is 5 s: the search ends when exhausted
    console.log(`guide: ${Math.round(performance.now() - started)} ms wall`);
  });

  it('the Finding peers section of docs/dht.md quotes the example verbatim', () => {
    const example = readFileSync(new URL('docs/examples/discovery-guide.ts', ROOT), 'utf8');
    const guide = readFileSync(new URL('docs/dht.md', ROOT), 'utf8');
    const section = guide.slice(guide.indexOf('## Finding peers'));
    const block = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block).toBeDefined();
    expect(block).toBe(region(example, 'connect'));
    expect(section).toContain('connectPeer');
    for (const reason of ['not-found', 'aborted', 'invalid-key', 'no-nodes', 'stopped', 'mid-mismatch', 'bad-token']) expect(section).toContain(reason);
  });
});
