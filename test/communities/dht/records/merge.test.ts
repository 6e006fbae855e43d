/**
 * Combining what several storers returned for one read (`RecordClient.merge`), with the value policy: the
 * newest version per publisher, each unsigned value once, whatever the order of the answers. Records are
 * checked when they are received (`RecordClient.query`), not when merged: a forged record in a find
 * response is dropped there and counted in `statistics.recordsRejected`, so a forged newer version cannot
 * hide a genuine older one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueMessages } from '../../../../communities/dht/messages.js';
import type { RecordPeer, RequestFn, TimedRecord } from '../../../../communities/dht/records/engine-types.js';
import { RecordClient } from '../../../../communities/dht/records/record-client.js';
import type { FindRequestBody, FindResponseBody } from '../../../../communities/dht/records/record-messages.js';
import { RecordStatistics } from '../../../../communities/dht/records/record-statistics.js';
import { RecordStore } from '../../../../communities/dht/records/record-store.js';
import type { PublicKeyCache, ValueRecord } from '../../../../communities/dht/storage/value-record.js';
import { signRecord, unsignedRecord } from '../../../../communities/dht/storage/value-record.js';
import type { ValueWireValue } from '../../../../communities/dht/value-policy.js';
import { valueId, valuePolicy } from '../../../../communities/dht/value-policy.js';
import type { Incoming, PublicKey } from '../../../../framework/index.js';
import { ManualClock, toHex } from '../../../../framework/index.js';
import { keyOf, testKey, text, withFields } from '../storage/helpers.js';

const KEY = keyOf(5);
const HOUR_MS = 3_600_000;
const [p1, p2, p3] = [testKey(21), testKey(22), testKey(23)];
const storerKey = testKey(24);

/** `publisher:version:data` of a record, for readable comparisons. */
function describeRecord(r: ValueRecord): string {
  const publisher = r.publicKey === undefined ? 'unsigned' : Buffer.from(r.publicKey).toString('hex').slice(-8);
  return `${publisher}:${r.version}:${new TextDecoder().decode(r.data)}`;
}

/** Counts signature checks (the policy's key cache verifies through it). */
function countingKeys(): PublicKeyCache & { verified: number } {
  const keys = {
    verified: 0,
    get: () => undefined,
    verifyCached: (publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean => {
      keys.verified++;
      return publicKey.verify(message, signature);
    },
  };
  return keys;
}

/**
 * A record client of the value type whose requests go to fake storers: each answers a find with the
 * records `pages` lists for it (ascending by id, as a storer sends them, unless `unsorted`), as they are.
 */
function setup(pages: ValueRecord[][] = [], options: { unsorted?: boolean } = {}) {
  const clock = new ManualClock();
  const keys = countingKeys();
  const policy = valuePolicy({ maxDataBytes: 1_024, maxUnsignedPerKey: 64, maxSignedPerKey: 1_024, maxPerGroupPerKey: 32, maxTtlMs: 86_400_000 }, keys);
  const store = new RecordStore(policy, clock);
  const statistics = new RecordStatistics();
  const storers: RecordPeer[] = pages.map((_, i) => ({ id: keyOf(100 + i), address: { host: '198.51.100.1', port: 7_000 + i } }));
  const request: RequestFn = async (peer, type, body) => {
    expect(type).toBe(ValueMessages.Find);
    const i = storers.indexOf(peer);
    const find = body as unknown as Omit<FindRequestBody, 'id'>;
    expect(find.records).toBe(true);
    const page = options.unsorted === true ? pages[i]! : byId(pages[i]!);
    const value: FindResponseBody<ValueWireValue> = {
      id: 1n,
      token: new Uint8Array(8).fill(i),
      nodes: [],
      records: page.map((r) => ({ record: policy.toWire(r), ttl: HOUR_MS })),
      total: page.length,
      more: false,
      authoritative: true,
    };
    const answer: Incoming<unknown> = { value, from: peer.address, sender: storerKey.publicKey, size: 100 };
    return answer as Incoming<never>;
  };
  const tokens = new Map<string, Uint8Array>();
  const client = new RecordClient<ValueRecord, ValueWireValue>({
    messages: ValueMessages,
    store,
    statistics,
    request,
    tokens: { get: (hex) => tokens.get(hex), remember: (hex, token) => void tokens.set(hex, token) },
    node: { id: keyOf(99), k: 8, publicKeyBytes: 74, maxPacketBytes: 1_400 },
    closestNodes: async () => [],
  });
  /** Asks every fake storer and merges the checked records they returned. */
  const readAll = async (): Promise<ValueRecord[]> => {
    const found: Array<TimedRecord<ValueRecord>> = [];
    for (const peer of storers) found.push(...((await client.query(peer, KEY, true)).found ?? []));
    return client.merge(found).map((t) => t.record);
  };
  return { clock, client, statistics, keys, storers, readAll };
}

/** `records` in ascending id order, as a storer pages them. */
const byId = (records: readonly ValueRecord[]): ValueRecord[] => [...records].sort((a, b) => (toHex(valueId(a)) < toHex(valueId(b)) ? -1 : 1));

const timed = (records: readonly ValueRecord[], expiresAt = HOUR_MS): Array<TimedRecord<ValueRecord>> => records.map((record) => ({ record, expiresAt }));

describe('RecordClient.merge (values)', () => {
  const r1v1 = signRecord(p1, KEY, text('p1 v1'), 1);
  const r1v4 = signRecord(p1, KEY, text('p1 v4'), 4);
  const r2v2 = signRecord(p2, KEY, text('p2 v2'), 2);
  const r2v7 = signRecord(p2, KEY, text('p2 v7'), 7);
  const r3v3 = signRecord(p3, KEY, text('p3 v3'), 3);
  const u1 = unsignedRecord(KEY, text('u1'));
  const u2 = unsignedRecord(KEY, text('u2'));
  // Three responders with overlapping, partly outdated answers.
  const responses: ValueRecord[][] = [
    [r1v1, r2v7, u1],
    [r1v4, r2v2, r3v3, u1],
    [r1v1, r3v3, u2, r2v2],
  ];

  it('keeps exactly the newest version per publisher and each unsigned value once', () => {
    const { client } = setup();
    const merged = client.merge(timed(responses.flat())).map((t) => t.record);
    expect(merged.map(describeRecord).sort()).toEqual([r1v4, r2v7, r3v3, u1, u2].map(describeRecord).sort());
    expect(merged).toHaveLength(5);
    // Signed ones come first, unsigned last.
    expect(merged.slice(0, 3).every((r) => r.signature !== undefined)).toBe(true);
  });

  it('keeps the latest expiry any storer reported for the chosen version, and caps a class when asked', () => {
    const { client } = setup();
    const merged = client.merge([...timed([r1v4, u1], 1_000), ...timed([r1v4], 5_000), ...timed([r1v1], 9_000), ...timed([u2], 2_000)]);
    const expiry = new Map([
      [u1, 1_000],
      [u2, 2_000],
    ]);
    expect(merged.map((t) => [describeRecord(t.record), t.expiresAt])).toEqual([
      [describeRecord(r1v4), 5_000],
      ...byId([u1, u2]).map((u) => [describeRecord(u), expiry.get(u)]),
    ]);
    // At most one unsigned value, as a storer capped at one would keep: the one expiring last.
    const capped = client.merge([...timed([r1v4, u1], 1_000), ...timed([u2], 2_000)], { unsigned: 1 });
    expect(capped.map((t) => describeRecord(t.record))).toEqual([describeRecord(r1v4), describeRecord(u2)]);
  });

  it('resolves equal versions with different data the same way whatever the order', () => {
    const { client } = setup();
    const a = signRecord(p1, KEY, text('aaa'), 5);
    const b = signRecord(p1, KEY, text('bbb'), 5);
    expect(client.merge(timed([a, b])).map((t) => t.record)).toEqual([a]);
    expect(client.merge(timed([b, a])).map((t) => t.record)).toEqual([a]);
  });

  it('gives the same result for any order of the answers (property)', () => {
    const { client } = setup();
    const all = responses.flat();
    const expected = client.merge(timed(all)).map((t) => describeRecord(t.record));
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (shuffled) => {
        expect(client.merge(timed(shuffled)).map((t) => describeRecord(t.record))).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('returns an empty list for no answers', () => {
    expect(setup().client.merge([])).toEqual([]);
  });

  describe('forged records in find responses (checked by RecordClient.query)', () => {
    it('drops a forged record, falling back to the newest genuine version, and counts it', async () => {
      const forged = withFields(r3v3, { version: 99, data: text('evil') });
      const forgedUnsigned = withFields(u1, { signature: new Uint8Array(64) });
      const { readAll, statistics } = setup([
        [r1v1, r2v7, forged],
        [r1v4, r2v2, r3v3, u1],
        [r1v1, u2, r2v2, forgedUnsigned],
      ]);
      const merged = await readAll();
      expect(merged.map(describeRecord).sort()).toEqual([r1v4, r2v7, r3v3, u1, u2].map(describeRecord).sort());
      expect(merged.some((r) => r.version === 99)).toBe(false);
      expect(statistics.recordsRejected).toBe(2);
    });

    it('drops a publisher entirely when none of its versions verify', async () => {
      const forged = withFields(r3v3, { data: text('evil') });
      const { client, storers, statistics } = setup([[r1v1, forged]]);
      const reply = await client.query(storers[0]!, KEY, true);
      expect(reply.found?.map((t) => t.record)).toEqual([r1v1]);
      expect(client.merge(reply.found ?? []).map((t) => t.record)).toEqual([r1v1]);
      expect(statistics.recordsRejected).toBe(1);
    });

    it('checks each received record once, and the merge checks none; a storer sending only forgeries yields nothing', async () => {
      const { client, storers, keys, statistics } = setup([[r1v4, r2v7], [withFields(r1v4, { data: text('x') }), withFields(r2v7, { version: 8 })]]);
      const genuine = await client.query(storers[0]!, KEY, true);
      expect(genuine.found?.map((t) => describeRecord(t.record)).sort()).toEqual([r1v4, r2v7].map(describeRecord).sort());
      expect(keys.verified).toBe(2);
      expect(client.merge([...(genuine.found ?? []), ...(genuine.found ?? [])]).map((t) => describeRecord(t.record)).sort()).toEqual([r1v4, r2v7].map(describeRecord).sort());
      expect(keys.verified).toBe(2);
      expect(statistics.recordsRejected).toBe(0);
      const forgeries = await client.query(storers[1]!, KEY, true);
      expect(forgeries.found).toBeUndefined();
      expect(keys.verified).toBe(4);
      expect(statistics.recordsRejected).toBe(2);
    });

    it('ignores the rest of a page that is not in ascending id order (the storer is broken or lying), and counts it', async () => {
      // Signed ids (0x01 | mid) sort before unsigned ones (0x02 | hash): r1v4 after them is out of order.
      const unsigned = byId([u1, u2]);
      const { client, storers, statistics } = setup([[...unsigned, r1v4, r2v7]], { unsorted: true });
      const reply = await client.query(storers[0]!, KEY, true);
      expect(reply.found?.map((t) => describeRecord(t.record))).toEqual(unsigned.map(describeRecord));
      expect(statistics.recordsRejected).toBe(1);
    });
  });
});
