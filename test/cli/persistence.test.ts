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
import { restoreRecords } from '../../cli/node/record-restore.js';
import { silentLogger } from '../../framework/index.js';
import { dhtNet } from '../helpers/dht-net.js';
import { overlayNet } from '../helpers/overlay-net.js';
import { BagCommunity } from '../../communities/bag/index.js';
import { DHTCommunity } from '../../communities/dht/index.js';
import { NamespaceCommunity, namespaceLocation } from '../../communities/namespace/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'peerlay-state-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('record persistence (every record type, LMDB write-through)', () => {
  it('writes every record each type accepts to disk before acknowledging it, and a fresh node restores all of them', async () => {
    const dir = tempDir();
    const holderDb = StateDb.open(join(dir, 'node.mdb'));
    let built = 0;
    const net = await overlayNet(4, 7, (host) => {
      const datastore = built++ === 1 ? holderDb : undefined; // the second host is the holder
      host.register(BagCommunity, { datastore });
      host.register(NamespaceCommunity, { datastore });
    }, { dhtFor: (i) => (i === 1 ? { datastore: holderDb } : {}) });
    const [publisher, holder] = [net.hosts[0]!, net.hosts[1]!];
    expect(holder.get(DHTCommunity).settings.datastore).toBe(holderDb);
    await net.clock.settle(publisher.get(DHTCommunity).storeValue('persisted', utf8('on disk'), { sign: true, ttlMs: 600_000 }));
    await net.clock.settle(publisher.get(BagCommunity).add('topic', utf8('entry'), { ttlMs: 600_000 }));
    await net.clock.settle(publisher.get(NamespaceCommunity).set('nick', utf8('name'), { ttlMs: 600_000 }));
    expect([holderDb.count('value'), holderDb.count('bag'), holderDb.count('namespace')]).toEqual([1, 1, 1]);

    // Another process restores from the same database 100 s later.
    await net.clock.advance(100_000);
    const fresh = await net.addHost({
      setup: (h) => {
        h.register(DHTCommunity, { datastore: holderDb });
        h.register(BagCommunity, { datastore: holderDb });
        h.register(NamespaceCommunity, { datastore: holderDb });
      },
    });
    const nodes = { dht: fresh.get(DHTCommunity), bag: fresh.get(BagCommunity), namespace: fresh.get(NamespaceCommunity) };
    const report = restoreRecords(nodes, holderDb, net.clock.now());
    expect(report.counts).toMatchObject({ valueRestored: 1, bagRestored: 1, namespaceRestored: 1, valueRefused: 0, bagRefused: 0, namespaceRefused: 0 });
    const [held] = nodes.dht.store.get(hashKey('persisted'));
    expect(Buffer.from(held!.record.data).toString()).toBe('on disk');
    const remainingMs = held!.expiresAt - net.clock.now();
    expect(remainingMs).toBeGreaterThan(480_000);
    expect(remainingMs).toBeLessThanOrEqual(500_000);
    expect(nodes.bag.entries.store.get(hashKey('topic')).map((h) => Buffer.from(h.record.value).toString())).toEqual(['entry']);
    const location = namespaceLocation(publisher.key.publicKey.toBinary(), utf8('nick'));
    expect(nodes.namespace.records.store.get(location).map((h) => Buffer.from(h.record.value).toString())).toEqual(['name']);
    await net.stopAll();
    await holderDb.close();
  });

  it('removes records from disk when they expire, and never restores an expired one', async () => {
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    const net = await overlayNet(3, 11, () => undefined, { dhtFor: (i) => (i === 0 ? { datastore: db } : {}) });
    const dht = net.dhts[0]!;
    const publisher = new Publisher(dht);
    await net.clock.settle(publisher.publish(hashKey('short'), utf8('brief'), { ttlMs: 30_000 }));
    await net.clock.settle(publisher.publish(hashKey('long'), utf8('lasting'), { ttlMs: 3_600_000 }));
    expect(db.count('value')).toBe(2);
    await net.clock.advance(120_000); // the value engine's upkeep sweeps the short value
    expect(db.count('value')).toBe(1);
    await net.clock.advance(3_600_000);
    expect(db.count('value')).toBe(0);
    await net.stopAll();
    await db.close();
  });

  it("keeps this node's own values as local, and new signed versions stay above the ones on disk", async () => {
    const db = StateDb.open(join(tempDir(), 'node.mdb'));
    const net = await overlayNet(3, 13, () => undefined, { dhtFor: (i) => (i === 0 ? { datastore: db } : {}) });
    const dht = net.dhts[0]!;
    const result = await net.clock.settle(new Publisher(dht).publish(hashKey('mine'), utf8('v1'), { sign: true }));
    expect(result.acks).toBeGreaterThan(0);
    expect([...db.entries('value')].map((e) => e.origin)).toEqual(['local']);
    const fresh = await net.addHost({
      setup: (h) => {
        h.register(DHTCommunity, { datastore: db });
        h.register(BagCommunity);
        h.register(NamespaceCommunity);
      },
    });
    // The fresh host has another key: its own versions start at 0; the restored ones are the first node's.
    const report = restoreRecords({ dht: fresh.get(DHTCommunity), bag: fresh.get(BagCommunity), namespace: fresh.get(NamespaceCommunity) }, db, net.clock.now());
    expect(report.counts.valueRestored).toBe(1);
    expect(report.lastOwnVersion).toBe(0);
    const again = restoreRecords({ dht, bag: fresh.get(BagCommunity), namespace: fresh.get(NamespaceCommunity) }, db, net.clock.now());
    expect(again.lastOwnVersion).toBe(result.record.version);
    await net.stopAll();
    await db.close();
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
    writeFileSync(join(dir, 'node.pid'), `${process.ppid}\n`); // a live process holds the directory (an older, pid-only lock)
    await expect(openStateDir(dir)).rejects.toThrow(NodeStartError);
    await expect(openStateDir(dir)).rejects.toThrow(`another node (pid ${process.ppid}) is using the state directory`);
    rmSync(join(dir, 'node.pid'));
    const third = await openStateDir(dir); // the lock gone, the directory opens again
    expect(third.key.publicKey.midHex).toBe(mid);
    await third.close();
  });
});
