import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity, unsignedRecord } from '../../communities/dht/index.js';
import { FindRequest, FindResponse, PingRequest, StoreRequest } from '../../communities/dht/messages.js';
import type { ValueWireValue } from '../../communities/dht/value-policy.js';
import { valueId } from '../../communities/dht/value-policy.js';
import { AnnounceRequest, DHTDiscoveryCommunity, FindPeerRequest, HelloRequest } from '../../communities/discovery/index.js';
import { PUNCTURE_DELAYS_MS } from '../../communities/discovery/puncturer.js';
import {
  IntroductionRequest,
  PrivateKey,
  SeededRandom,
  decodePacket,
  encodeBody,
  encodePacket,
} from '../../framework/index.js';
import type { Address, MemoryEndpoint, MessageSpec, OverlayHost } from '../../framework/index.js';
import { simNet } from '../helpers/memory-nodes.js';
import type { SimNet } from '../helpers/memory-nodes.js';

const FACTOR = 3;
const KEY = new Uint8Array(20).fill(0xab);
const TTL_MS = 3_600_000;

/** A raw, unproven source: an endpoint and a key, sending hand-built signed requests and adding up what comes back. */
interface Attacker {
  endpoint: MemoryEndpoint;
  key: PrivateKey;
  received: Uint8Array[];
}

let net: SimNet;
let target: OverlayHost;
let attacker: Attacker;

/** One request and everything that reached its sender afterwards. */
interface Exchange {
  request: number;
  largest: number;
  total: number;
  replies: Uint8Array[];
}

/** Sends one request and returns its size, the largest single reply and the total bytes that reached the sender. */
async function exchange<T>(prefix: Uint8Array, spec: MessageSpec<T>, body: T): Promise<Exchange> {
  const signer = { publicKeyBinary: attacker.key.publicKey.toBinary(), sign: (m: Uint8Array) => attacker.key.sign(m) };
  const packet = encodePacket(prefix, spec, body, signer);
  attacker.received = [];
  attacker.endpoint.send(target.endpoint.address, packet);
  await net.clock.advance(500);
  const replies = attacker.received;
  return { request: packet.length, largest: Math.max(0, ...replies.map((r) => r.length)), total: replies.reduce((a, r) => a + r.length, 0), replies };
}

beforeAll(async () => {
  net = simNet(777, { latencyMs: 5 });
  const setup = (h: OverlayHost): void => {
    h.register(DHTCommunity);
    h.register(DHTDiscoveryCommunity);
  };
  target = await net.addHost({ setup });
  for (let i = 0; i < 11; i++) {
    const h = await net.addHost({ bootstrap: [target.endpoint.address], setup });
    await net.clock.settle(h.get(DHTCommunity).bootstrap());
  }
  await net.clock.advance(5_000); // announcements done
  // worst-case data at the target: 64 values of the maximum size under one key ...
  const dht = target.get(DHTCommunity);
  for (let i = 0; i < 64; i++) expect(dht.store.put(unsignedRecord(KEY, new Uint8Array(1_024).fill(i)), TTL_MS, { origin: 'local' })).toBe('stored');
  // ... and a mid held at 4 addresses, each of a node that keeps the target as a storer (so each introduction makes a puncture)
  const disc = target.get(DHTDiscoveryCommunity);
  const storersOfTarget = net.hosts.slice(1).filter((h) => h.get(DHTDiscoveryCommunity).announcer.isStorer(target.key.publicKey.mid));
  expect(storersOfTarget.length).toBeGreaterThanOrEqual(4);
  const victimKey = net.hosts[1]!.key.publicKey;
  for (const h of storersOfTarget.slice(0, 4)) disc.records.upsert(victimKey, h.endpoint.address, net.clock.now());
  const endpoint = net.network.createEndpoint();
  await endpoint.open();
  attacker = { endpoint, key: PrivateKey.generate(new SeededRandom(5)), received: [] };
  endpoint.addListener((data: Uint8Array) => attacker.received.push(data));
});

afterAll(async () => {
  await net.stopAll();
});

describe('amplification: before a source proves its address, nothing it causes is more than 3x its request', () => {
  const dhtPrefix = (): Uint8Array => target.get(DHTCommunity).prefix;
  const discPrefix = (): Uint8Array => target.get(DHTDiscoveryCommunity).prefix;
  const peerMid = (): Uint8Array => net.hosts[1]!.key.publicKey.mid;
  const junkToken = new Uint8Array(8).fill(1);
  const item = (n: number): { record: ValueWireValue; ttl: number } => ({ record: unsignedWire(new Uint8Array(n).fill(7)), ttl: TTL_MS });
  const find = (id: bigint, target: Uint8Array, records: boolean, o: { cursor?: Uint8Array; token?: Uint8Array; padding?: Uint8Array } = {}) => ({
    id,
    target,
    records,
    cursor: o.cursor,
    publisher: undefined,
    token: o.token,
    padding: o.padding,
  });
  const self = (): Address => attacker.endpoint.address;

  const cases: Array<[string, () => Promise<Exchange>]> = [
    ['dht ping', () => exchange(dhtPrefix(), PingRequest, { id: 1n })],
    ['dht find (nodes)', () => exchange(dhtPrefix(), FindRequest, find(2n, KEY, false))],
    ['dht find (64 x 1 KB values)', () => exchange(dhtPrefix(), FindRequest, find(3n, KEY, true))],
    ['dht find (64 x 1 KB values, padded)', () => exchange(dhtPrefix(), FindRequest, find(12n, KEY, true, { padding: new Uint8Array(300) }))],
    ['dht find (bad token)', () => exchange(dhtPrefix(), FindRequest, find(4n, KEY, true, { token: junkToken }))],
    ['dht store (bad token)', () => exchange(dhtPrefix(), StoreRequest, { id: 5n, token: junkToken, location: KEY, cache: false, cas: undefined, records: [item(8)] })],
    ['dht cache (bad token)', () => exchange(dhtPrefix(), StoreRequest, { id: 6n, token: junkToken, location: KEY, cache: true, cas: undefined, records: [item(8)] })],
    ['discovery find-peer (4 addresses)', () => exchange(discPrefix(), FindPeerRequest, { id: 7n, mid: peerMid(), token: undefined, lan: undefined, nat: undefined })],
    ['discovery announce', () => exchange(discPrefix(), AnnounceRequest, { id: 8n, mid: attacker.key.publicKey.mid, token: junkToken, lan: undefined, relay: undefined, nat: undefined })],
    ['discovery hello', () => exchange(discPrefix(), HelloRequest, { id: 9n })],
    ['framework introduction (dht)', () => exchange(dhtPrefix(), IntroductionRequest, { identifier: 10n, destination: target.endpoint.address, sourceLan: self() })],
    ['framework introduction (discovery)', () => exchange(discPrefix(), IntroductionRequest, { identifier: 11n, destination: target.endpoint.address, sourceLan: self() })],
  ];

  for (const [name, run] of cases) {
    it(`${name}: every reply, and all replies together, within ${FACTOR}x`, async () => {
      const r = await run();
      expect(r.replies.length).toBeGreaterThan(0);
      expect(r.largest).toBeLessThanOrEqual(FACTOR * r.request);
      expect(r.total).toBeLessThanOrEqual(FACTOR * r.request);
    });
  }

  it('a find-peer with a valid token gets every address the storer holds', async () => {
    const first = await exchange(dhtPrefix(), FindRequest, find(20n, KEY, false));
    const token = findToken(first.replies);
    const r = await exchange(discPrefix(), FindPeerRequest, { id: 21n, mid: peerMid(), token, lan: undefined, nat: undefined });
    // The response, and from each of the 4 peers a proven requester's round of punctures (0/150/400 ms).
    expect(r.replies.length).toBe(1 + 4 * PUNCTURE_DELAYS_MS.length);
  });

  it('with a valid token, find pages fill the datagram up to the limit', async () => {
    const max = target.endpoint.maxPacketBytes;
    const first = await exchange(dhtPrefix(), FindRequest, find(30n, KEY, true));
    const token = findToken(first.replies);
    const oneValue = itemBytes(1_024);
    let got = 0;
    let cursor: Uint8Array | undefined;
    for (let page = 0n; got < 64; page++) {
      const r = await exchange(dhtPrefix(), FindRequest, find(31n + page, KEY, true, { cursor, token }));
      const v = decodeFind(r.replies);
      expect(v.records.length).toBeGreaterThan(0);
      expect(r.largest).toBeLessThanOrEqual(max);
      expect(r.largest).toBeGreaterThan(max - oneValue); // no room left for another value
      expect(r.largest).toBeGreaterThan(FACTOR * r.request); // more than an unproven source would get
      cursor = lastId(KEY, v.records);
      got += v.records.length;
    }
    expect(got).toBe(64);
  });

  it('small values: a proven page holds as many as fit in one datagram', async () => {
    const dht = target.get(DHTCommunity);
    const small = new Uint8Array(20).fill(0xcd);
    for (let i = 0; i < 64; i++) expect(dht.store.put(unsignedRecord(small, new Uint8Array(150).fill(i)), TTL_MS, { origin: 'local' })).toBe('stored');
    const first = await exchange(dhtPrefix(), FindRequest, find(40n, small, true));
    expect(first.largest).toBeLessThanOrEqual(FACTOR * first.request);
    const r = await exchange(dhtPrefix(), FindRequest, find(41n, small, true, { token: findToken(first.replies) }));
    expect(r.largest).toBeGreaterThan(target.endpoint.maxPacketBytes - itemBytes(150));
    expect(decodeFind(r.replies).records.length).toBeGreaterThan(decodeFind(first.replies).records.length);
  });

  it('a tokenless find padded to a third of a datagram gets a full page at once, still within 3x', async () => {
    const dht = target.get(DHTCommunity);
    const key = new Uint8Array(20).fill(0xce);
    for (let i = 0; i < 64; i++) expect(dht.store.put(unsignedRecord(key, new Uint8Array(150).fill(i)), TTL_MS, { origin: 'local' })).toBe('stored');
    const bare = await exchange(dhtPrefix(), FindRequest, find(50n, key, true));
    const padded = await exchange(dhtPrefix(), FindRequest, find(51n, key, true, { padding: new Uint8Array(300) }));
    expect(padded.request).toBeGreaterThanOrEqual(Math.ceil(target.endpoint.maxPacketBytes / FACTOR));
    expect(padded.largest).toBeLessThanOrEqual(FACTOR * padded.request);
    expect(padded.largest).toBeGreaterThan(target.endpoint.maxPacketBytes - itemBytes(150));
    expect(decodeFind(bare.replies).records).toHaveLength(0);
    expect(decodeFind(padded.replies).records.length).toBeGreaterThan(3);
  });
});

/** An unsigned value's wire form. */
function unsignedWire(data: Uint8Array): ValueWireValue {
  return { data, publicKey: undefined, version: 0, signature: undefined };
}

/** Bytes one unsigned value of `n` bytes adds to a find response (record and ttl), exactly. */
function itemBytes(n: number): number {
  const body = (records: Array<{ record: ValueWireValue; ttl: number }>) =>
    encodeBody(FindResponse.schema, { id: 1n, token: new Uint8Array(8), nodes: [], records, total: 64, more: true, authoritative: true }).length;
  return body([{ record: unsignedWire(new Uint8Array(n)), ttl: TTL_MS }]) - body([]);
}

/** The id of the last value of a page: the cursor of the next. */
function lastId(key: Uint8Array, records: ReadonlyArray<{ record: ValueWireValue }>): Uint8Array {
  const last = records[records.length - 1]!;
  return valueId(unsignedRecord(key, last.record.data));
}

function decodeFind(replies: Uint8Array[]): { token: Uint8Array; records: Array<{ record: ValueWireValue; ttl: number }> } {
  for (const p of replies) {
    const d = decodePacket(FindResponse, p, () => true, () => true);
    if (d.ok) return d.value;
  }
  throw new Error(`no find response among ${replies.length} replies`);
}

function findToken(replies: Uint8Array[]): Uint8Array {
  return decodeFind(replies).token;
}

