/**
 * Absolute expiration, `latest`, the value cache and bulk operations over real UDP on 127.0.0.1 (only
 * 127.0.0.1): six nodes, real sockets, the system clock.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { udpOverlay } from '../../helpers/udp-overlay.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);
const hosts: OverlayHost[] = [];
const dht = (i: number): DHTCommunity => hosts[i]!.get(DHTCommunity);

beforeAll(async () => {
  // Generous request timeouts: the suite shares a loaded machine.
  hosts.push(...(await udpOverlay(6, undefined, { requestTimeoutMs: [1_000, 5_000], valueCache: { enabled: true } })));
}, 30_000);

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('DHT values over UDP on 127.0.0.1', () => {
  it('expiresAt: the value lives until then (a 2-day one renewed by its publisher); both options a named error', async () => {
    const soon = Date.now() + 60_000;
    await dht(1).storeValue('udp soon', utf8('a minute'), { sign: true, expiresAt: soon });
    const [found] = await dht(4).findValues('udp soon');
    expect(text(found!.data)).toBe('a minute');
    expect(Math.abs(found!.expiresAt - soon)).toBeLessThan(1_000);
    const later = Date.now() + 2 * 86_400_000;
    expect(await dht(2).storeValue('udp later', utf8('two days'), { expiresAt: later })).toBeGreaterThan(0);
    expect([...dht(2).values.own.values()].some((o) => o.until === later)).toBe(true);
    await expect(dht(2).storeValue('x', utf8('x'), { ttlMs: 1_000, expiresAt: later })).rejects.toMatchObject({ reason: 'invalid-ttl' });
  });

  it('latest returns the newest version after an update; the cache answers a repeat without a packet', async () => {
    await dht(1).storeValue('udp versions', utf8('v1'), { sign: true });
    await dht(1).storeValue('udp versions', utf8('v2'), { sign: true });
    const latest = await dht(5).findValues('udp versions', { latest: true });
    expect(latest.map((v) => text(v.data))).toEqual(['v2']);
    const sent = hosts[5]!.endpoint.stats.packetsSent;
    const again = await dht(5).findValues('udp versions');
    expect(again.map((v) => text(v.data))).toEqual(['v2']);
    expect(hosts[5]!.endpoint.stats.packetsSent).toBe(sent);
    expect(dht(5).statistics.cacheHits).toBe(1);
  });

  it('storeMany and findMany: 12 keys stored by one node and found by another, one result each', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `udp bulk ${i}`);
    const stored = await dht(3).storeMany(keys.map((key) => ({ key, data: utf8(key.toUpperCase()), sign: true })));
    expect(stored.every((r) => r.ok && r.value > 0)).toBe(true);
    const found = await dht(0).findMany([...keys, 'udp never'], { cache: false });
    expect(found.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : r.error.reason))).toEqual([...keys.map((k) => [k.toUpperCase()]), []]);
  });
});
