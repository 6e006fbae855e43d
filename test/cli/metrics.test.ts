import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../../framework/index.js';
import type { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { call, startNodes } from './helpers.js';

/** One sample line of the text format. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: HELP and TYPE by family name, and every sample. */
interface Exposition {
  readonly help: Map<string, string>;
  readonly type: Map<string, string>;
  readonly samples: Sample[];
}

/** Parses the Prometheus text exposition format 0.0.4 (comments, label escapes, +Inf/NaN); throws on anything else. */
function parseExposition(text: string): Exposition {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      (meta[1] === 'HELP' ? help : type).set(meta[2]!, meta[3]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (head === null) throw new Error(`not a sample: ${line}`);
    const name = head[1]!;
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/.exec(rest);
        if (label === null) throw new Error(`bad labels: ${line}`);
        labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        rest = rest.slice(label[0].length);
      }
      rest = rest.slice(1);
    }
    const value = /^ (\S+)( -?\d+)?$/.exec(rest);
    if (value === null) throw new Error(`bad value: ${line}`);
    const v = value[1] === '+Inf' ? Infinity : value[1] === '-Inf' ? -Infinity : Number(value[1]);
    if (Number.isNaN(v) && value[1] !== 'NaN') throw new Error(`bad number: ${line}`);
    samples.push({ name, labels, value: v });
  }
  return { help, type, samples };
}

/** The samples of `name` as `labels → value`, labels in a canonical string (sorted `k=v` joined by commas). */
function series(e: Exposition, name: string): Map<string, number> {
  return new Map(e.samples.filter((s) => s.name === name).map((s) => [labelKey(s.labels), s.value]));
}

function labelKey(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The one sample of `name` with exactly `labels`. */
function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const v = series(e, name).get(labelKey(labels));
  if (v === undefined) throw new Error(`no sample ${name}{${labelKey(labels)}}`);
  return v;
}

/** `GET /metrics` with a plain HTTP GET. */
async function scrape(node: PeerlayNode, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string; text: string }> {
  const response = await fetch(`http://${addressKey(node.apiAddress!)}/metrics`, { headers });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

const RECORD_TYPES = ['value', 'bag', 'namespace'] as const;

/** What the node's own counters say now, for comparing with a scrape. */
function live(node: PeerlayNode) {
  const engines = { value: node.dht.values, bag: node.bag.entries, namespace: node.namespace.records };
  return {
    messages: node.host.communities().map((c) => ({ community: c.name, ...c.stats.toJSON() })),
    records: RECORD_TYPES.map((type) => {
      const { store, statistics } = engines[type];
      return { type, size: store.size, bytes: store.bytes, locations: store.locationCount, verdicts: { ...statistics.verdicts }, puts: store.verdicts };
    }),
    host: { ...node.host.stats },
    contacts: node.dht.routingTable.size,
  };
}

/**
 * Scrapes while the node is quiet: its counters are read before and after the request, and the scrape is
 * kept only when they did not move in between (background walks and pings can tick them), so it must
 * match them exactly.
 */
async function quietScrape(node: PeerlayNode): Promise<{ e: Exposition; counters: ReturnType<typeof live> }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = JSON.stringify(live(node));
    const { text } = await scrape(node);
    const after = live(node);
    if (JSON.stringify(after) === before) return { e: parseExposition(text), counters: after };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the node never stayed quiet for one scrape');
}

let nodes: PeerlayNode[] = [];
let guarded: PeerlayNode[] = [];
const FINDS = 3;

beforeAll(async () => {
  nodes = await startNodes(3);
  guarded = await startNodes(1, { token: 'metrics-token' });
  expect((await call(nodes[2]!, 'PUT', '/dht/values/metered', { value: 'counted' })).status).toBe(200);
  for (let i = 0; i < FINDS; i++) expect((await call(nodes[0]!, 'GET', '/dht/values/metered?cache=false')).status).toBe(200);
  expect((await call(nodes[1]!, 'POST', '/bag/metered-bag', { value: 'entry' })).status).toBe(200);
  expect((await call(nodes[1]!, 'PUT', '/namespace/metered-name', { value: 'named' })).status).toBe(200);
});

afterAll(async () => {
  for (const n of [...nodes, ...guarded]) await n.stop();
});

describe('GET /metrics', () => {
  it('answers in the Prometheus text format, with HELP and TYPE for every family', async () => {
    const { status, contentType, text } = await scrape(nodes[0]!);
    expect(status).toBe(200);
    expect(contentType.startsWith('text/plain; version=0.0.4')).toBe(true);
    const e = parseExposition(text);
    expect(e.samples.length).toBeGreaterThan(50);
    for (const s of e.samples) {
      const family = e.type.has(s.name) ? s.name : s.name.replace(/_(bucket|sum|count)$/, '');
      expect(e.type.has(family), `TYPE of ${s.name}`).toBe(true);
      expect(e.help.get(family), `HELP of ${s.name}`).toMatch(/\S/);
      expect(s.name.startsWith('peerlay_')).toBe(true);
    }
    for (const [name, t] of e.type) {
      if (name.endsWith('_total')) expect(t, name).toBe('counter');
      else if (name.startsWith('peerlay_dht_lookup_')) expect(t, name).toBe('histogram');
      else expect(t, name).toBe('gauge');
    }
  });

  it('times every lookup by kind: the finds made are counted, buckets are cumulative up to +Inf', async () => {
    const e = parseExposition((await scrape(nodes[0]!)).text);
    for (const name of ['peerlay_dht_lookup_duration_seconds', 'peerlay_dht_lookup_hops']) {
      const count = value(e, `${name}_count`, { kind: 'find-values' });
      expect(count, name).toBeGreaterThanOrEqual(FINDS);
      const buckets = e.samples.filter((s) => s.name === `${name}_bucket` && s.labels.kind === 'find-values');
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      expect(buckets.at(-1)!.value).toBe(count);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(series(e, `${name}_count`).has('kind=connect')).toBe(true); // every kind is there from the start
    }
    expect(value(e, 'peerlay_dht_lookup_duration_seconds_sum', { kind: 'find-values' })).toBeGreaterThan(0);
    expect(value(e, 'peerlay_dht_lookup_hops_sum', { kind: 'find-values' })).toBeGreaterThanOrEqual(FINDS);
    const publisher = parseExposition((await scrape(nodes[2]!)).text);
    expect(value(publisher, 'peerlay_dht_lookup_duration_seconds_count', { kind: 'store' })).toBeGreaterThanOrEqual(1);
  });

  it("message, drop, host and routing counters equal the node's own, node by node (one registry each)", async () => {
    for (const node of [nodes[0]!, nodes[2]!]) {
      const { e, counters } = await quietScrape(node);
      for (const [metric, field, label] of [
        ['peerlay_messages_received_total', 'received', 'message'],
        ['peerlay_messages_sent_total', 'sent', 'message'],
        ['peerlay_message_sent_bytes_total', 'bytesSent', 'message'],
        ['peerlay_packets_dropped_total', 'dropped', 'reason'],
      ] as const) {
        const expected = new Map(counters.messages.flatMap((c) => Object.entries(c[field]).map(([name, n]) => [labelKey({ community: c.community, [label]: name }), n])));
        expect(series(e, metric), metric).toEqual(expected);
        if (field !== 'dropped') expect(expected.size, metric).toBeGreaterThan(0);
      }
      for (const c of counters.messages) expect(value(e, 'peerlay_handler_errors_total', { community: c.community })).toBe(c.handlerErrors);
      expect(value(e, 'peerlay_host_packets_routed_total')).toBe(counters.host.routed);
      expect(value(e, 'peerlay_host_packets_dropped_total', { reason: 'malformed' })).toBe(counters.host.malformed);
      expect(value(e, 'peerlay_host_packets_dropped_total', { reason: 'over-budget' })).toBe(counters.host.overBudget);
      const rateLimited = ['source-limited', 'source-banned', 'ip-limited', 'ip-banned'].reduce((sum, reason) => sum + value(e, 'peerlay_host_packets_dropped_total', { reason }), 0);
      expect(rateLimited).toBe(counters.host.rateLimited);
      expect(value(e, 'peerlay_dht_routing_table_contacts')).toBe(counters.contacts);
      expect(counters.contacts).toBe(nodes.length - 1);
    }
  });

  it('records held, bytes, locations and verdicts per record type equal the stores', async () => {
    let seen = 0;
    for (const node of nodes) {
      const { e, counters } = await quietScrape(node);
      for (const r of counters.records) {
        expect(value(e, 'peerlay_records_stored', { type: r.type }), `${r.type} records`).toBe(r.size);
        expect(value(e, 'peerlay_records_stored_bytes', { type: r.type })).toBe(r.bytes);
        expect(value(e, 'peerlay_record_locations', { type: r.type })).toBe(r.locations);
        for (const [verdict, n] of Object.entries(r.puts)) expect(value(e, 'peerlay_record_puts_total', { type: r.type, verdict })).toBe(n);
        for (const verdict of ['stored', 'bad-token', 'quota', 'full']) {
          expect(value(e, 'peerlay_record_verdicts_total', { type: r.type, verdict })).toBe(r.verdicts[verdict] ?? 0);
        }
        expect(value(e, 'peerlay_record_quota_records', { type: r.type, scope: 'source' })).toBeGreaterThan(0);
        seen += r.size;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3); // the value, the bag entry and the namespace record, each held somewhere
  });

  it('follows the API token like every route', async () => {
    const refused = await scrape(guarded[0]!);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'unauthorized' } });
    const allowed = await scrape(guarded[0]!, { authorization: 'Bearer metrics-token' });
    expect(allowed.status).toBe(200);
    expect(parseExposition(allowed.text).type.get('peerlay_records_stored')).toBe('gauge');
    expect((await call(nodes[0]!, 'GET', '/health')).body.routes).toContain('GET /metrics');
  });
});
