import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { unsignedRecord } from '../../communities/dht/index.js';
import { FindRequest } from '../../communities/dht/messages.js';
import { PrivateKey, SeededRandom, addressKey, encodePacket, utf8 } from '../../framework/index.js';
import { dhtNet } from '../helpers/dht-net.js';

const FLOOD_PACKETS = 20_000;
const ROUNDS = 20;
const HONEST = 20;

describe('a DHT node under a find flood', () => {
  it(`one source floods ${FLOOD_PACKETS.toLocaleString('en-US')} find requests while ${HONEST} nodes look up through the node: >= 99% succeed, the flooder is banned, state stays bounded`, async () => {
    const net = await dhtNet(1 + HONEST, 9001, {}, 5);
    const [target, ...honest] = net.dhts;
    const host = net.hosts[0]!;
    // values only the target holds, under keys closest to the target's own id (so every lookup reaches it)
    const keys = honest.map((_, i) => {
      const k = Uint8Array.from(target!.nodeId);
      k[19]! ^= i + 1;
      expect(target!.store.put(unsignedRecord(k, utf8(`value ${i}`)), 86_400_000, { origin: 'local' })).toBe('stored');
      return k;
    });
    const flooder = net.network.createEndpoint();
    await flooder.open();
    const key = PrivateKey.generate(new SeededRandom(66));
    const signer = { publicKeyBinary: key.publicKey.toBinary(), sign: (m: Uint8Array) => key.sign(m) };
    const flood = encodePacket(target!.prefix, FindRequest, { id: 1n, target: keys[0]!, records: true, cursor: undefined, publisher: undefined, token: undefined, padding: undefined }, signer);
    const heapBefore = process.memoryUsage().heapUsed;
    let lookups = 0;
    let succeeded = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < FLOOD_PACKETS / ROUNDS; i++) flooder.send(host.endpoint.address, flood);
      const results = await net.clock.settle(
        Promise.allSettled(honest.map((d, i) => d.findValues(keys[(i + round) % keys.length]!))),
      );
      for (const [i, r] of results.entries()) {
        lookups++;
        const want = `value ${(i + round) % keys.length}`;
        if (r.status === 'fulfilled' && r.value.some((v) => new TextDecoder().decode(v.data) === want)) succeeded++;
      }
    }
    const limiter = host.rateLimiter!;
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    // honest lookups were served
    expect(lookups).toBe(ROUNDS * HONEST);
    expect(succeeded / lookups).toBeGreaterThanOrEqual(0.99);
    // the flooder was banned after its burst: at most 200 (burst) + a refill's worth of its finds were answered
    expect(limiter.stats.bans).toBe(1);
    expect(limiter.isBanned(addressKey(flooder.address))).toBe(true);
    expect(flooder.stats.packetsReceived).toBeGreaterThan(0);
    expect(flooder.stats.packetsReceived).toBeLessThanOrEqual(200 + 50);
    expect(host.stats.rateLimited).toBeGreaterThanOrEqual(FLOOD_PACKETS - 250);
    // bounded state: one limiter bucket per source, no pending requests, nothing stored by the flood
    expect(limiter.size).toBeLessThanOrEqual(1 + HONEST + 1);
    expect(target!.requests.size).toBe(0);
    expect(target!.store.size).toBe(HONEST);
    expect(heapGrowthMb).toBeLessThan(64);
    await net.stopAll();
  });
});
