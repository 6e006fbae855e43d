/**
 * Amplification counted with its follow-ups (issue #16): a packet from an unknown key at an unproven
 * address makes a node answer it, and then maybe more: a lookup query toward the contact it just learned,
 * an introduction, a challenge, and other nodes' queries to the address it referred them to. Everything
 * that reaches the (spoofed) source address over five minutes is added up, and must stay within 3x the
 * packet sent in its name; with the amplification budget off, the same packet brings back far more.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../communities/dht/index.js';
import { FindRequest, FindResponse, PingRequest, PingResponse } from '../../communities/dht/messages.js';
import { DHTDiscoveryCommunity } from '../../communities/discovery/index.js';
import { OverlayHost, PrivateKey, SeededRandom, decodePacket, encodePacket, equalBytes } from '../../framework/index.js';
import type { Address, MemoryEndpoint, MessageSpec } from '../../framework/index.js';
import { simNet } from '../helpers/memory-nodes.js';
import type { SimNet } from '../helpers/memory-nodes.js';

const FACTOR = 3;
const WATCH_MS = 300_000;

let net: SimNet | undefined;

afterEach(async () => {
  await net?.stopAll();
  net = undefined;
});

/** A target node (budget on or off) among 11 others that joined through it; all run the DHT and discovery. */
async function network(amplification: false | undefined): Promise<{ net: SimNet; target: OverlayHost }> {
  net = simNet(777, { latencyMs: 5 });
  const setup = (h: OverlayHost): void => {
    h.register(DHTCommunity);
    h.register(DHTDiscoveryCommunity);
  };
  const target = new OverlayHost({ endpoint: net.network.createEndpoint(), key: PrivateKey.generate(new SeededRandom(1)), clock: net.clock, random: new SeededRandom(2), amplification });
  setup(target);
  await target.start();
  net.hosts.push(target);
  for (let i = 0; i < 11; i++) {
    const h = await net.addHost({ bootstrap: [target.endpoint.address], setup });
    await net.clock.settle(h.get(DHTCommunity).bootstrap());
  }
  await net.clock.advance(5_000);
  return { net, target };
}

/** A key whose mid shares its first byte with `near`'s: the target wants it in its table and looks up around it. */
function keyNear(near: Uint8Array, seed: number): PrivateKey {
  for (let s = seed; ; s++) {
    const key = PrivateKey.generate(new SeededRandom(s));
    if (key.publicKey.mid[0] === near[0]) return key;
  }
}

/** The spoofed source: an address that sends one packet (as if spoofed) and never answers anything; every byte reaching it is counted. */
interface Victim {
  endpoint: MemoryEndpoint;
  received: Uint8Array[];
  /** Who sent what reached it, in order. */
  senders: Address[];
  bytes(): number;
}

async function victim(n: SimNet): Promise<Victim> {
  const endpoint = n.network.createEndpoint();
  await endpoint.open();
  const received: Uint8Array[] = [];
  const senders: Address[] = [];
  endpoint.addListener((data: Uint8Array, from: Address) => {
    received.push(data);
    senders.push(from);
  });
  return { endpoint, received, senders, bytes: () => received.reduce((a, p) => a + p.length, 0) };
}

/** Sends one packet from the victim's address to the target, watches for five minutes; returns the request size and the bytes that came back. */
async function spoof<T>(n: SimNet, target: OverlayHost, v: Victim, key: PrivateKey, spec: MessageSpec<T>, body: T, watchMs = WATCH_MS): Promise<{ request: number; out: number }> {
  const signer = { publicKeyBinary: key.publicKey.toBinary(), sign: (m: Uint8Array) => key.sign(m) };
  const packet = encodePacket(target.get(DHTCommunity).prefix, spec, body, signer);
  v.endpoint.send(target.endpoint.address, packet);
  await n.clock.advance(watchMs);
  return { request: packet.length, out: v.bytes() };
}

/** The DHT message names of what reached the victim, in order. */
const names = (v: Victim): string[] => v.received.map((p) => [PingRequest, PingResponse, FindRequest, FindResponse].find((m) => m.id === p[22])?.name ?? `message ${p[22]}`);

const findBody = (target: Uint8Array, token?: Uint8Array) => ({ id: 2n, target, records: false, cursor: undefined, publisher: undefined, token, padding: undefined });

describe('amplification counted with its follow-ups: everything toward an unproven address within 3x', () => {
  it('a ping from an unknown key: a verification ping and the answer, 1.8x (32x with the budget off)', async () => {
    const off = await network(false);
    const key = keyNear(off.target.key.publicKey.mid, 1_000);
    const without = await spoof(off.net, off.target, await victim(off.net), key, PingRequest, { id: 1n });
    expect(without.out).toBeGreaterThan(10 * without.request); // lookups by the target and by nodes it referred the address to
    await off.net.stopAll();

    const on = await network(undefined);
    const v = await victim(on.net);
    const r = await spoof(on.net, on.target, v, key, PingRequest, { id: 1n });
    expect(r.out).toBeLessThanOrEqual(FACTOR * r.request);
    expect(names(v)).toEqual(['dht-ping-request', 'dht-ping-response']); // the contact's verification ping, then the answer
    expect(on.target.amplification!.allowance(v.endpoint.address)).toBe(FACTOR * r.request - r.out); // every byte of it was charged
    expect(on.target.get(DHTCommunity).statistics.contactsUnverified).toBe(1); // nobody answered it there
    expect(on.target.amplification!.stats.withheld).toBeGreaterThan(0); // the lookups' queries to it did not fit ...
    expect(on.target.stats.amplificationWithheld).toBe(on.target.amplification!.stats.withheld); // ... and were counted
    expect(v.senders).toEqual([on.target.endpoint.address, on.target.endpoint.address]); // no other node sent it anything: the target did not refer the unproven address
  });

  it('a find from an unknown key: a verification ping and the answer within 3x, follow-ups withheld, the address never referred', async () => {
    const off = await network(false);
    const key = keyNear(off.target.key.publicKey.mid, 100);
    const without = await spoof(off.net, off.target, await victim(off.net), key, FindRequest, findBody(new Uint8Array(20).fill(3)));
    expect(without.out).toBeGreaterThan(10 * without.request);
    await off.net.stopAll();

    const on = await network(undefined);
    const v = await victim(on.net);
    const r = await spoof(on.net, on.target, v, key, FindRequest, findBody(new Uint8Array(20).fill(3)));
    expect(r.out).toBeLessThanOrEqual(FACTOR * r.request);
    expect(v.senders).toEqual([on.target.endpoint.address, on.target.endpoint.address]);
    expect(names(v)).toEqual(['dht-ping-request', 'dht-find-response']);
    expect(on.target.amplification!.allowance(v.endpoint.address)).toBe(FACTOR * r.request - r.out); // every byte charged
    expect(on.target.amplification!.stats.withheld).toBeGreaterThan(0); // later queries to it did not fit ...
    expect(on.target.stats.amplificationWithheld).toBe(on.target.amplification!.stats.withheld); // ... and were counted
    const dht = on.target.get(DHTCommunity);
    expect(dht.routingTable.has(key.publicKey.mid)).toBe(true); // learned, but ...
    const referred = dht.closestContacts(key.publicKey.mid, 20).some((c) => equalBytes(c.id, key.publicKey.mid));
    expect(referred).toBe(false); // ... not referred while its address is unproven
  });

  it('an address that echoes the token it was given proves itself: its limit is lifted and it is referred', async () => {
    const on = await network(undefined);
    const key = keyNear(on.target.key.publicKey.mid, 100);
    const v = await victim(on.net);
    const address: Address = v.endpoint.address;
    // (within the verification ping's timeout: the victim never answers it, and the contact would fail)
    await spoof(on.net, on.target, v, key, FindRequest, findBody(new Uint8Array(20).fill(3)), 100);
    const first = decodePacket(FindResponse, v.received.find((p) => p[22] === FindResponse.id)!, () => true, () => true);
    if (!first.ok) throw new Error('no find response');
    expect(on.target.amplification!.isProven(address)).toBe(false);
    expect(on.target.amplification!.allowance(address)).toBeLessThan(FACTOR * 200);
    await spoof(on.net, on.target, v, key, FindRequest, findBody(new Uint8Array(20).fill(4), first.value.token), 100);
    expect(on.target.amplification!.isProven(address)).toBe(true);
    expect(on.target.amplification!.allowance(address)).toBe(Number.POSITIVE_INFINITY);
    const dht = on.target.get(DHTCommunity);
    expect(dht.closestContacts(key.publicKey.mid, 20).some((c) => equalBytes(c.id, key.publicKey.mid))).toBe(true);
  });

  it('honest nodes prove their addresses by answering the verification ping: every one is proven at the target, values stored and found', async () => {
    const on = await network(undefined);
    const others = on.net.hosts.filter((h) => h !== on.target);
    expect(others.filter((h) => on.target.amplification!.isProven(h.endpoint.address))).toHaveLength(11);
    const values = on.net.hosts[3]!.get(DHTCommunity);
    expect(await on.net.clock.settle(values.storeValue('k', new Uint8Array([1])))).toBeGreaterThan(0);
    const found = await on.net.clock.settle(on.net.hosts[7]!.get(DHTCommunity).findValues('k'));
    expect(found).toHaveLength(1);
    const dht = on.target.get(DHTCommunity);
    expect(dht.statistics.contactsVerified).toBe(11);
    expect(dht.statistics.contactsUnverified).toBe(0);
  });
});
