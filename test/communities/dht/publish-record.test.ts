/**
 * `storeRecord`: a record made by the application (signed or not) goes the same way a `storeValue`
 * record does; a malformed or forged record, a bad ttl or an oversized value is refused before anything
 * is sent; `republish: false` leaves the republishing to whoever holds the record.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTError, hashKey, signRecord, unsignedRecord } from '../../../communities/dht/index.js';
import { PrivateKey, SeededRandom, utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';

const reasonOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (error) {
    return error instanceof DHTError ? error.reason : String(error);
  }
};

describe('DHTCommunity.storeRecord', () => {
  it('stores an application-made record where storeValue would, found by any node', async () => {
    const net = await dhtNet(8, 51);
    const [publisher, finder] = [net.dhts[1]!, net.dhts[6]!];
    const record = signRecord(publisher.context.key, hashKey('made here'), utf8('v7'), 7);
    const acks = await net.clock.settle(publisher.storeRecord(record, { ttlMs: 600_000 }));
    expect(acks).toBeGreaterThanOrEqual(3);
    const found = await net.clock.settle(finder.findValues(hashKey('made here')));
    expect(found.map((v) => [new TextDecoder().decode(v.data), v.version])).toEqual([['v7', 7]]);
    await net.stopAll();
  });

  it('refuses a forged record, a bad ttl and an oversized value before sending anything', async () => {
    const net = await dhtNet(4, 52);
    const dht = net.dhts[0]!;
    const sentBefore = Object.values(dht.stats.sent).reduce((a, b) => a + b, 0);
    const forged = { ...signRecord(dht.context.key, hashKey('k'), utf8('real'), 1), data: utf8('fake') };
    expect(await net.clock.settle(reasonOf(dht.storeRecord(forged)))).toBe('rejected');
    const other = PrivateKey.generate(new SeededRandom(3));
    const misattributed = { ...signRecord(other, hashKey('k'), utf8('x'), 1), publicKey: dht.context.key.publicKey.toBinary() };
    expect(await net.clock.settle(reasonOf(dht.storeRecord(misattributed)))).toBe('rejected');
    expect(await net.clock.settle(reasonOf(dht.storeRecord(unsignedRecord(hashKey('k'), utf8('x')), { ttlMs: 0 })))).toBe('invalid-ttl');
    expect(await net.clock.settle(reasonOf(dht.storeRecord(unsignedRecord(hashKey('k'), new Uint8Array(1_025)))))).toBe('too-large');
    expect(Object.values(dht.stats.sent).reduce((a, b) => a + b, 0)).toBe(sentBefore);
    await net.stopAll();
  });

  it('republishes from the publisher unless told not to', async () => {
    const settings = { republishIntervalMs: 600_000, replicateIntervalMs: 36_000_000 };
    const net = await dhtNet(6, 53, settings);
    const dht = net.dhts[2]!;
    await net.clock.settle(dht.storeRecord(unsignedRecord(hashKey('again'), utf8('a'))));
    await net.clock.settle(dht.storeRecord(unsignedRecord(hashKey('once'), utf8('o')), { republish: false }));
    const before = dht.statistics.republications;
    await net.clock.advance(700_000);
    expect(dht.statistics.republications - before).toBe(1); // 'again' only
    await net.stopAll();
  });
});
