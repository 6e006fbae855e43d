/**
 * Bag caps and removal on 200 in-memory nodes: each cap is enforced by the storers with its own verdict,
 * a publisher can remove its entry, and nobody else can (nor can a stale copy bring it back).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BagCommunity, BagMessages, signBagRecord } from '../../../communities/bag/index.js';
import type { BagRecord } from '../../../communities/bag/index.js';
import type { FindReplyAnswer } from '../../../communities/dht/index.js';
import { hashKey, RECORD_VERDICTS } from '../../../communities/dht/index.js';
import { equalBytes, utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 200;
const SETTINGS = { maxEntriesPerKey: 30, maxPerGroupPerKey: 10 };
let net: OverlayNet;
let bags: BagCommunity[];

const texts = (entries: ReadonlyArray<{ value: Uint8Array }>): string[] => entries.map((e) => new TextDecoder().decode(e.value)).sort();

/** The k closest nodes to `key` as `asker`'s DHT finds them, each with its store token for `asker`. */
const closestTo = (asker: BagCommunity, key: Uint8Array): Promise<FindReplyAnswer[]> => net.clock.settle(net.dhts[bags.indexOf(asker)]!.findClosestNodes(key));

/** The bag of the node with id `id`. */
const holderOf = (id: Uint8Array): BagCommunity => bags[net.dhts.findIndex((d) => equalBytes(d.nodeId, id))]!;

beforeAll(async () => {
  net = await overlayNet(NODES, 777, (h) => h.register(BagCommunity, SETTINGS));
  bags = net.hosts.map((h) => h.get(BagCommunity));
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('BagCommunity caps (200 nodes, maxEntriesPerKey 30, maxPerGroupPerKey 10)', () => {
  // Every node of the in-memory network has an address in its own /24, so each node is its own IP group.
  it('per-IP-group and per-key caps are enforced by every storer with their own reasons', async () => {
    // The per-key cap keeps the entries that expire last: a full key refuses a newcomer ('full') unless it
    // outlives the soonest-expiring entry, which it then evicts.
    const [a, b, c, d, relay] = [bags[11]!, bags[57]!, bags[123]!, bags[190]!, bags[88]!];
    const fill = (p: BagCommunity, n: number): Promise<unknown> =>
      Promise.all(Array.from({ length: n }, (_, i) => p.add('capped', utf8(`${p.context.key.publicKey.midHex.slice(0, 6)} ${i}`))));
    await net.clock.settle(fill(a, 10));
    const overGroup = await net.clock.settle(a.add('capped', utf8('one too many')).catch((e: unknown) => e));
    expect(overGroup).toMatchObject({ name: 'BagError', reason: 'rejected' });
    expect(Object.keys((overGroup as { verdicts: object }).verdicts)).toEqual(['quota']);
    // Re-adding a held value signs a newer version of it, not a new entry: allowed at the cap.
    const again = await net.clock.settle(a.add('capped', utf8(`${a.context.key.publicKey.midHex.slice(0, 6)} 3`)));
    expect(Object.keys(again.verdicts)).toEqual(['updated']);
    // The cap counts what a sender's IP group stored, not whose key signed it: the same publisher's entry
    // relayed by a node of another group is taken (on its own key here, to leave 'capped' at 30).
    const now = net.clock.now();
    const aSigned = signBagRecord(a.context.key, { key: hashKey('relayed'), value: utf8('via a relay'), version: now, expiresAt: now + 3_600_000, removed: false });
    await net.clock.settle(Promise.all(Array.from({ length: 10 }, (_, i) => a.add('relayed', utf8(`a ${i}`)))));
    expect(Object.keys((await net.clock.settle(a.storeRecords([aSigned]))).verdicts)).toEqual(['quota']);
    const relayed = await net.clock.settle(relay.storeRecords([aSigned]));
    expect(relayed.acks).toBeGreaterThanOrEqual(6);
    expect(Object.keys(relayed.refusals)).toEqual([]);

    await net.clock.settle(Promise.all([fill(b, 10), fill(c, 10)]));
    // The key holds 30 entries. A newcomer that would expire no later than every held entry is refused...
    const overKey = await net.clock.settle(d.add('capped', utf8('no room'), { ttlMs: d.settings.minTtlMs }).catch((e: unknown) => e));
    expect(overKey).toMatchObject({ name: 'BagError', reason: 'rejected' });
    expect(Object.keys((overKey as { verdicts: object }).verdicts)).toEqual(['full']);
    expect(d.entries.statistics.publishFailed).toBe(1);
    let { entries } = await net.clock.settle(d.search('capped', { limit: 1_000 }));
    expect(entries.length).toBe(30);
    expect(texts(entries)).not.toContain('no room');
    // ...one that outlives the soonest-expiring entry evicts it: the key still holds 30.
    const evictionsBefore = bags.reduce((n, x) => n + x.entries.store.evictions, 0);
    const made = await net.clock.settle(d.add('capped', utf8('room made'), { ttlMs: 2 * 3_600_000 }));
    expect(made.stored).toBeGreaterThanOrEqual(6);
    expect(bags.reduce((n, x) => n + x.entries.store.evictions, 0) - evictionsBefore).toBeGreaterThanOrEqual(6);
    ({ entries } = await net.clock.settle(d.search('capped', { limit: 1_000 })));
    expect(entries.length).toBe(30);
    expect(texts(entries)).toContain('room made');
  });

  it('value size, signature, expiry and token are each checked by storers, with their reasons', async () => {
    const p = bags[42]!;
    const key = hashKey('checked');
    const now = net.clock.now();
    const sign = (value: Uint8Array, expiresAt: number): BagRecord =>
      signBagRecord(p.context.key, { key, value, version: now, expiresAt, removed: false });
    const verdictsOf = async (r: BagRecord): Promise<string[]> => Object.keys((await net.clock.settle(p.storeRecords([r]))).verdicts);
    const storers = await closestTo(p, key);

    expect(await verdictsOf(sign(new Uint8Array(300), now + 60_000))).toEqual(['too-large']);
    // A publisher never sends an entry past its signed expiry (storeRecords skips it: no storer is asked);
    // sent anyway with a lifetime left on the wire, every storer refuses it by the signed expiry.
    expect(await verdictsOf(sign(utf8('late'), now - 1))).toEqual([]);
    const late = await net.clock.settle(Promise.all(storers.map((s) => p.entries.client.storeOn(s, key, [{ record: sign(utf8('late'), now - 1), expiresAt: now + 60_000 }]))));
    expect([...new Set(late.flat())]).toEqual(['expired']);
    expect(await verdictsOf(sign(utf8('forever'), now + 48 * 3_600_000))).toEqual(['bad-ttl']);
    const good = sign(utf8('fine'), now + 600_000);
    expect(await verdictsOf({ ...good, value: utf8('fin3') })).toEqual(['bad-signature']);
    expect(await verdictsOf(good)).toEqual(['stored']);

    // A store without a valid token for the sender's address is refused as a whole and counted as a drop.
    const [storer] = storers;
    const holder = holderOf(storer!.peer.id);
    const droppedBefore = holder.stats.dropped['bad-token'] ?? 0;
    const wire = { publicKey: good.publicKey, value: good.value, version: good.version, expiresAt: good.expiresAt, removed: false, signature: good.signature };
    const m = await net.clock.settle(
      p.sendRequest(storer!.peer.address, BagMessages.StoreRequest, { token: new Uint8Array(8), location: key, cache: false, cas: undefined, records: [{ record: wire, ttl: 600_000 }] }),
    );
    expect((m.value as unknown as { verdicts: number[] }).verdicts.map((v) => RECORD_VERDICTS[v])).toEqual(['bad-token']);
    expect(holder.stats.dropped['bad-token']).toBe(droppedBefore + 1);
    expect(holder.entries.statistics.verdicts['bad-signature']).toBeGreaterThanOrEqual(1);
  });
});

describe('BagCommunity remove (200 nodes)', () => {
  it('the publisher removes its entry; a non-publisher cannot; a stale copy cannot bring it back', async () => {
    const [alice, bob, reader] = [bags[5]!, bags[99]!, bags[160]!];
    const firstAdd = await net.clock.settle(alice.add('removable', utf8('alice-1')));
    expect(firstAdd.stored).toBeGreaterThanOrEqual(6);
    const staleCopy = alice.publishedRecords().find((r) => new TextDecoder().decode(r.value) === 'alice-1')!;
    await net.clock.settle(Promise.all([alice.add('removable', utf8('alice-2')), bob.add('removable', utf8('bob-1'))]));
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-1', 'alice-2', 'bob-1']);

    // Bob "removing" alice's value only tombstones his own (publisher, value) pair: alice's entry stays.
    await net.clock.settle(bob.remove('removable', utf8('alice-1')));
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-1', 'alice-2', 'bob-1']);

    // A tombstone claiming alice as publisher but signed by bob is refused by every storer.
    const now = net.clock.now();
    const bobSigned = signBagRecord(bob.context.key, { key: hashKey('removable'), value: utf8('alice-1'), version: now, expiresAt: now + 3_600_000, removed: true });
    const forged: BagRecord = { ...bobSigned, publicKey: alice.context.key.publicKey.toBinary() };
    const forgedOutcome = await net.clock.settle(bob.storeRecords([forged]));
    expect(forgedOutcome.stored).toBe(0);
    expect(Object.keys(forgedOutcome.verdicts)).toEqual(['bad-signature']);
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-1', 'alice-2', 'bob-1']);

    // Alice removes her own entry: every storer takes the tombstone (a newer version of the entry it holds:
    // 'updated') and searches stop returning it.
    const removed = await net.clock.settle(alice.remove('removable', utf8('alice-1')));
    expect(Object.keys(removed.verdicts)).toEqual(['updated']);
    expect(removed.stored).toBeGreaterThanOrEqual(6);
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-2', 'bob-1']);
    expect(alice.publishedRecords().map((r) => new TextDecoder().decode(r.value))).toEqual(['alice-2']);

    // Replaying the old signed entry is stale everywhere: the removal sticks.
    const replay = await net.clock.settle(bob.storeRecords([staleCopy]));
    expect(replay.stored).toBe(0);
    expect(Object.keys(replay.verdicts)).toEqual(['stale']);
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-2', 'bob-1']);

    // Re-adding later is a newer version than the tombstone: the entry is back.
    await net.clock.settle(alice.add('removable', utf8('alice-1')));
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-1', 'alice-2', 'bob-1']);
  });
});
