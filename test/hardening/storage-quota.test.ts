import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { sourceGroup } from '../../communities/dht/storage/source-group.js';
import { signRecord, unsignedRecord } from '../../communities/dht/storage/value-record.js';
import { ValueStore } from '../../communities/dht/storage/value-store.js';
import type { DHTCommunity, WireVerdict } from '../../communities/dht/index.js';
import { toWire } from '../../communities/dht/wire-records.js';
import { ManualClock, utf8 } from '../../framework/index.js';
import { dhtNet } from '../helpers/dht-net.js';
import { keyOf, testKey } from '../communities/dht/storage/helpers.js';

const MINUTE_MS = 60_000;
const FILLER = '203.0.113.0/24';
const HONEST = '198.51.100.0/24';

describe('source groups', () => {
  it('groups public IPv4 by /24 and IPv6 by /48, and keeps loopback and LAN sources apart by full address', () => {
    expect(sourceGroup({ host: '203.0.113.7', port: 1 })).toBe('203.0.113.0/24');
    expect(sourceGroup({ host: '203.0.113.200', port: 2 })).toBe('203.0.113.0/24');
    expect(sourceGroup({ host: '::ffff:203.0.113.9', port: 3 })).toBe('203.0.113.0/24');
    expect(sourceGroup({ host: '2001:db8:1234:5678::1', port: 4 })).toBe('2001:db8:1234::/48');
    expect(sourceGroup({ host: '2001:db8:1234:ffff::2', port: 5 })).toBe('2001:db8:1234::/48');
    expect(sourceGroup({ host: '127.0.0.1', port: 8090 })).toBe('127.0.0.1:8090');
    expect(sourceGroup({ host: '127.0.0.1', port: 8091 })).toBe('127.0.0.1:8091');
    expect(sourceGroup({ host: '192.168.1.4', port: 9 })).toBe('192.168.1.4:9');
    expect(sourceGroup({ host: '10.1.2.3', port: 9 })).toBe('10.1.2.3:9');
    expect(sourceGroup({ host: '172.20.0.1', port: 9 })).toBe('172.20.0.1:9');
    expect(sourceGroup({ host: '::1', port: 9 })).toBe('[::1]:9');
    expect(sourceGroup({ host: 'fd00::5', port: 9 })).toBe('[fd00::5]:9');
  });
});

describe('ValueStore per-source quotas', () => {
  it('refuses a filler beyond its entries, and others still store when the filler would have filled the store', () => {
    const clock = new ManualClock();
    const store = new ValueStore(clock, { maxEntries: 100, maxEntriesPerSource: 30 });
    const verdicts: string[] = [];
    for (let i = 0; i < 150; i++) verdicts.push(store.put(unsignedRecord(keyOf(i % 200), utf8(`junk ${i}`)), MINUTE_MS, 'store', FILLER));
    expect(verdicts.filter((v) => v === 'stored')).toHaveLength(30);
    expect(verdicts.filter((v) => v === 'quota')).toHaveLength(120);
    expect(store.sourceUsage(FILLER)).toEqual({ entries: 30, bytes: store.bytes });
    for (let i = 0; i < 30; i++) expect(store.put(unsignedRecord(keyOf(250), utf8(`honest ${i}`)), MINUTE_MS, 'store', HONEST)).toBe('stored');
    expect(store.stats.quota).toBe(120);
    expect(store.stats.full).toBe(0);
  });

  it('caps bytes per source and frees the quota when the filler values expire (expired entries go first)', async () => {
    const clock = new ManualClock();
    const store = new ValueStore(clock, { maxBytesPerSource: 1_000 });
    const big = (i: number): Uint8Array => new Uint8Array(300).fill(i);
    expect([0, 1, 2, 3].map((i) => store.put(unsignedRecord(keyOf(i), big(i)), MINUTE_MS, 'store', FILLER))).toEqual(['stored', 'stored', 'stored', 'quota']);
    await clock.advance(MINUTE_MS);
    expect(store.put(unsignedRecord(keyOf(3), big(3)), MINUTE_MS, 'store', FILLER)).toBe('stored');
    expect(store.sourceUsage(FILLER)).toEqual({ entries: 1, bytes: 300 });
    expect(store.size).toBe(1);
  });

  it('does not charge local records, and charges a signed update to the source that sent it', () => {
    const clock = new ManualClock();
    const store = new ValueStore(clock, { maxEntriesPerSource: 1 });
    const alice = testKey(1);
    for (let i = 0; i < 5; i++) expect(store.put(unsignedRecord(keyOf(1), utf8(`mine ${i}`)), MINUTE_MS, 'local')).toBe('stored');
    expect(store.sourceCount).toBe(0);
    expect(store.put(signRecord(alice, keyOf(2), utf8('v1'), 1), MINUTE_MS, 'store', FILLER)).toBe('stored');
    expect(store.put(signRecord(alice, keyOf(3), utf8('v1'), 1), MINUTE_MS, 'store', FILLER)).toBe('quota');
    // the same source updating its own record stays within its quota; a refresh from anyone is free
    expect(store.put(signRecord(alice, keyOf(2), utf8('v2'), 2), MINUTE_MS, 'store', FILLER)).toBe('updated');
    expect(store.put(signRecord(alice, keyOf(2), utf8('v2'), 2), MINUTE_MS, 'store', HONEST)).toBe('refreshed');
    // a newer version sent from another group moves the charge there
    expect(store.put(signRecord(alice, keyOf(2), utf8('v3'), 3), MINUTE_MS, 'store', HONEST)).toBe('updated');
    expect(store.sourceUsage(FILLER).entries).toBe(0);
    expect(store.sourceUsage(HONEST)).toEqual({ entries: 1, bytes: 2 });
  });
});

/** Stores `count` unsigned junk values at `target` from `filler`, 10 per message; returns the verdicts. */
async function fill(filler: DHTCommunity, target: DHTCommunity, count: number, ttlMs: number, tag: string): Promise<WireVerdict[]> {
  const peer = { id: target.nodeId, address: target.context.transport.localAddress };
  const { token } = await filler.queryFind(peer, keyOf(7), false);
  const out: WireVerdict[] = [];
  for (let i = 0; i < count; i += 10) {
    const records = Array.from({ length: 10 }, (_, j) => toWire(unsignedRecord(keyOf((i + j) % 250), utf8(`${tag} ${i + j}`)), ttlMs));
    out.push(...(await filler.sendStore(peer, token, records)));
  }
  return out;
}

describe('a filler on the network', () => {
  it('is refused with quota at every node, while honest values are still stored and found; expiry frees its quota', async () => {
    const net = await dhtNet(6, 4242, { maxEntries: 100, maxEntriesPerSource: 30 });
    const [filler, ...others] = net.dhts as [DHTCommunity, ...DHTCommunity[]];
    for (const target of others) {
      const verdicts = await net.clock.settle(fill(filler, target, 150, MINUTE_MS, 'junk'));
      expect(verdicts.filter((v) => v === 'stored')).toHaveLength(30);
      expect(verdicts.filter((v) => v === 'quota')).toHaveLength(120);
      expect(target.statistics.storeVerdicts['quota']).toBe(120);
    }
    // honest nodes store 10 values each, with the filler's junk still held everywhere
    for (const [n, d] of others.entries()) {
      for (let i = 0; i < 10; i++) expect(await net.clock.settle(d.storeValue(`honest ${n}/${i}`, utf8(`value ${n}/${i}`)))).toBeGreaterThan(0);
    }
    for (const [n] of others.entries()) {
      const reader = others[(n + 1) % others.length]!;
      const found = await net.clock.settle(reader.findValues(`honest ${n}/3`));
      expect(found.map((f) => new TextDecoder().decode(f.data))).toContain(`value ${n}/3`);
    }
    for (const target of others) expect(target.statistics.storeVerdicts['full'] ?? 0).toBe(0);
    // once the filler's values expired, its quota is free again
    await net.clock.advance(MINUTE_MS + 1_000);
    const again = await net.clock.settle(fill(filler, others[0]!, 10, MINUTE_MS, 'later'));
    expect(again).toEqual(Array(10).fill('stored'));
    await net.stopAll();
  });
});
