/**
 * The multi-key find over real UDP on 127.0.0.1 (only 127.0.0.1): six nodes, real sockets, the system
 * clock; a findMany of 40 keys asks each node about several keys a datagram and returns what single finds
 * return.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import type { FoundValue } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { udpOverlay } from '../../helpers/udp-overlay.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);
const shape = (values: readonly FoundValue[]): string[] => values.map((v) => `${v.publicKey?.midHex ?? 'unsigned'}/${v.version}/${text(v.data)}`);
const hosts: OverlayHost[] = [];
const dht = (i: number): DHTCommunity => hosts[i]!.get(DHTCommunity);

beforeAll(async () => {
  // Generous request timeouts: the suite shares a loaded machine.
  hosts.push(...(await udpOverlay(6, undefined, { requestTimeoutMs: [1_000, 5_000] })));
}, 30_000);

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('multi-key find over UDP on 127.0.0.1', () => {
  it('findMany of 40 keys: several keys a request, under half the find datagrams of single finds, the values single finds return', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `udp find many ${i}`);
    const stored = await dht(2).storeMany(keys.map((key) => ({ key, data: utf8(key.toUpperCase()), sign: true })));
    expect(stored.every((r) => r.ok && r.value > 0)).toBe(true);
    const reader = dht(5);
    const sent = (name: string): number => reader.stats.sent[name] ?? 0;
    const [many0, single0] = [sent('dht-find-many-request'), sent('dht-find-request')];
    const found = await reader.findMany(keys, { cache: false });
    expect(found.map((r) => (r.ok ? r.value.map((v) => text(v.data)) : r.error.reason))).toEqual(keys.map((k) => [k.toUpperCase()]));
    const many = sent('dht-find-many-request') - many0;
    const single = sent('dht-find-request') - single0;
    expect(many).toBeGreaterThan(0);
    expect(many + single).toBeLessThan(60); // one by one: at least 3 find requests a key (the quorum), 120
    for (const key of keys.slice(0, 4)) {
      const one = await reader.findValues(key, { cache: false });
      const bulk = found[keys.indexOf(key)]!;
      expect(bulk.ok && shape(bulk.value)).toEqual(shape(one));
    }
  }, 60_000);
});
