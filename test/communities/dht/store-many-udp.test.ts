/**
 * The multi-key store over real UDP on 127.0.0.1 (only 127.0.0.1): six nodes, real sockets, the system
 * clock; a storeMany of 40 keys travels to each storer in a few datagrams and another node finds every key.
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
  hosts.push(...(await udpOverlay(6, undefined, { requestTimeoutMs: [1_000, 5_000] })));
}, 30_000);

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('multi-key store over UDP on 127.0.0.1', () => {
  it('storeMany of 40 keys: every other node stores each, in at most 40 store datagrams in all (one by one: 200), and another node finds all 40', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `udp many ${i}`);
    const stored = await dht(2).storeMany(keys.map((key) => ({ key, data: utf8(key.toUpperCase()), sign: true })));
    expect(stored.map((r) => (r.ok ? r.value : r.error.reason))).toEqual(new Array(40).fill(5)); // the 5 other nodes are the k closest of every key
    const sent = dht(2).stats.sent;
    const many = sent['dht-store-many-request'] ?? 0;
    const single = sent['dht-store-request'] ?? 0;
    expect(many).toBeGreaterThanOrEqual(5);
    expect(many + single).toBeLessThanOrEqual(40); // one by one: 200 store requests
    const found = await dht(5).findMany(keys, { cache: false });
    expect(found.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : r.error.reason))).toEqual(keys.map((k) => [k.toUpperCase()]));
  }, 60_000);
});
