/**
 * Subkey dictionaries on 40 in-memory nodes: writers add subkeys instead of overwriting, the later
 * expiration wins, owned subkeys are their owner's alone, forgeries are refused and counted, readers merge
 * storers that disagree (and storers converge), entries expire on the virtual clock, and a dictionary larger
 * than a datagram is read in pages.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DictCommunity, DictError, openDictRecord, signDictRecord } from '../../../communities/dict/index.js';
import type { DictEntry, DictPage, DictRecord, DictSetOutcome } from '../../../communities/dict/index.js';
import { hashKey } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';

const NODES = 40;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let net: OverlayNet;
let dicts: DictCommunity[];

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const shown = (e: DictEntry): string => `${text(e.subkey)}=${text(e.value)}${e.owner === undefined ? '' : `@${e.owner.midHex.slice(0, 6)}`}`;
const mid = (d: DictCommunity): string => d.context.key.publicKey.midHex.slice(0, 6);
const settle = <T>(p: Promise<T>): Promise<T> => net.clock.settle(p);
/** The nodes that hold something under `key`. */
const holders = (key: string): DictCommunity[] => dicts.filter((d) => d.entries.store.get(hashKey(key)).length > 0);

beforeAll(async () => {
  net = await overlayNet(NODES, 7_070, (h) => h.register(DictCommunity, { replicateIntervalMs: 10 * MINUTE }));
  dicts = net.hosts.map((h) => h.get(DictCommunity));
}, 120_000);

afterAll(async () => {
  if (net === undefined) return;
  expect(await net.stopAndDrain()).toBe(0); // no community left a timer behind
});

describe('DictCommunity (40 in-memory nodes)', () => {
  it('several writers add subkeys to one dictionary; every reader gets all of them, with owners and expirations', async () => {
    const writers = [dicts[1]!, dicts[7]!, dicts[13]!, dicts[22]!];
    const now = net.clock.now();
    const outcomes = await settle(Promise.all(writers.map((w, i) => w.set('room', `member-${i}`, utf8(`hello from ${i}`), { ttlMs: (i + 1) * HOUR }))));
    for (const o of outcomes) expect(o.stored).toBeGreaterThanOrEqual(6);
    await settle(writers[0]!.set('room', 'topic', utf8('open for all'), { open: true }));
    for (const reader of [dicts[0]!, dicts[30]!, dicts[39]!]) {
      const { entries, cursor } = await settle(reader.get('room'));
      expect(cursor).toBeUndefined();
      expect(entries.map(shown).sort()).toEqual([...writers.map((w, i) => `member-${i}=hello from ${i}@${mid(w)}`), 'topic=open for all'].sort());
      for (const [i, w] of writers.entries()) {
        const e = entries.find((x) => text(x.subkey) === `member-${i}`)!;
        expect(e.owner!.midHex).toBe(w.context.key.publicKey.midHex);
        expect(e.expiresAt).toBe(outcomes[i]!.expiresAt);
        expect(e.expiresAt - now).toBeGreaterThanOrEqual((i + 1) * HOUR);
        expect(e.expiresAt - now).toBeLessThan((i + 1) * HOUR + MINUTE);
      }
    }
    // Only one owner's subkeys, when asked.
    const only = await settle(dicts[5]!.get('room', { owner: writers[2]!.context.key.publicKey }));
    expect(only.entries.map(shown)).toEqual([`member-2=hello from 2@${mid(writers[2]!)}`]);
  });

  it('the later expiration wins an open subkey; an earlier one is refused as stale', async () => {
    const [a, b, c] = [dicts[2]!, dicts[9]!, dicts[17]!];
    const t0 = net.clock.now();
    await settle(a.set('leader', 'who', utf8('a'), { open: true, expiresAt: t0 + HOUR }));
    const won = await settle(b.set('leader', 'who', utf8('b'), { open: true, expiresAt: t0 + 2 * HOUR }));
    expect(won.verdicts.updated).toBeGreaterThanOrEqual(6);
    const heldB = holders('leader').filter((d) => d.entries.store.get(hashKey('leader')).some((h) => text(h.record.value) === 'b'));
    expect(heldB.length).toBeGreaterThanOrEqual(6);
    const late = await settle(c.set('leader', 'who', utf8('c'), { open: true, expiresAt: t0 + 90 * MINUTE }).catch((error: unknown) => error));
    // Every storer that holds b's later expiration refuses c's earlier one; when c reaches only those, c's write fails as stale.
    if (late instanceof DictError) expect(late.reason).toBe('stale');
    else expect((late as DictSetOutcome).verdicts.stale).toBeGreaterThanOrEqual(1);
    for (const d of heldB) expect(d.entries.store.get(hashKey('leader')).map((h) => text(h.record.value))).toEqual(['b']);
    const { entries } = await settle(dicts[31]!.get('leader'));
    expect(entries.map(shown)).toEqual(['who=b']);
    expect(entries[0]!.expiresAt).toBe(t0 + 2 * HOUR);
  });

  it('an owned subkey cannot be replaced by anyone else: an altered copy is refused as bad-signature and counted', async () => {
    const [alice, mallory] = [dicts[3]!, dicts[27]!];
    const set = await settle(alice.set('profiles', 'alice', utf8('alice v1'), { ttlMs: HOUR }));
    const real = alice.entries.own.values().next().value!.record;
    expect(text(real.value)).toBe('alice v1');
    const before = dicts.reduce((n, d) => n + d.entries.store.verdicts['bad-signature'], 0);
    // Mallory replays alice's entry with her own value and a later expiration, under alice's key.
    const forged: DictRecord = { ...real, value: utf8('mallory was here'), expiresAt: real.expiresAt + HOUR };
    const attempt = await settle(mallory.storeRecords([forged]));
    expect(attempt.stored).toBe(0);
    expect(Object.keys(attempt.verdicts)).toEqual(['bad-signature']);
    const after = dicts.reduce((n, d) => n + d.entries.store.verdicts['bad-signature'], 0);
    // Every storer counted the forgery once (mallory's own store too, when she is one of the k closest).
    expect(after - before).toBe(attempt.verdicts['bad-signature']! + (attempt.keptHere ? 1 : 0));
    expect(attempt.verdicts['bad-signature']).toBeGreaterThanOrEqual(6); // (nearly) all k = 8 storers answered
    expect(set.stored).toBeGreaterThanOrEqual(6);
    // Signing the same subkey name with her own key writes her own subkey, next to alice's.
    await settle(mallory.set('profiles', 'alice', utf8('the real alice'), { ttlMs: 2 * HOUR }));
    const { entries } = await settle(dicts[11]!.get('profiles'));
    expect(entries.map(shown).sort()).toEqual([`alice=alice v1@${mid(alice)}`, `alice=the real alice@${mid(mallory)}`].sort());
  });

  it('malformed entries that pass the wire schema are refused as invalid by every storer, and counted', async () => {
    const sender = dicts[21]!;
    const key = hashKey('malformed');
    const expiresAt = net.clock.now() + HOUR;
    const before = dicts.reduce((n, d) => n + d.entries.store.verdicts.invalid, 0);
    const longSubkey = openDictRecord({ key, subkey: new Uint8Array(65), value: utf8('v'), expiresAt }); // over maxSubkeyBytes (64), under the wire's 128
    const unsigned = { ...signDictRecord(sender.context.key, { key, subkey: utf8('s'), value: utf8('v'), expiresAt }), signature: undefined }; // an owner without a signature
    const outcome = await settle(sender.storeRecords([longSubkey, unsigned]));
    expect(Object.keys(outcome.verdicts)).toEqual(['invalid']);
    const counted = dicts.reduce((n, d) => n + d.entries.store.verdicts.invalid, 0) - before;
    expect(counted).toBe(outcome.verdicts.invalid! + (outcome.keptHere ? 2 : 0));
    expect((await settle(dicts[0]!.get('malformed'))).entries).toEqual([]);
  });

  it('a reader drops records a lying storer forged, and counts them', async () => {
    const key = 'lies';
    const writer = dicts[4]!;
    await settle(writer.set(key, 'fact', utf8('true'), { ttlMs: HOUR }));
    const real = writer.entries.own.values().next().value!.record;
    const liar = holders(key).find((d) => d !== writer)!;
    liar.entries.store.insertUnverified({ ...real, value: utf8('false'), expiresAt: real.expiresAt + HOUR }, 2 * HOUR);
    const reader = dicts.find((d) => !holders(key).includes(d))!;
    const rejected = reader.entries.statistics.recordsRejected;
    const { entries } = await settle(reader.get(key));
    expect(entries.map(shown)).toEqual([`fact=true@${mid(writer)}`]);
    expect(reader.entries.statistics.recordsRejected - rejected).toBe(1);
  });

  it('a reader merges storers that disagree (newest per subkey), and storers converge when they replicate, ties included', async () => {
    const key = 'split';
    const writer = dicts[6]!;
    const t0 = net.clock.now();
    await settle(writer.set(key, 'version', utf8('old'), { expiresAt: t0 + HOUR }));
    await settle(writer.set(key, 'tie', utf8('zzz'), { open: true, expiresAt: t0 + HOUR }));
    const storers = holders(key);
    expect(storers.length).toBeGreaterThanOrEqual(6);
    // One storer alone got the newer version of `version`; another alone holds a lower entry for `tie`.
    const newer = signDictRecord(writer.context.key, { key: hashKey(key), subkey: utf8('version'), value: utf8('new'), expiresAt: t0 + 2 * HOUR });
    const lower = openDictRecord({ key: hashKey(key), subkey: utf8('tie'), value: utf8('aaa'), expiresAt: t0 + HOUR });
    storers[0]!.entries.store.insertUnverified(newer, 2 * HOUR);
    storers[1]!.entries.store.insertUnverified(lower, HOUR);
    const reader = dicts.find((d) => !storers.includes(d))!;
    expect((await settle(reader.get(key))).entries.map(shown).sort()).toEqual([`tie=aaa`, `version=new@${mid(writer)}`]);
    const values = (d: DictCommunity): string[] => d.entries.store.get(hashKey(key)).map((h) => text(h.record.value)).sort();
    expect(storers.filter((d) => values(d).join() === 'aaa,new').length).toBe(0);
    // Replication: each storer re-stores what it holds to the k closest, which keep the newer (or lower) entry.
    await net.clock.advance(11 * MINUTE);
    await settle(Promise.all(storers.map((d) => d.maintain())));
    for (const d of holders(key)) expect(values(d), `storer ${mid(d)}`).toEqual(['aaa', 'new']);
  });

  it('entries expire at their expiration on the virtual clock: served until then, swept after', async () => {
    const key = 'ephemeral';
    const writer = dicts[8]!;
    const set = await settle(writer.set(key, 'blink', utf8('now you see me'), { ttlMs: 10 * MINUTE }));
    await net.clock.advance(9 * MINUTE);
    expect((await settle(dicts[33]!.get(key))).entries.map(shown)).toEqual([`blink=now you see me@${mid(writer)}`]);
    await net.clock.advance(set.expiresAt - net.clock.now() + 1);
    expect((await settle(dicts[33]!.get(key))).entries).toEqual([]);
    await net.clock.advance(2 * MINUTE); // an upkeep round on every node sweeps it
    expect(holders(key)).toEqual([]);
    expect(writer.entries.own.size).toBe(0); // not republished past its expiration
  });

  it('a dictionary of 300 subkeys (about 80 datagrams) is read in pages: each subkey exactly once', async () => {
    const key = 'big';
    const writers = dicts.slice(10, 16);
    const expiresAt = net.clock.now() + HOUR;
    await settle(
      Promise.all(
        writers.map((w, i) => {
          const records = Array.from({ length: 50 }, (_, j) =>
            signDictRecord(w.context.key, { key: hashKey(key), subkey: utf8(`s${i}-${j}`), value: new Uint8Array(200).fill(j), expiresAt }),
          );
          return w.storeRecords(records);
        }),
      ),
    );
    const reader = dicts[38]!;
    const pagesBefore = reader.entries.statistics.pagesRequested;
    const seen: string[] = [];
    let cursor: string | undefined;
    let gets = 0;
    do {
      const page: DictPage = await settle(reader.get(key, { cursor }));
      seen.push(...page.entries.map((e) => `${text(e.subkey)}@${e.owner!.midHex}`));
      cursor = page.cursor;
      gets++;
    } while (cursor !== undefined && gets < 20);
    expect(seen.length).toBe(300);
    expect(new Set(seen).size).toBe(300);
    expect(reader.entries.statistics.pagesRequested - pagesBefore).toBeGreaterThan(60); // many datagrams per storer
    // Smaller pages: 50 at a time, the same 300.
    const small: string[] = [];
    cursor = undefined;
    do {
      const page: DictPage = await settle(reader.get(key, { limit: 50, cursor }));
      expect(page.entries.length).toBeLessThanOrEqual(50);
      small.push(...page.entries.map((e) => `${text(e.subkey)}@${e.owner!.midHex}`));
      cursor = page.cursor;
    } while (cursor !== undefined && small.length < 1_000);
    expect(small.sort()).toEqual(seen.sort());
  });

  it('two writes of one subkey in the same ms: the second steps one ms past the first and wins; storers say so in events', async () => {
    const writer = dicts[14]!;
    const heard: string[] = [];
    const listen = (_key: Uint8Array, verdict: string): void => void heard.push(verdict);
    for (const d of dicts) d.on('subkey:stored', listen);
    const first = await settle(writer.set('same ms', 'x', utf8('first'), { ttlMs: HOUR }));
    const second = await settle(writer.set('same ms', 'x', utf8('second'), { ttlMs: HOUR - (net.clock.now() - (first.expiresAt - HOUR)) }));
    for (const d of dicts) d.off('subkey:stored', listen);
    expect(second.expiresAt).toBe(first.expiresAt + 1);
    expect(second.verdicts.updated).toBe(first.verdicts.stored);
    expect(heard.filter((v) => v === 'stored').length).toBe(first.verdicts.stored);
    expect(heard.filter((v) => v === 'updated').length).toBe(second.verdicts.updated);
    expect((await settle(dicts[0]!.get('same ms'))).entries.map(shown)).toEqual([`x=second@${mid(writer)}`]);
  });

  it('misuse is a named error before anything is sent', async () => {
    const d = dicts[0]!;
    const now = net.clock.now();
    const cases: Array<[Promise<unknown>, string]> = [
      [d.set('k', '', utf8('v')), 'invalid-key'],
      [d.set('k', 'x'.repeat(65), utf8('v')), 'invalid-key'],
      [d.set('k', 's', new Uint8Array(513)), 'too-large'],
      [d.set('k', 's', utf8('v'), { ttlMs: HOUR, expiresAt: now + HOUR }), 'invalid-ttl'],
      [d.set('k', 's', utf8('v'), { expiresAt: now - 1 }), 'invalid-ttl'],
      [d.set('k', 's', utf8('v'), { expiresAt: now + 25 * HOUR }), 'invalid-ttl'],
      [d.get('k', { limit: 0 }), 'invalid-limit'],
      [d.get('k', { cursor: 'zz' }), 'invalid-cursor'],
    ];
    for (const [p, reason] of cases) await expect(p).rejects.toMatchObject({ name: 'DictError', reason });
  });
});
