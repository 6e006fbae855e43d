import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheRequest,
  DHTCommunity,
  FindRequest,
  FindResponse,
  PingRequest,
  StoreRequest,
  toWire,
  unsignedRecord,
  wireRecordSize,
} from '../../communities/dht/index.js';
import { AnnounceRequest, DHTDiscoveryCommunity, FindPeerRequest, HelloRequest } from '../../communities/discovery/index.js';
import {
  IntroductionRequest,
  PrivateKey,
  SeededRandom,
  decodePacket,
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
  for (let i = 0; i < 64; i++) expect(dht.store.put(unsignedRecord(KEY, new Uint8Array(1_024).fill(i)), TTL_MS, 'local')).toBe('stored');
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
  const record = (n: number): ReturnType<typeof toWire> => toWire(unsignedRecord(KEY, new Uint8Array(n).fill(7)), TTL_MS);
  const self = (): Address => attacker.endpoint.address;

  const cases: Array<[string, () => Promise<Exchange>]> = [
    ['dht ping', () => exchange(dhtPrefix(), PingRequest, { id: 1n })],
    ['dht find (nodes)', () => exchange(dhtPrefix(), FindRequest, { id: 2n, target: KEY, values: false, offset: 0, token: undefined, padding: undefined })],
    ['dht find (64 x 1 KB values)', () => exchange(dhtPrefix(), FindRequest, { id: 3n, target: KEY, values: true, offset: 0, token: undefined, padding: undefined })],
    ['dht find (64 x 1 KB values, padded)', () => exchange(dhtPrefix(), FindRequest, { id: 12n, target: KEY, values: true, offset: 0, token: undefined, padding: new Uint8Array(300) })],
    ['dht find (bad token)', () => exchange(dhtPrefix(), FindRequest, { id: 4n, target: KEY, values: true, offset: 0, token: junkToken, padding: undefined })],
    ['dht store (bad token)', () => exchange(dhtPrefix(), StoreRequest, { id: 5n, token: junkToken, records: [record(8)] })],
    ['dht cache (bad token)', () => exchange(dhtPrefix(), CacheRequest, { id: 6n, token: junkToken, records: [record(8)] })],
    ['discovery find-peer (4 addresses)', () => exchange(discPrefix(), FindPeerRequest, { id: 7n, mid: peerMid(), token: undefined })],
    ['discovery announce', () => exchange(discPrefix(), AnnounceRequest, { id: 8n, mid: attacker.key.publicKey.mid, token: junkToken })],
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
    const first = await exchange(dhtPrefix(), FindRequest, { id: 20n, target: KEY, values: false, offset: 0, token: undefined, padding: undefined });
    const token = findToken(first.replies);
    const r = await exchange(discPrefix(), FindPeerRequest, { id: 21n, mid: peerMid(), token });
    expect(r.replies.length).toBe(1 + 4); // the response and 4 punctures
  });

  it('with a valid token, find pages fill the datagram up to the limit', async () => {
    const max = target.endpoint.maxPacketBytes;
    const first = await exchange(dhtPrefix(), FindRequest, { id: 30n, target: KEY, values: true, offset: 0, token: undefined, padding: undefined });
    const token = findToken(first.replies);
    const oneValue = wireRecordSize({ data: new Uint8Array(1_024) });
    let got = 0;
    for (let offset = 0; offset < 64; ) {
      const r = await exchange(dhtPrefix(), FindRequest, { id: 31n + BigInt(offset), target: KEY, values: true, offset, token, padding: undefined });
      const v = decodeFind(r.replies);
      expect(v.values.length).toBeGreaterThan(0);
      expect(r.largest).toBeLessThanOrEqual(max);
      expect(r.largest).toBeGreaterThan(max - oneValue); // no room left for another value
      expect(r.largest).toBeGreaterThan(FACTOR * r.request); // more than an unproven source would get
      offset += v.values.length;
      got += v.values.length;
    }
    expect(got).toBe(64);
  });

  it('small values: a proven page holds as many as fit in one datagram', async () => {
    const dht = target.get(DHTCommunity);
    const small = new Uint8Array(20).fill(0xcd);
    for (let i = 0; i < 64; i++) dht.store.put(unsignedRecord(small, new Uint8Array(150).fill(i)), TTL_MS, 'local');
    const first = await exchange(dhtPrefix(), FindRequest, { id: 40n, target: small, values: true, offset: 0, token: undefined, padding: undefined });
    expect(first.largest).toBeLessThanOrEqual(FACTOR * first.request);
    const r = await exchange(dhtPrefix(), FindRequest, { id: 41n, target: small, values: true, offset: 0, token: findToken(first.replies), padding: undefined });
    expect(r.largest).toBeGreaterThan(target.endpoint.maxPacketBytes - wireRecordSize({ data: new Uint8Array(150) }));
    expect(decodeFind(r.replies).values.length).toBeGreaterThan(decodeFind(first.replies).values.length);
  });

  it('a tokenless find padded to a third of a datagram gets a full page at once, still within 3x', async () => {
    const dht = target.get(DHTCommunity);
    const key = new Uint8Array(20).fill(0xce);
    for (let i = 0; i < 64; i++) dht.store.put(unsignedRecord(key, new Uint8Array(150).fill(i)), TTL_MS, 'local');
    const bare = await exchange(dhtPrefix(), FindRequest, { id: 50n, target: key, values: true, offset: 0, token: undefined, padding: undefined });
    const padded = await exchange(dhtPrefix(), FindRequest, { id: 51n, target: key, values: true, offset: 0, token: undefined, padding: new Uint8Array(300) });
    expect(padded.request).toBeGreaterThanOrEqual(Math.ceil(target.endpoint.maxPacketBytes / FACTOR));
    expect(padded.largest).toBeLessThanOrEqual(FACTOR * padded.request);
    expect(padded.largest).toBeGreaterThan(target.endpoint.maxPacketBytes - wireRecordSize({ data: new Uint8Array(150) }));
    expect(decodeFind(bare.replies).values).toHaveLength(0);
    expect(decodeFind(padded.replies).values.length).toBeGreaterThan(3);
  });
});

function decodeFind(replies: Uint8Array[]): { token: Uint8Array; values: unknown[] } {
  for (const p of replies) {
    const d = decodePacket(FindResponse, p, () => true, () => true);
    if (d.ok) return d.value;
  }
  throw new Error(`no find response among ${replies.length} replies`);
}

function findToken(replies: Uint8Array[]): Uint8Array {
  return decodeFind(replies).token;
}

