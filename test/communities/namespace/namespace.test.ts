/**
 * NamespaceCommunity on 200 in-memory nodes: ordered updates, replay / forgery / CAS rejected with their
 * reasons, reads verified (a lying storer is ignored), client-side size checks, and the 3x amplification
 * bound of gets.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindReplyAnswer } from '../../../communities/dht/index.js';
import { AMPLIFICATION_FACTOR } from '../../../communities/dht/records/record-server.js';
import { NamespaceCommunity, NamespaceError, NamespaceMessages, namespaceLocation, signNamespaceRecord } from '../../../communities/namespace/index.js';
import { PrivateKey, SeededRandom, equalBytes, utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 200;
let net: OverlayNet;
let nss: NamespaceCommunity[];
const rnd = new SeededRandom(5);
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));
const someNode = (): NamespaceCommunity => nss[rnd.int(NODES)]!;
/** The k closest nodes to `location` as `asker`'s DHT finds them, each with its store token for `asker`. */
const closestTo = (asker: NamespaceCommunity, location: Uint8Array): Promise<FindReplyAnswer[]> =>
  net.clock.settle(net.dhts[nss.indexOf(asker)]!.findClosestNodes(location));
/** The namespace community of the node with id `id`. */
const holderOf = (id: Uint8Array): NamespaceCommunity => nss[net.dhts.findIndex((d) => equalBytes(d.nodeId, id))]!;

beforeAll(async () => {
  net = await overlayNet(NODES, 8_080, (h) => h.register(NamespaceCommunity));
  nss = net.hosts.map((h) => h.get(NamespaceCommunity));
}, 240_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('NamespaceCommunity (200 nodes)', () => {
  it('updates are seen in order: set seq 1..5, a get from random nodes after each returns the latest', async () => {
    const writer = nss[17]!;
    const pk = writer.context.key.publicKey;
    for (let seq = 1; seq <= 5; seq++) {
      const out = await net.clock.settle(writer.set('status', utf8(`status v${seq}`), { seq }));
      expect(out.seq).toBe(seq);
      expect(out.stored).toBeGreaterThanOrEqual(6);
      for (let r = 0; r < 3; r++) {
        const got = await net.clock.settle(someNode().get(pk, 'status'));
        expect(got?.seq).toBe(seq);
        expect(text(got?.value)).toBe(`status v${seq}`);
        expect(got?.publicKey.equals(pk)).toBe(true);
      }
    }
    // Without seq, set writes one above the highest seq found.
    const next = await net.clock.settle(writer.set('status', utf8('status v6')));
    expect(next.seq).toBe(6);
    expect(text((await net.clock.settle(someNode().get(pk.toBinary(), 'status')))?.value)).toBe('status v6');
    // A fresh key starts at seq 0; a missing key reads as undefined.
    expect((await net.clock.settle(writer.set('fresh', utf8('first')))).seq).toBe(0);
    expect(await net.clock.settle(someNode().get(pk, 'never written'))).toBeUndefined();
  });

  it('a replayed older seq, a forged signature and a CAS conflict are each rejected with their reason', async () => {
    const writer = nss[33]!;
    const pk = writer.context.key.publicKey;
    const key = utf8('guarded');
    for (let seq = 1; seq <= 3; seq++) await net.clock.settle(writer.set(key, utf8(`g${seq}`), { seq }));
    const reader = someNode();

    // Replay of the (validly signed) seq 2 record, relayed by anyone: stale everywhere.
    const old = signNamespaceRecord(writer.context.key, key, 2, utf8('g2'));
    const replay = await net.clock.settle(reader.storeRecord(old));
    expect(replay.stored).toBe(0);
    expect(Object.keys(replay.verdicts)).toEqual(['stale']);
    await expect(net.clock.settle(writer.set(key, utf8('rollback'), { seq: 3 }))).rejects.toMatchObject({ name: 'NamespaceError', reason: 'stale' });

    // The same seq 3 record again is an idempotent refresh.
    const same = await net.clock.settle(reader.storeRecord(signNamespaceRecord(writer.context.key, key, 3, utf8('g3'))));
    expect(Object.keys(same.verdicts)).toEqual(['refreshed']);

    // A record for the writer's key signed by someone else.
    const mallory = PrivateKey.generate(new SeededRandom(66));
    const forged = { ...signNamespaceRecord(mallory, key, 9, utf8('evil')), publicKey: pk.toBinary() };
    const forgedOutcome = await net.clock.settle(reader.storeRecord(forged));
    expect(forgedOutcome.stored).toBe(0);
    expect(Object.keys(forgedOutcome.verdicts)).toEqual(['bad-signature']);

    // Compare-and-swap: expecting seq 2 while 3 is held fails; expecting 3 succeeds.
    const conflict = await net.clock.settle(writer.set(key, utf8('g4?'), { seq: 4, cas: 2 }).catch((e: unknown) => e));
    expect(conflict).toBeInstanceOf(NamespaceError);
    expect(conflict).toMatchObject({ reason: 'conflict' });
    expect(Object.keys((conflict as NamespaceError).verdicts)).toEqual(['conflict']);
    const swapped = await net.clock.settle(writer.set(key, utf8('g4'), { cas: 3 }));
    expect(swapped.seq).toBe(4);
    expect(Object.keys(swapped.verdicts)).toEqual(['updated']);
    const got = await net.clock.settle(reader.get(pk, key));
    expect([got?.seq, text(got?.value)]).toEqual([4, 'g4']);
    const storerVerdicts = nss.reduce((n, x) => n + (x.records.statistics.verdicts['conflict'] ?? 0), 0);
    expect(storerVerdicts).toBeGreaterThanOrEqual(6);
  });

  it('get verifies: a storer returning a forged higher-seq value is ignored', async () => {
    const writer = nss[71]!;
    const pk = writer.context.key.publicKey;
    await net.clock.settle(writer.set('verified', utf8('honest'), { seq: 7 }));
    const location = namespaceLocation(pk.toBinary(), utf8('verified'));
    const reader = nss[140]!;
    const [first] = await closestTo(reader, location);
    const liar = holderOf(first!.peer.id);
    const mallory = PrivateKey.generate(new SeededRandom(67));
    const forged = { ...signNamespaceRecord(mallory, utf8('verified'), 1_000, utf8('lies')), publicKey: pk.toBinary() };
    liar.records.store.insertUnverified(forged, 3_600_000);
    const before = reader.records.statistics.recordsRejected;
    const got = await net.clock.settle(reader.get(pk, 'verified'));
    expect([got?.seq, text(got?.value)]).toEqual([7, 'honest']);
    expect(reader.records.statistics.recordsRejected).toBe(before + 1);
  });

  it('checks sizes and arguments before sending, with named errors', async () => {
    const w = nss[2]!;
    const sent = (): number => (w.stats.sent[NamespaceMessages.FindRequest.name] ?? 0) + (w.stats.sent[NamespaceMessages.StoreRequest.name] ?? 0);
    const sentBefore = sent();
    await expect(w.set('k', new Uint8Array(1_025))).rejects.toMatchObject({ name: 'NamespaceError', reason: 'too-large' });
    // Settled on the clock so that, were it sent after all, the test fails on its reason instead of hanging.
    await expect(net.clock.settle(w.set(new Uint8Array(64), new Uint8Array(1_024), { seq: 1 }))).rejects.toMatchObject({ reason: 'too-large' });
    await expect(w.set(new Uint8Array(65), utf8('v'))).rejects.toMatchObject({ reason: 'invalid-key' });
    await expect(w.set('k', utf8('v'), { seq: -1 })).rejects.toMatchObject({ reason: 'invalid-seq' });
    await expect(w.set('k', utf8('v'), { ttlMs: 10 })).rejects.toMatchObject({ reason: 'invalid-ttl' });
    await expect(w.get(new Uint8Array(74), 'k')).rejects.toMatchObject({ reason: 'invalid-key' });
    expect(sent()).toBe(sentBefore);
    // A 1,024-byte value with a short key fits one datagram.
    expect((await net.clock.settle(w.set('big', new Uint8Array(1_024).fill(7), { seq: 1 }))).stored).toBeGreaterThanOrEqual(6);
  });

  it('amplification: a get without a token is answered within 3x its size; with the token, in full', async () => {
    const asker = nss[188]!;
    const pk = nss[2]!.context.key.publicKey.toBinary();
    const location = namespaceLocation(pk, utf8('big'));
    for (const storer of await closestTo(asker, location)) {
      const holder = holderOf(storer.peer.id);
      type Page = { records: Array<{ record: { value: Uint8Array } }>; more: boolean };
      const ask = async (token: Uint8Array | undefined): Promise<{ req: number; res: number; v: Page }> => {
        const req0 = asker.stats.bytesSent[NamespaceMessages.FindRequest.name] ?? 0;
        const res0 = holder.stats.bytesSent[NamespaceMessages.FindResponse.name] ?? 0;
        const body = { target: location, records: true, cursor: undefined, publisher: undefined, token, padding: undefined };
        const m = await net.clock.settle(asker.sendRequest(storer.peer.address, NamespaceMessages.FindRequest, body));
        const req = (asker.stats.bytesSent[NamespaceMessages.FindRequest.name] ?? 0) - req0;
        return { req, res: (holder.stats.bytesSent[NamespaceMessages.FindResponse.name] ?? 0) - res0, v: m.value as unknown as Page };
      };
      const bare = await ask(undefined);
      expect(bare.res).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * bare.req);
      expect(bare.v.more).toBe(true); // withheld: the record follows, with the token to ask again
      expect(bare.v.records).toEqual([]);
      const full = await ask(storer.token);
      expect(full.v.records[0]?.record.value.length).toBe(1_024);
      expect(full.res).toBeLessThanOrEqual(asker.context.transport.maxPacketBytes);
      expect(holder.records.statistics.pagesCappedByAmplification).toBeGreaterThanOrEqual(1);
    }
    // The client API always sends the token it got from the lookup.
    expect((await net.clock.settle(asker.get(pk, 'big')))?.value.length).toBe(1_024);
  });
});
