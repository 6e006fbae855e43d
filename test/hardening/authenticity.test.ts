import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity, signRecord, unsignedRecord } from '../../communities/dht/index.js';
import type { RecordVerdict, ValueRecord } from '../../communities/dht/index.js';
import { FindRequest, FindResponse, PingRequest } from '../../communities/dht/messages.js';
import { AnnounceRequest, DHTDiscoveryCommunity } from '../../communities/discovery/index.js';
import { PrivateKey, SeededRandom, decodePacket, encodePacket, utf8 } from '../../framework/index.js';
import type { OverlayHost } from '../../framework/index.js';
import { simNet } from '../helpers/memory-nodes.js';
import type { SimNet } from '../helpers/memory-nodes.js';

const KEY = new Uint8Array(20).fill(0x5a);
const TTL_MS = 3_600_000;
const alice = PrivateKey.generate(new SeededRandom(1));
const mallory = PrivateKey.generate(new SeededRandom(2));

let net: SimNet;
let target: OverlayHost;
let client: OverlayHost;
let other: OverlayHost;
const dht = (h: OverlayHost): DHTCommunity => h.get(DHTCommunity);
const disc = (h: OverlayHost): DHTDiscoveryCommunity => h.get(DHTDiscoveryCommunity);
const peerOf = (h: OverlayHost): { id: Uint8Array; address: OverlayHost['endpoint']['address'] } => ({ id: h.key.publicKey.mid, address: h.endpoint.address });

/** A token `target` issued to `h`'s address. */
async function tokenFor(h: OverlayHost): Promise<Uint8Array> {
  return (await net.clock.settle(dht(h).queryFind(peerOf(target), KEY, false))).token;
}

/** `h` sends one store request of `records` (TTL_MS to live) under KEY to `target`, with `token`. */
async function store(h: OverlayHost, token: Uint8Array, records: ValueRecord[]): Promise<RecordVerdict[]> {
  const expiresAt = net.clock.now() + TTL_MS;
  return net.clock.settle(dht(h).values.client.storeOn({ peer: peerOf(target), token }, KEY, records.map((record) => ({ record, expiresAt }))));
}

beforeAll(async () => {
  net = simNet(31337, { latencyMs: 5 });
  const setup = (h: OverlayHost): void => {
    h.register(DHTCommunity);
    h.register(DHTDiscoveryCommunity);
  };
  target = await net.addHost({ setup });
  client = await net.addHost({ bootstrap: [target.endpoint.address], setup });
  other = await net.addHost({ bootstrap: [target.endpoint.address], setup });
  await net.clock.advance(3_000);
});

afterAll(async () => {
  await net.stopAll();
});

describe('authenticity: forged, replayed, mis-attributed and misdirected input is rejected and counted', () => {
  it('a value record whose signature does not verify, or that claims another publisher’s mid → bad-signature', async () => {
    const good = signRecord(alice, KEY, utf8('genuine'), 10);
    const forged = { ...good, data: utf8('tampered') };
    // mallory signs her own data but claims alice's key
    const claimed = { ...signRecord(mallory, KEY, utf8('by mallory'), 11), publicKey: alice.publicKey.toBinary() };
    // alice's genuine signature, re-attributed to another mid by changing the X25519 half of her key
    // binary (Ed25519 does not read it, but the mid is the hash of the whole binary)
    const otherMidKey = alice.publicKey.toBinary();
    otherMidKey[12]! ^= 0x01;
    const reattributed = { ...good, publicKey: otherMidKey };
    const records = [forged, claimed, reattributed];
    expect(await store(client, await tokenFor(client), records)).toEqual(['bad-signature', 'bad-signature', 'bad-signature']);
    expect(dht(target).statistics.storeVerdicts['bad-signature']).toBe(3);
    expect(dht(target).store.get(KEY)).toHaveLength(0);
  });

  it('a replayed older version of a signed value → stale', async () => {
    const token = await tokenFor(client);
    const v1 = signRecord(alice, KEY, utf8('version one'), 100);
    const v2 = signRecord(alice, KEY, utf8('version two'), 200);
    expect(await store(client, token, [v1, v2])).toEqual(['stored', 'updated']);
    expect(await store(other, await tokenFor(other), [v1])).toEqual(['stale']);
    expect(dht(target).statistics.storeVerdicts['stale']).toBe(1);
    expect(dht(target).store.get(KEY).map((v) => v.record.version)).toEqual([200]);
  });

  it('a store token issued to another address → bad-token, and a store replayed after the token expired → bad-token', async () => {
    const clientsToken = await tokenFor(client);
    const record = unsignedRecord(KEY, utf8('stolen token'));
    expect(await store(other, clientsToken, [record])).toEqual(['bad-token']);
    expect(dht(target).statistics.storeVerdicts['bad-token']).toBe(1);
    expect(dht(target).stats.dropped['bad-token']).toBe(1);
    await net.clock.advance(11 * 60_000); // tokens live 5 to 10 minutes
    expect(await store(client, clientsToken, [record])).toEqual(['bad-token']);
    expect(dht(target).statistics.storeVerdicts['bad-token']).toBe(2);
  });

  it('a packet with a forged signature, or signed by one key while carrying another, → dropped as bad-signature', async () => {
    const before = dht(target).stats.dropped['bad-signature'] ?? 0;
    const pingsBefore = dht(target).stats.received['dht-ping-request'] ?? 0;
    const packet = dht(client).encode(PingRequest, { id: 1n });
    packet[packet.length - 1]! ^= 0x01;
    const impostor = encodePacket(dht(client).prefix, PingRequest, { id: 2n }, { publicKeyBinary: alice.publicKey.toBinary(), sign: (m) => mallory.sign(m) });
    client.endpoint.send(target.endpoint.address, packet);
    client.endpoint.send(target.endpoint.address, impostor);
    await net.clock.advance(100);
    expect(dht(target).stats.dropped['bad-signature']).toBe(before + 2);
    expect(dht(target).stats.received['dht-ping-request'] ?? 0).toBe(pingsBefore);
  });

  it('a node answering for another node id → idMismatches, and forged values in a find answer → valuesRejected', async () => {
    const attacker = net.network.createEndpoint();
    await attacker.open();
    const policy = dht(client).values.policy;
    const forged = { record: policy.toWire({ ...signRecord(alice, KEY, utf8('real'), 5), data: utf8('fake') }), ttl: TTL_MS };
    attacker.addListener((data, from) => {
      const req = decodePacket(FindRequest, data, () => true);
      if (!req.ok) return;
      const body = { id: req.value.id, token: new Uint8Array(8), nodes: [], records: [forged], total: 1, more: false, authoritative: true };
      attacker.send(from, encodePacket(dht(client).prefix, FindResponse, body, { publicKeyBinary: mallory.publicKey.toBinary(), sign: (m) => mallory.sign(m) }));
    });
    const c = dht(client);
    const reply = await net.clock.settle(c.queryFind({ id: alice.publicKey.mid, address: attacker.address }, KEY, true));
    expect(reply.found).toBeUndefined();
    expect(c.statistics.valuesRejected).toBe(1);
    expect(c.statistics.idMismatches).toBe(1); // it signed with mallory's key, not the id we asked
  });

  it('an announcement for another mid → announce-mid-mismatch; with another address’s token → announce-bad-token', async () => {
    const storer = disc(target);
    const token = await tokenFor(client);
    const announce = async (mid: Uint8Array, t: Uint8Array): Promise<{ accepted: boolean; reason: string }> => {
      const m = await net.clock.settle(disc(client).sendRequest(target.endpoint.address, AnnounceRequest, { mid, token: t, lan: undefined, relay: undefined, nat: undefined }));
      return m.value as { accepted: boolean; reason: string };
    };
    expect(await announce(other.key.publicKey.mid, token)).toMatchObject({ accepted: false, reason: 'mid-mismatch' });
    expect(storer.stats.dropped['announce-mid-mismatch']).toBe(1);
    expect(await announce(client.key.publicKey.mid, await tokenFor(other))).toMatchObject({ accepted: false, reason: 'bad-token' });
    expect(storer.stats.dropped['announce-bad-token']).toBe(1);
    expect(storer.records.get(other.key.publicKey.midHex).filter((r) => r.address.port === client.endpoint.address.port && r.address.host === client.endpoint.address.host)).toHaveLength(0);
  });
});
