/**
 * Absolute expiration (`expiresAt`), lifetimes beyond the storers' grant (renewed by the publisher until
 * the requested end, up to `maxLifetimeMs`), and `findValues(key, { latest: true })` against storers that
 * hold different versions. In-memory network, ManualClock.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { compareDistance, DHTError, hashKey, signRecord } from '../../../communities/dht/index.js';
import { MAX_LIFETIME_MS } from '../../../communities/dht/settings.js';
import { toHex, utf8 } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function reason(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (error) {
    return error instanceof DHTError ? error.reason : String(error);
  }
}

describe('absolute expiration', () => {
  it('expiresAt within a day: storers keep the value until then, then it is gone', async () => {
    const net = await dhtNet(12, 1501);
    const [publisher, reader] = [net.dhts[3]!, net.dhts[9]!];
    const at = net.clock.now() + 10 * 60_000;
    expect(await net.clock.settle(publisher.storeValue('ten minutes', utf8('v'), { sign: true, expiresAt: at }))).toBeGreaterThan(0);
    const [found] = await net.clock.settle(reader.findValues('ten minutes', { cache: false }));
    expect(text(found!.data)).toBe('v');
    expect(Math.abs(found!.expiresAt - at)).toBeLessThan(100); // the wire carries what is left: exact to the network delay
    await net.clock.advance(10 * 60_000 + 61_000); // past the expiry and one sweep
    expect(await net.clock.settle(reader.findValues('ten minutes', { cache: false }))).toEqual([]);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('ttlMs and expiresAt together, a past expiresAt, and one beyond maxLifetimeMs are invalid-ttl', async () => {
    const net = await dhtNet(3, 1502);
    const d = net.dhts[1]!;
    const now = net.clock.now();
    expect(await reason(d.storeValue('k', utf8('v'), { ttlMs: 1_000, expiresAt: now + 1_000 }))).toBe('invalid-ttl');
    expect(await reason(d.storeValue('k', utf8('v'), { expiresAt: now - 1 }))).toBe('invalid-ttl');
    expect(await reason(d.storeValue('k', utf8('v'), { expiresAt: now + MAX_LIFETIME_MS + 1 }))).toBe('invalid-ttl');
    expect(await reason(d.storeValue('k', utf8('v'), { ttlMs: MAX_LIFETIME_MS + 1 }))).toBe('invalid-ttl');
    expect(await reason(d.storeValue('k', utf8('v'), { expiresAt: Number.NaN }))).toBe('invalid-ttl');
    await expect(d.storeValue('k', utf8('v'), { ttlMs: 1, expiresAt: now + 5 })).rejects.toThrow('give ttlMs or expiresAt, not both');
    expect(await reason(d.storeRecord(signRecord(d.context.key, hashKey('k'), utf8('v'), 1), { expiresAt: now + 3 * DAY, republish: false }))).toBe('invalid-ttl');
    expect(d.statistics.storesSucceeded + d.statistics.storesFailed).toBe(0); // nothing was sent
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a 3-day lifetime: storers grant 24 h at a time, the publisher renews it until the end, then it expires', async () => {
    const net = await dhtNet(10, 1503, { maintenanceIntervalMs: 10 * 60_000 });
    const [publisher, reader] = [net.dhts[2]!, net.dhts[7]!];
    const start = net.clock.now();
    const end = start + 3 * DAY;
    await net.clock.settle(publisher.storeValue('three days', utf8('long'), { sign: true, expiresAt: end }));
    const first = await net.clock.settle(reader.findValues('three days', { cache: false }));
    expect(first[0]!.expiresAt).toBeLessThanOrEqual(net.clock.now() + DAY); // a grant of a day, not the end
    expect(first[0]!.expiresAt).toBeLessThan(end);
    const own = [...publisher.values.own.values()];
    expect(own).toHaveLength(1);
    expect(own[0]!.until).toBe(end);
    // Still there on day 2 and day 3: it was renewed past the first grant.
    for (const day of [1.5, 2.5]) {
      await net.clock.advance(start + day * DAY - net.clock.now());
      const found = await net.clock.settle(reader.findValues('three days', { cache: false }));
      expect(found.map((v) => text(v.data))).toEqual(['long']);
      expect(found[0]!.expiresAt).toBeLessThan(end + 100);
    }
    // The last grant ends at the requested expiry, to the millisecond...
    const late = await net.clock.settle(reader.findValues('three days', { cache: false }));
    expect(Math.abs(late[0]!.expiresAt - end)).toBeLessThan(100);
    // ...and nothing renews it after that.
    await net.clock.advance(end - net.clock.now() + 30 * 60_000);
    expect(await net.clock.settle(reader.findValues('three days', { cache: false }))).toEqual([]);
    expect(publisher.values.own.size).toBe(0);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a publisher gone offline: its long-lived value lives at most one grant (maxTtlMs) longer', async () => {
    const net = await dhtNet(10, 1504, { maintenanceIntervalMs: 10 * 60_000 });
    const [publisher, reader] = [net.dhts[2]!, net.dhts[7]!];
    const start = net.clock.now();
    await net.clock.settle(publisher.storeValue('orphan', utf8('x'), { sign: true, expiresAt: start + 10 * DAY }));
    await net.hosts[2]!.stop();
    await net.clock.advance(DAY - HOUR);
    expect((await net.clock.settle(reader.findValues('orphan', { cache: false }))).length).toBe(1);
    await net.clock.advance(2 * HOUR);
    expect(await net.clock.settle(reader.findValues('orphan', { cache: false }))).toEqual([]);
    expect(await net.stopAndDrain()).toBe(0);
  });
});

describe('findValues latest', () => {
  it('stale storers: latest asks every storer reached and returns the newest version the quorum missed', async () => {
    const net = await dhtNet(40, 1505);
    const publisher = net.dhts[5]!;
    const key = hashKey('versions');
    await net.clock.settle(publisher.storeValue(key, utf8('v1'), { sign: true }));
    const holders = net.dhts.filter((d) => d !== publisher && d.store.get(key).length > 0).sort((a, b) => compareDistance(key, a.nodeId, b.nodeId));
    const reader = net.dhts.find((d) => d !== publisher && !holders.includes(d))!;
    // A find without `latest` stops at its quorum: some holders are never asked.
    const asked = new Set<string>();
    const quick = await net.clock.settle(reader.findValues(key, { cache: false, onEvent: (e) => e.type === 'query' && asked.add(e.peer.id) }));
    expect(quick.map((v) => text(v.data))).toEqual(['v1']);
    const missed = holders.filter((d) => !asked.has(toHex(d.nodeId)));
    expect(missed.length).toBeGreaterThan(0);
    // Version 2 reached only one of those (an update the others missed: a stale majority).
    const v2 = signRecord(publisher.context.key, key, utf8('v2'), Number.MAX_SAFE_INTEGER - 1);
    expect(missed[0]!.store.put(v2, HOUR, { origin: 'store' })).toBe('updated');
    const queriesBefore = reader.statistics.queries;
    const latest = await net.clock.settle(reader.findValues(key, { latest: true }));
    expect(latest.map((v) => text(v.data))).toEqual(['v2']);
    expect(latest[0]!.version).toBe(Number.MAX_SAFE_INTEGER - 1);
    expect(reader.statistics.queries - queriesBefore).toBeGreaterThan(asked.size);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('latest orders the values freshest first (latest expiry), and bypasses the cache', async () => {
    const net = await dhtNet(12, 1506);
    const [a, b, reader] = [net.dhts[1]!, net.dhts[2]!, net.dhts[8]!];
    await net.clock.settle(a.storeValue('party', utf8('alice'), { sign: true, ttlMs: HOUR }));
    await net.clock.settle(b.storeValue('party', utf8('bob'), { sign: true, ttlMs: 2 * HOUR }));
    const fresh = await net.clock.settle(reader.findValues('party', { latest: true }));
    expect(fresh.map((v) => text(v.data))).toEqual(['bob', 'alice']);
    expect(fresh[0]!.expiresAt).toBeGreaterThan(fresh[1]!.expiresAt);
    const hits = reader.statistics.cacheHits;
    await net.clock.settle(reader.findValues('party', { latest: true }));
    expect(reader.statistics.cacheHits).toBe(hits);
    expect(await net.stopAndDrain()).toBe(0);
  });
});
