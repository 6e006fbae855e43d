/**
 * Subkey dictionaries over real UDP: 5 nodes on 127.0.0.1 (ephemeral ports, no other address).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DictCommunity } from '../../../communities/dict/index.js';
import type { DictEntry, DictPage, DictRecord } from '../../../communities/dict/index.js';
import { DHTCommunity } from '../../../communities/dht/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { utf8 } from '../../../framework/index.js';
import { udpOverlay } from '../../helpers/udp-overlay.js';

const HOUR = 3_600_000;
let hosts: OverlayHost[] = [];
let dicts: DictCommunity[] = [];
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const shown = (e: DictEntry): string => `${text(e.subkey)}=${text(e.value)}${e.owner === undefined ? '' : `@${e.owner.midHex.slice(0, 6)}`}`;
const mid = (d: DictCommunity): string => d.context.key.publicKey.midHex.slice(0, 6);

beforeAll(async () => {
  hosts = await udpOverlay(5, (h) => {
    h.register(DictCommunity);
  });
  for (const h of hosts) expect(h.endpoint.address.host).toBe('127.0.0.1');
  for (const h of hosts) expect(h.get(DHTCommunity).routingTable.size).toBe(4);
  dicts = hosts.map((h) => h.get(DictCommunity));
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('dictionaries over UDP on 127.0.0.1 (5 nodes)', () => {
  it('three writers add subkeys; every node reads the merged dictionary; the later expiration wins', async () => {
    const [a, b, c] = [dicts[1]!, dicts[2]!, dicts[3]!];
    await Promise.all([a.set('udp dict', 'a', utf8('from a')), b.set('udp dict', 'b', utf8('from b')), c.set('udp dict', 'shared', utf8('c first'), { open: true, ttlMs: HOUR })]);
    const later = await b.set('udp dict', 'shared', utf8('b later'), { open: true, ttlMs: 2 * HOUR });
    expect(later.verdicts).toEqual({ updated: 4 }); // the 4 other nodes held c's entry; b, one of the k closest, keeps its own too
    await expect(a.set('udp dict', 'shared', utf8('a earlier'), { open: true, ttlMs: HOUR })).rejects.toMatchObject({ name: 'DictError', reason: 'stale' });
    for (const d of dicts) {
      const { entries, cursor } = await d.get('udp dict');
      expect(cursor).toBeUndefined();
      expect(entries.map(shown).sort()).toEqual([`a=from a@${mid(a)}`, `b=from b@${mid(b)}`, 'shared=b later']);
    }
  });

  it('an owned subkey: a forged replacement is refused as bad-signature by every storer and counted', async () => {
    const [owner, mallory] = [dicts[0]!, dicts[4]!];
    await owner.set('udp owned', 'name', utf8('owner'));
    const real: DictRecord = owner.entries.own.values().next().value!.record;
    const counted = (): number => dicts.reduce((n, d) => n + d.entries.store.verdicts['bad-signature'], 0);
    const before = counted();
    const outcome = await mallory.storeRecords([{ ...real, value: utf8('mallory'), expiresAt: real.expiresAt + HOUR }]);
    expect(outcome.verdicts).toEqual({ 'bad-signature': 4 });
    expect(outcome.keptHere).toBe(true); // 5 nodes, k = 8: mallory's own store is one of the storers, and refuses it too
    expect(counted() - before).toBe(5);
    expect((await dicts[2]!.get('udp owned')).entries.map(shown)).toEqual([`name=owner@${mid(owner)}`]);
  });

  it('pages: 40 subkeys of 300 bytes (several datagrams per storer), 7 at a time, each exactly once', async () => {
    const writer = dicts[1]!;
    for (let i = 0; i < 40; i++) await writer.set('udp big', `s${String(i).padStart(2, '0')}`, new Uint8Array(300).fill(i), { open: i % 2 === 0 });
    const pagesBefore = dicts[3]!.entries.statistics.pagesRequested;
    const whole = await dicts[3]!.get('udp big');
    expect(whole.entries.length).toBe(40);
    expect(dicts[3]!.entries.statistics.pagesRequested - pagesBefore).toBeGreaterThan(4 * 4); // more than 4 datagrams from each of 4 storers
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page: DictPage = await dicts[4]!.get('udp big', { limit: 7, cursor });
      expect(page.entries.length).toBeLessThanOrEqual(7);
      seen.push(...page.entries.map((e) => text(e.subkey)));
      cursor = page.cursor;
    } while (cursor !== undefined && seen.length < 100);
    expect(seen.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`));
  });
});
