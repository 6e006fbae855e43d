/**
 * The DHT over real UDP: 20 nodes on 127.0.0.1 (ephemeral ports, the default SystemClock) store signed
 * values and every node finds every one of them; every node then stops cleanly.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { OverlayHost, UdpEndpoint, utf8 } from '../../../framework/index.js';
import { text } from './large-net.js';

const NODES = 20;
const LOOPBACK = '127.0.0.1';
const KEYS = 10;
/** Lenient timeouts: the suite may share the machine's two cores with other test files. */
const SETTINGS = { requestTimeoutMs: [1_000, 5_000] as const };

describe('DHTCommunity over real UDP on 127.0.0.1', () => {
  it(`${NODES} nodes store signed values and every node finds every value; stop leaves no timer and no open socket`, async () => {
    const hosts: OverlayHost[] = [];
    try {
      for (let i = 0; i < NODES; i++) {
        const host = new OverlayHost({
          endpoint: new UdpEndpoint({ host: LOOPBACK, port: 0 }),
          bootstrap: hosts.length === 0 ? [] : [hosts[0]!.endpoint.address],
        });
        host.register(DHTCommunity, SETTINGS);
        await host.start();
        expect(host.endpoint.address.host).toBe(LOOPBACK);
        hosts.push(host);
        if (i > 0) expect(await host.get(DHTCommunity).bootstrap()).toBeGreaterThan(0);
      }
      const dhts = hosts.map((h) => h.get(DHTCommunity));

      // 5 publishers, 2 signed values each; then each publisher updates its first value once.
      const keys = Array.from({ length: KEYS }, (_, i) => `udp key ${i}`);
      const publisherOf = (i: number): DHTCommunity => dhts[(i % 5) * 4 + 1]!;
      const acks = await Promise.all(keys.map((key, i) => publisherOf(i).storeValue(key, utf8(`udp value ${i} v1`), { sign: true })));
      expect(acks.every((n) => n >= 6)).toBe(true);
      const updated = await Promise.all(keys.slice(0, 5).map((key, i) => publisherOf(i).storeValue(key, utf8(`udp value ${i} v2`), { sign: true })));
      expect(updated.every((n) => n >= 6)).toBe(true);
      const expected = keys.map((_, i) => `udp value ${i} ${i < 5 ? 'v2' : 'v1'}`);

      // One node at a time (each with its 10 lookups in parallel), so a loaded machine does not stretch
      // round trips past the request timeouts.
      const results = [];
      for (const d of dhts) results.push(await d.findMany(keys, { concurrency: KEYS }));
      const wrong: string[] = [];
      results.forEach((perKey, n) =>
        perKey.forEach((r, i) => {
          const ok =
            r.ok &&
            r.value.length === 1 &&
            text(r.value[0]!.data) === expected[i] &&
            r.value[0]!.publicKey?.midHex === publisherOf(i).context.key.publicKey.midHex;
          if (!ok) wrong.push(`node ${n}, key ${i}: ${r.ok ? r.value.map((v) => text(v.data)).join('|') : r.error.reason}`);
        }),
      );
      expect(wrong).toEqual([]);
      for (const d of dhts) {
        expect(d.routingTable.size).toBeGreaterThan(0);
        expect(d.routingTable.contacts().every((c) => c.address.host === LOOPBACK)).toBe(true);
        expect(d.statistics.finds).toBe(KEYS);
        expect(d.statistics.findsWithValues).toBe(KEYS);
      }
    } finally {
      for (const h of hosts) await h.stop();
    }
    for (const h of hosts) {
      expect(h.isRunning).toBe(false);
      expect(h.clock.pendingTimers()).toBe(0);
      expect(h.endpoint.isOpen).toBe(false);
      expect(h.get(DHTCommunity).requests.size).toBe(0);
      expect(h.get(DHTCommunity).stats.handlerErrors).toBe(0);
    }
  });
});
