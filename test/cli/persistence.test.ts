import 'reflect-metadata';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../framework/index.js';
import { hashKey } from '../../communities/dht/index.js';
import { NodeStartError } from '../../cli/errors.js';
import { Publisher } from '../../cli/node/publisher.js';
import { RoutingPersistence } from '../../cli/node/routing-persistence.js';
import { StateDb } from '../../cli/node/state-db.js';
import { openStateDir } from '../../cli/node/state-dir.js';
import { SWEEP_INTERVAL_MS, ValuePersistence } from '../../cli/node/value-persistence.js';
import { silentLogger } from '../../framework/index.js';
import { dhtNet } from '../helpers/dht-net.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'peerlay-state-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('value persistence (LMDB write-through)', () => {
  it('writes every value accepted from another node to disk, and restores it with the remaining ttl', async () => {
    const net = await dhtNet(4, 7);
    const [publisher, holder] = [net.dhts[0]!, net.dhts[1]!];
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    const persistence = new ValuePersistence(holder, db, net.clock, silentLogger);
    persistence.start();
    const acks = await net.clock.settle(publisher.storeValue('persisted', utf8('on disk'), { sign: true, ttl: 600 }));
    expect(acks).toBeGreaterThan(0);
    const onDisk = [...db.entries()];
    expect(onDisk).toHaveLength(1);
    expect(Buffer.from(onDisk[0]!.data).toString()).toBe('on disk');
    expect(onDisk[0]!.origin).toBe('store');

    // A fresh node (another process, say) restores from the same database 100 s later.
    await net.clock.advance(100_000);
    const fresh = await net.addDhtNode();
    const restored = new ValuePersistence(fresh, db, net.clock, silentLogger).restore();
    expect(restored).toMatchObject({ restored: 1, expired: 0, refused: 0 });
    const [held] = fresh.store.get(hashKey('persisted'));
    expect(Buffer.from(held!.record.data).toString()).toBe('on disk');
    const remainingMs = held!.expiresAt - net.clock.now();
    expect(remainingMs).toBeGreaterThan(480_000);
    expect(remainingMs).toBeLessThanOrEqual(500_000);
    persistence.stop();
    await db.close();
    await net.stopAll();
  });

  it('sweeps expired values from disk on the node clock and never restores them', async () => {
    const net = await dhtNet(3, 11);
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    const dht = net.dhts[0]!;
    const persistence = new ValuePersistence(dht, db, net.clock, silentLogger);
    persistence.start();
    const publisher = new Publisher(dht, persistence);
    await net.clock.settle(publisher.publish(hashKey('short'), utf8('brief'), { ttl: 30 }));
    await net.clock.settle(publisher.publish(hashKey('long'), utf8('lasting'), { ttl: 3_600 }));
    expect(db.size).toBe(2);
    await net.clock.advance(SWEEP_INTERVAL_MS); // the sweep timer fires after the short value expired
    expect(db.size).toBe(1);
    expect(Buffer.from([...db.entries()][0]!.data).toString()).toBe('lasting');
    await net.clock.advance(3_600_000);
    const fresh = await net.addDhtNode();
    expect(new ValuePersistence(fresh, db, net.clock, silentLogger).restore().restored).toBe(0);
    expect(db.size).toBe(0);
    persistence.stop();
    await db.close();
    await net.stopAll();
  });

  it("keeps this node's own values as local, and new signed versions stay above the ones on disk", async () => {
    const net = await dhtNet(3, 13);
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    const dht = net.dhts[0]!;
    const persistence = new ValuePersistence(dht, db, net.clock, silentLogger);
    const result = await net.clock.settle(new Publisher(dht, persistence).publish(hashKey('mine'), utf8('v1'), { sign: true }));
    expect(result.acks).toBeGreaterThan(0);
    expect([...db.entries()].map((e) => e.origin)).toEqual(['local']);
    expect(persistence.restore().lastOwnVersion).toBe(result.record.version);
    await db.close();
    await net.stopAll();
  });
});

describe('routing table persistence', () => {
  it('saves the routing table and loads it into a new table', async () => {
    const net = await dhtNet(5, 17);
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    const dht = net.dhts[0]!;
    const routing = new RoutingPersistence(dht, db, net.clock, silentLogger);
    expect(routing.save()).toBe(dht.routingTable.size);
    expect(dht.routingTable.size).toBeGreaterThan(0);
    const other = await net.addDhtNode();
    const before = other.routingTable.size;
    const addresses = new RoutingPersistence(other, db, net.clock, silentLogger).restore();
    expect(addresses.length).toBeGreaterThan(0);
    expect(other.routingTable.size).toBeGreaterThanOrEqual(before);
    await db.close();
    await net.stopAll();
  });
});

describe('state directory', () => {
  it('creates a 0600 key and a 0700 directory, keeps the key, and refuses a second live user', async () => {
    const dir = join(tempDir(), 'state');
    const first = await openStateDir(dir);
    expect(statSync(join(dir, 'peer.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const mid = first.key.publicKey.midHex;
    await first.close();
    const again = await openStateDir(dir);
    expect(again.key.publicKey.midHex).toBe(mid);
    expect(toHex(again.key.publicKey.mid)).toBe(mid);
    await again.close();
    writeFileSync(join(dir, 'node.pid'), `${process.ppid}\n`); // a live process holds the directory
    await expect(openStateDir(dir)).rejects.toThrow(NodeStartError);
    rmSync(join(dir, 'node.pid'));
  });
});
