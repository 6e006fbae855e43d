/**
 * Issue #15: a one-node network keeps and finds its values (a store on a lone node resolves with 0 acks,
 * and the value reaches the network once other nodes are known), and "nobody answered" is an error
 * (`unreachable`) distinct from "nothing found" (`[]`).
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { DHTCommunity, DHTError, hashKey, unsignedRecord } from '../../../communities/dht/index.js';
import type { DHTSettings } from '../../../communities/dht/index.js';
import { toHttpError } from '../../../cli/http/errors.js';
import { dhtNet } from '../../helpers/dht-net.js';
import { simNet } from '../../helpers/memory-nodes.js';
import { captureIo } from '../../cli/helpers.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Rejects unless `p` rejects with a `DHTError` of `reason`; returns the error. */
async function expectDHTError(p: Promise<unknown>, reason: DHTError['reason']): Promise<DHTError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DHTError);
  expect((error as DHTError).reason).toBe(reason);
  return error as DHTError;
}

const SETTINGS: DHTSettings = { republishIntervalMs: 600_000, maintenanceIntervalMs: 60_000 };

describe('a one-node network', () => {
  it('keeps a stored value (0 acks: held only here) and finds it, signed or not', async () => {
    const net = simNet(151);
    const host = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const dht = host.get(DHTCommunity);
    expect(dht.routingTable.size).toBe(0);
    const sent = host.endpoint.stats.packetsSent;

    expect(await dht.storeValue('alone', utf8('only here'))).toBe(0);
    expect(await dht.storeValue('alone', utf8('signed here'), { sign: true })).toBe(0);

    const found = await dht.findValues('alone');
    expect(found.map((v) => text(v.data)).sort()).toEqual(['only here', 'signed here']);
    expect(found.find((v) => text(v.data) === 'signed here')!.publicKey?.midHex).toBe(dht.context.key.publicKey.midHex);
    expect(dht.values.own.size).toBe(2); // remembered for republishing
    expect(dht.statistics.storesSucceeded).toBe(2);
    expect(dht.statistics.storesFailed).toBe(0);
    expect(host.endpoint.stats.packetsSent).toBe(sent); // nobody to send to
    // Nothing held under another key: there is nobody to ask at all.
    await expectDHTError(dht.findValues('never stored'), 'no-nodes');
    await net.stopAll();
  });

  it('offers the value to the network once a second node is known', async () => {
    const net = simNet(152, { latencyMs: 10 });
    const lone = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const a = lone.get(DHTCommunity);
    expect(await a.storeValue('first', utf8('before anyone came'), { sign: true })).toBe(0);

    const second = await net.addHost({ bootstrap: [lone.endpoint.address], setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const b = second.get(DHTCommunity);
    await net.clock.settle(b.bootstrap());
    expect(a.routingTable.size).toBe(1);
    const key = hashKey('first');
    expect(b.store.get(key)).toHaveLength(0);

    // Within one republish interval (plus an upkeep round), A offers its own value to the k closest.
    await net.clock.advance(SETTINGS.republishIntervalMs! + 2 * SETTINGS.maintenanceIntervalMs!);
    const held = b.store.get(key);
    expect(held.map((h) => text(h.record.data))).toEqual(['before anyone came']);
    expect(a.values.statistics.republications).toBeGreaterThanOrEqual(1);

    // B now answers for it without A.
    await lone.stop();
    const found = await net.clock.settle(b.findValues('first'));
    expect(found.map((v) => text(v.data))).toEqual(['before anyone came']);
    await net.stopAll();
  });
});

describe('"nobody answered" is not "nothing found"', () => {
  it('rejects with unreachable when every contact is silent; [] for a key nobody holds on a healthy network', async () => {
    const net = await dhtNet(6, 153);
    const d = net.dhts[5]!;
    expect(await net.clock.settle(d.findValues('nobody holds this'))).toEqual([]);

    const self = net.hosts[5]!.endpoint.address;
    net.network.partition([self], net.hosts.slice(0, 5).map((h) => h.endpoint.address));
    expect(d.routingTable.size).toBeGreaterThan(0);
    const error = await expectDHTError(net.clock.settle(d.findValues('nobody holds this')), 'unreachable');
    expect(error.message).toMatch(/try again later/);

    // What this node holds itself is still returned while nobody answers.
    d.store.put(unsignedRecord(hashKey('held'), utf8('mine')), 60_000, { origin: 'local' });
    const held = await net.clock.settle(d.findValues('held'));
    expect(held.map((v) => text(v.data))).toEqual(['mine']);
    await net.stopAll();
  });

  it('every packet lost: unreachable, then the same call finds the value once the links work again', async () => {
    const net = await dhtNet(6, 154);
    const d = net.dhts[5]!;
    const self = net.hosts[5]!.endpoint.address;
    const others = net.hosts.slice(0, 5).map((h) => h.endpoint.address);
    const links = (options: { lossRate: number } | undefined): void => {
      for (const other of others) {
        net.network.setLinkOptions(self, other, options);
        net.network.setLinkOptions(other, self, options);
      }
    };
    links({ lossRate: 1 });
    expect(await net.clock.settle(net.dhts[1]!.storeValue('later', utf8('v')))).toBeGreaterThan(0); // on the others, not on d
    expect(d.store.get(hashKey('later'))).toHaveLength(0);
    await expectDHTError(net.clock.settle(d.findValues('later')), 'unreachable');
    links(undefined);
    const found = await net.clock.settle(d.findValues('later'));
    expect(found.map((v) => text(v.data))).toEqual(['v']);
    await net.stopAll();
  });

  it('the HTTP API answers unreachable with 504', () => {
    const http = toHttpError(new DHTError('no node answered the lookup; try again later', 'unreachable'));
    expect(http.status).toBe(504);
    expect(http.code).toBe('unreachable');
  });
});

describe('the CLI', () => {
  it('put on a lone node exits 0 saying where the value is; get with no answer exits 1 saying to try again', async () => {
    // A node's API as a lone node answers it: PUT with 0 acks, GET with a 504 unreachable.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.method === 'PUT') {
          res.end(JSON.stringify({ key: '00'.repeat(20), acks: 0, signed: false, version: 0, expiresAt: 86_400_000 }));
        } else {
          res.statusCode = 504;
          res.end(JSON.stringify({ error: { code: 'unreachable', message: 'no node answered the lookup; try again later' } }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const put = captureIo();
      expect(await main(['put', 'alone', 'v', '--api', api], put)).toBe(0);
      expect(put.out()).toMatch(/^stored on this node only \(no other node is known yet\) \(key 0{40}, unsigned/);
      const get = captureIo();
      expect(await main(['get', 'alone', '--api', api], get)).toBe(1);
      expect(get.err()).toMatch(/^peerlay get: unreachable: no node answered, so whether a value is stored under alone is unknown \(not "nothing found"\); try again later\n/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
