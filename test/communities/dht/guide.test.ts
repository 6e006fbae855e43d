/**
 * Runs docs/examples/dht-guide.ts (real UDP on 127.0.0.1, and once on an in-memory network) and checks
 * that docs/dht.md quotes every `#region` of it verbatim and documents every DHT setting with its default.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batches,
  traceAFind,
  errorReasons,
  findMyValue,
  signedAndUnsigned,
  startNodes,
  statusPage,
  storeMyValue,
  storeWithRetry,
  withOptions,
} from '../../../docs/examples/dht-guide.js';
import type { GuideNetwork } from '../../../docs/examples/dht-guide.js';
import { DHTCommunity } from '../../../communities/dht/index.js';
import {
  DEFAULT_GROUP_SHARE,
  DEFAULT_MAX_BYTES_PER_GROUP,
  DEFAULT_MAX_BYTES_PER_SOURCE,
  DEFAULT_MAX_LOCATIONS,
  DEFAULT_MAX_RECORDS,
  DEFAULT_SOURCE_SHARE,
} from '../../../communities/dht/records/store-limits.js';
import { resolveDHTSettings } from '../../../communities/dht/settings.js';
import { CryptoRandom, MemoryNetwork, OverlayHost, SystemClock, UdpEndpoint, utf8 } from '../../../framework/index.js';
import { region } from '../../helpers/doc-region.js';

const ROOT = new URL('../../../', import.meta.url);
const GUIDE = readFileSync(new URL('docs/dht.md', ROOT), 'utf8');
const EXAMPLE = readFileSync(new URL('docs/examples/dht-guide.ts', ROOT), 'utf8');

/** Every ```ts block of the guide. */
const codeBlocks = [...GUIDE.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1]!);

describe('docs/dht.md: the guide runs as written (UDP on 127.0.0.1)', () => {
  let net: GuideNetwork;
  const extraHosts: OverlayHost[] = [];
  const started = performance.now();

  beforeAll(async () => {
    net = await startNodes({ count: 10 });
  });

  afterAll(async () => {
    for (const h of extraHosts) await h.stop();
    await net.stop();
    for (const h of [...net.hosts, ...extraHosts]) expect(h.clock.pendingTimers()).toBe(0);
    console.log(`dht guide: ${Math.round(performance.now() - started)} ms wall`);
  });

  /** A node that is up but knows nobody. */
  async function lonelyNode(): Promise<DHTCommunity> {
    const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
    const dht = host.register(DHTCommunity);
    await host.start();
    extraHosts.push(host);
    return dht;
  }

  it('setting up nodes: every node bootstrapped from the seed and knows the others', () => {
    expect(net.dhts).toHaveLength(10);
    for (const dht of net.dhts) {
      expect(dht.isRunning).toBe(true);
      expect(dht.routingTable.size).toBeGreaterThanOrEqual(5);
    }
    expect(net.hosts[1]!.endpoint.address.host).toBe('127.0.0.1');
  });

  it('storing and finding: a signed "my value" under "my key", found from another node with its publisher', async () => {
    const lines: string[] = [];
    expect(await storeMyValue(net.dhts[1]!, (l) => lines.push(l))).toBe(true);
    expect(lines[0]).toMatch(/^stored value: my value \(on [5-9] nodes\)$/);
    const values = await findMyValue(net.dhts[7]!, (l) => lines.push(l));
    expect(values).toHaveLength(1);
    const mid = net.hosts[1]!.midHex;
    expect(lines[1]).toBe(`found value: my value, signed by ${mid}`);
    expect(values[0]!.publicKey?.midHex).toBe(mid);
  });

  it('signed values and versions: the newest version per publisher, unsigned values once', async () => {
    const [, , alice, bob, carol, dave, , , reader] = net.dhts as DHTCommunity[];
    const seen = await signedAndUnsigned(alice!, bob!, carol!, dave!, reader!);
    const byData = new Map(seen.map((v) => [v.data, v]));
    expect([...byData.keys()].sort()).toEqual(['busy', 'hello', 'online']);
    expect(seen).toHaveLength(3);
    expect(byData.get('online')!.publisher).toBe(alice!.context.key.publicKey.midHex);
    expect(byData.get('busy')!.publisher).toBe(bob!.context.key.publicKey.midHex);
    expect(byData.get('hello')!.publisher).toBeNull();
    expect(byData.get('hello')!.version).toBe(0);
    expect(byData.get('online')!.version).toBeGreaterThan(0);
  });

  it("errors: 'too-large', 'no-nodes' and 'aborted' are DHTError reasons", async () => {
    const reasons = await errorReasons(net.dhts[1]!, await lonelyNode());
    expect(reasons).toEqual({ tooLarge: 'too-large', noNodes: 'no-nodes', aborted: 'aborted' });
  });

  it('try again later: a node that knows nobody holds the value alone (0 acks), rejoins, and the retry reaches others', async () => {
    const lonely = await lonelyNode();
    const result = await storeWithRetry(lonely, 'retry key', utf8('kept trying'), [net.hosts[0]!.endpoint.address]);
    expect(result.errors).toEqual(['held only here']);
    expect(result.attempts).toBe(2);
    expect(result.acks).toBeGreaterThanOrEqual(5);
    const [found] = await net.dhts[9]!.findValues('retry key');
    expect(new TextDecoder().decode(found!.data)).toBe('kept trying');
  });

  it('options: a one-minute ttl shows in expiresAt; limit and signal are accepted', async () => {
    const before = Date.now();
    const { acks, value } = await withOptions(net.dhts[2]!, net.dhts[6]!);
    expect(acks).toBeGreaterThanOrEqual(5);
    expect(new TextDecoder().decode(value!.data)).toBe('gone in a minute');
    expect(value!.expiresAt).toBeGreaterThan(before + 55_000);
    expect(value!.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('batches: storeMany and findMany, one result per item in order', async () => {
    const { stored, found } = await batches(net.dhts[3]!, net.dhts[8]!);
    expect(stored.every((acks) => acks >= 5)).toBe(true);
    expect(found).toEqual([['apple'], ['banana'], ['cherry']]);
  });

  it('trace: the lookup events of a find, hop by hop', async () => {
    const lines: string[] = [];
    const events = await traceAFind(net.dhts[9]!, (line) => lines.push(line));
    const finished = events.at(-1)!;
    expect(finished.type).toBe('finished');
    expect(lines.filter((l) => l.startsWith('hop '))).toHaveLength(finished.type === 'finished' ? finished.queries : -1);
    expect(lines.at(-1)).toMatch(/^done: \d+ queries, \d+ hops, /);
  });

  it('statistics and routing table: counters, buckets and held values', () => {
    const page = statusPage(net.dhts[3]!);
    expect(page.contacts).toBe(net.dhts[3]!.routingTable.size);
    expect(page.buckets.reduce((s, b) => s + b.contacts, 0)).toBe(page.contacts);
    expect(page.statistics['lookups']).toBeGreaterThan(0);
    expect(page.statistics['storesSucceeded']).toBeGreaterThanOrEqual(3);
    expect(typeof page.statistics['averageHops']).toBe('number');
    const held = net.dhts.reduce((s, d) => s + statusPage(d).valuesHeld, 0);
    expect(held).toBeGreaterThanOrEqual(9 * 5); // 9 values so far (Alice's first version replaced), each on 5+ nodes
  });
});

describe('docs/dht.md: the same code on an in-memory network', () => {
  it('startNodes({ network }) stores and finds without sockets', async () => {
    const network = new MemoryNetwork(new SystemClock(), new CryptoRandom(), { latencyMs: 1 });
    const net = await startNodes({ count: 6, network });
    try {
      expect(await storeMyValue(net.dhts[1]!, () => undefined)).toBe(true);
      const values = await findMyValue(net.dhts[5]!, () => undefined);
      expect(values.map((v) => new TextDecoder().decode(v.data))).toEqual(['my value']);
      expect(net.hosts[1]!.endpoint.address.host).toMatch(/^198\.1[89]\./);
    } finally {
      await net.stop();
    }
    for (const h of net.hosts) expect(h.clock.pendingTimers()).toBe(0);
  });
});

describe('docs/dht.md quotes the example and documents the settings', () => {
  it('every #region of docs/examples/dht-guide.ts appears verbatim as a code block', () => {
    const names = [...EXAMPLE.matchAll(/\/\/ #region (\S+)/g)].map((m) => m[1]!);
    expect(names).toEqual(['setup', 'store', 'find', 'versions', 'retryable', 'retry', 'errors', 'options', 'batches', 'trace', 'statistics']);
    for (const name of names) expect(codeBlocks).toContain(region(EXAMPLE, name));
    expect(GUIDE).toContain('docs/examples/dht-guide.ts');
    expect(GUIDE).toContain('test/communities/dht/guide.test.ts');
  });

  it('the settings table lists every DHT setting with its default', () => {
    const defaults = resolveDHTSettings({});
    const rows = GUIDE.split('\n').filter((l) => l.startsWith('| `'));
    for (const [name, value] of Object.entries(defaults)) {
      if (name === 'discovery') continue;
      const row = rows.find((r) => r.startsWith(`| \`${name}\` |`));
      expect(row, `settings table row for ${name}`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      const plain = cells[2]!.replaceAll('_', '');
      const nested = typeof value === 'object' && value !== null && !Array.isArray(value);
      const expected = typeof value === 'function' || nested ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
      for (const v of expected) expect(plain, `default of ${name}`).toContain(v);
    }
    // The store's caps (one row each, `store.<cap>`), with the record store's defaults.
    const storeDefaults: Record<string, string[]> = {
      maxRecords: [String(DEFAULT_MAX_RECORDS)],
      maxLocations: [String(DEFAULT_MAX_LOCATIONS)],
      maxRecordsPerSource: [`${DEFAULT_SOURCE_SHARE * 100} %`, '16'],
      maxRecordsPerGroup: [`${DEFAULT_GROUP_SHARE * 100} %`, '64'],
      maxBytesPerSource: [String(DEFAULT_MAX_BYTES_PER_SOURCE)],
      maxBytesPerGroup: [String(DEFAULT_MAX_BYTES_PER_GROUP)],
    };
    for (const [name, expected] of Object.entries(storeDefaults)) {
      const row = rows.find((r) => r.startsWith(`| \`store.${name}\` |`));
      expect(row, `settings table row for store.${name}`).toBeDefined();
      const plain = row!.split('|').map((c) => c.trim())[2]!.replaceAll('_', '');
      for (const v of expected) expect(plain, `default of store.${name}`).toContain(v);
    }
  });

  it('explains errors, the py-ipv8 differences, and ends with the Finding peers section', () => {
    for (const reason of ['no-nodes', 'unreachable', 'too-large', 'invalid-key', 'invalid-ttl', 'timeout', 'aborted', 'rejected', 'not-found', 'stopped']) {
      expect(GUIDE).toContain(`\`${reason}\``);
    }
    for (const phrase of ['1,024 bytes', '23 bytes', 'republish', 'token', 'expire']) expect(GUIDE).toContain(phrase);
    const headings = GUIDE.split('\n').filter((l) => l.startsWith('## '));
    expect(headings.at(-1)).toBe('## Finding peers');
  });
});
