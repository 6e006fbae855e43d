/**
 * What a store reports and who keeps the value: `rejected` (with the storers' verdicts) when every node
 * that answered refused it, a copy on the publisher when it is itself among the k closest, and
 * `findValues` answering from this node's own store when its routing table is empty.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity, DHTError, hashKey } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { simNet } from '../../helpers/memory-nodes.js';
import { dhtNet } from '../../helpers/dht-net.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

describe('store outcomes', () => {
  it("'rejected' with the verdicts when every storer refuses; 'no-nodes' stays for silence", async () => {
    const net = simNet(31);
    const strict = { maxDataBytes: 16 };
    const boot = await net.addHost({ setup: (h) => h.register(DHTCommunity, strict) });
    for (let i = 0; i < 4; i++) {
      const h = await net.addHost({ bootstrap: [boot.endpoint.address], setup: (x) => x.register(DHTCommunity, strict) });
      await net.clock.settle(h.get(DHTCommunity).bootstrap());
    }
    const publisher = (await net.addHost({ bootstrap: [boot.endpoint.address], setup: (h) => h.register(DHTCommunity, {}) })).get(DHTCommunity);
    await net.clock.settle(publisher.bootstrap());
    const error = await net.clock.settle(publisher.storeValue('big for them', new Uint8Array(100), { sign: true })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DHTError);
    expect((error as DHTError).reason).toBe('rejected');
    expect((error as DHTError).message).toContain('5 too-large');
    expect(publisher.statistics.storesFailed).toBe(1);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('the publisher keeps a copy when it is among the k closest, and serves it', async () => {
    const net = await dhtNet(6, 32); // k = 8 > 5 others: the publisher is always among the k closest
    const publisher = net.dhts[2]!;
    expect(await net.clock.settle(publisher.storeValue('kept here too', utf8('v1'), { sign: true }))).toBe(5);
    const held = publisher.store.get(hashKey('kept here too'));
    expect(held).toHaveLength(1);
    expect(held[0]!.origin).toBe('local'); // this node's own value: never charged, never refused for room strangers took
    // Every other holder goes offline: a find still gets it, from the publisher.
    const finder = net.dhts[4]!;
    for (const [i, d] of net.dhts.entries()) if (d !== publisher && d !== finder) await net.hosts[i]!.stop();
    const found = await net.clock.settle(finder.findValues('kept here too'), 60_000);
    expect(found.map((v) => text(v.data))).toEqual(['v1']);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('findValues with an empty routing table returns what this node holds, else no-nodes', async () => {
    const net = await dhtNet(4, 33);
    const publisher = net.dhts[1]!;
    await net.clock.settle(publisher.storeValue('alone', utf8('mine'), { sign: true }));
    // The others go offline first: a node whose table runs empty rejoins at once, and must find nobody.
    for (const [i, h] of net.hosts.entries()) if (i !== 1) await h.stop();
    for (const c of publisher.routingTable.contacts()) publisher.routingTable.remove(c.id);
    expect(publisher.routingTable.size).toBe(0);
    const found = await net.clock.settle(publisher.findValues('alone'));
    expect(found.map((v) => text(v.data))).toEqual(['mine']);
    expect(found[0]!.publicKey?.midHex).toBe(publisher.context.key.publicKey.midHex);
    const missing = await net.clock.settle(publisher.findValues('not held')).catch((e: DHTError) => e.reason);
    expect(missing).toBe('no-nodes');
    expect(await net.stopAndDrain()).toBe(0);
  });
});
