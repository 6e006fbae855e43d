/**
 * Bag caps and removal on 200 in-memory nodes: each cap is enforced by the storers with its own verdict,
 * a publisher can remove its entry, and nobody else can (nor can a stale copy bring it back).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BagCommunity, BagStoreRequest, signBagRecord, BAG_VERDICT_CODES } from '../../../communities/bag/index.js';
import type { BagRecord } from '../../../communities/bag/index.js';
import { hashKey } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 200;
const SETTINGS = { maxEntriesPerKey: 30, maxEntriesPerPublisher: 10 };
let net: OverlayNet;
let bags: BagCommunity[];

const texts = (entries: ReadonlyArray<{ value: Uint8Array }>): string[] => entries.map((e) => new TextDecoder().decode(e.value)).sort();

beforeAll(async () => {
  net = await overlayNet(NODES, 777, (h) => h.register(BagCommunity, SETTINGS));
  bags = net.hosts.map((h) => h.get(BagCommunity));
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('BagCommunity caps (200 nodes, maxEntriesPerKey 30, maxEntriesPerPublisher 10)', () => {
  it('per-publisher and per-key caps are enforced by every storer with their own reasons', async () => {
    const [a, b, c, d] = [bags[11]!, bags[57]!, bags[123]!, bags[190]!];
    const fill = (p: BagCommunity, n: number): Promise<unknown> =>
      Promise.all(Array.from({ length: n }, (_, i) => p.add('capped', utf8(`${p.context.key.publicKey.midHex.slice(0, 6)} ${i}`))));
    await net.clock.settle(fill(a, 10));
    const overPublisher = await net.clock.settle(a.add('capped', utf8('one too many')).catch((e: unknown) => e));
    expect(overPublisher).toMatchObject({ name: 'BagError', reason: 'rejected' });
    expect(Object.keys((overPublisher as { verdicts: object }).verdicts)).toEqual(['publisher-full']);
    // Re-adding a held value is a refresh, not a new entry: allowed at the cap.
    const again = await net.clock.settle(a.add('capped', utf8(`${a.context.key.publicKey.midHex.slice(0, 6)} 3`)));
    expect(Object.keys(again.verdicts)).toEqual(['refreshed']);

    await net.clock.settle(Promise.all([fill(b, 10), fill(c, 10)]));
    const overKey = await net.clock.settle(d.add('capped', utf8('no room')).catch((e: unknown) => e));
    expect(overKey).toMatchObject({ name: 'BagError', reason: 'rejected' });
    expect(Object.keys((overKey as { verdicts: object }).verdicts)).toEqual(['key-full']);
    const { entries } = await net.clock.settle(d.search('capped', { limit: 1_000 }));
    expect(entries.length).toBe(30);
    expect(d.statistics.addsFailed).toBe(1);
  });

  it('value size, signature, expiry and token are each checked by storers, with their reasons', async () => {
    const p = bags[42]!;
    const key = hashKey('checked');
    const now = net.clock.now();
    const sign = (value: Uint8Array, expiresAt: number): BagRecord =>
      signBagRecord(p.context.key, { key, value, version: now, expiresAt, removed: false });
    const verdictsOf = async (r: BagRecord): Promise<string[]> => Object.keys((await net.clock.settle(p.storeRecords(key, [r]))).verdicts);

    expect(await verdictsOf(sign(new Uint8Array(300), now + 60_000))).toEqual(['too-large']);
    expect(await verdictsOf(sign(utf8('late'), now - 1))).toEqual(['expired']);
    expect(await verdictsOf(sign(utf8('forever'), now + 48 * 3_600_000))).toEqual(['bad-ttl']);
    const good = sign(utf8('fine'), now + 600_000);
    expect(await verdictsOf({ ...good, value: utf8('fin3') })).toEqual(['bad-signature']);
    expect(await verdictsOf(good)).toEqual(['stored']);

    // A store without a valid token for the sender's address is refused as a whole and counted as a drop.
    const [storer] = await net.clock.settle(p.closestNodes(key));
    const holder = bags.find((x) => x.dht.nodeId.every((v, i) => v === storer!.peer.id[i]))!;
    const droppedBefore = holder.stats.dropped['bad-token'] ?? 0;
    const m = await net.clock.settle(
      p.sendRequest(storer!.peer.address, BagStoreRequest, { token: new Uint8Array(8), key, records: [{ ...good, removed: false }] }),
    );
    expect((m.value as { verdicts: number[] }).verdicts.map((v) => BAG_VERDICT_CODES[v])).toEqual(['bad-token']);
    expect(holder.stats.dropped['bad-token']).toBe(droppedBefore + 1);
    expect(holder.statistics.verdicts['bad-signature']).toBeGreaterThanOrEqual(1);
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
    const forgedOutcome = await net.clock.settle(bob.storeRecords(hashKey('removable'), [forged]));
    expect(forgedOutcome.stored).toBe(0);
    expect(Object.keys(forgedOutcome.verdicts)).toEqual(['bad-signature']);
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-1', 'alice-2', 'bob-1']);

    // Alice removes her own entry: every storer takes the tombstone and searches stop returning it.
    const removed = await net.clock.settle(alice.remove('removable', utf8('alice-1')));
    expect(Object.keys(removed.verdicts)).toEqual(['removed']);
    expect(removed.stored).toBeGreaterThanOrEqual(6);
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-2', 'bob-1']);
    expect(alice.publishedRecords().map((r) => new TextDecoder().decode(r.value))).toEqual(['alice-2']);

    // Replaying the old signed entry is stale everywhere: the removal sticks.
    const replay = await net.clock.settle(bob.storeRecords(hashKey('removable'), [staleCopy]));
    expect(replay.stored).toBe(0);
    expect(Object.keys(replay.verdicts)).toEqual(['stale']);
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-2', 'bob-1']);

    // Re-adding later is a newer version than the tombstone: the entry is back.
    await net.clock.settle(alice.add('removable', utf8('alice-1')));
    expect(texts((await net.clock.settle(reader.search('removable'))).entries)).toEqual(['alice-1', 'alice-2', 'bob-1']);
  });
});
