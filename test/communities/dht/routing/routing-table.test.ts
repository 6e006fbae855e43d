import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../../framework/errors.js';
import { SeededRandom } from '../../../../framework/random/random.js';
import { ManualClock } from '../../../../framework/time/manual-clock.js';
import { fromHex, toHex } from '../../../../framework/util/bytes.js';
import type { Contact } from '../../../../communities/dht/routing/contact.js';
import { commonPrefixLength } from '../../../../communities/dht/routing/node-id.js';
import { RoutingTable } from '../../../../communities/dht/routing/routing-table.js';
import type { RoutingTableOptions } from '../../../../communities/dht/routing/options.js';
import { checkInvariants, fullSortClosest, hexes } from './helpers.js';

const SELF8 = fromHex('00');
const addr = (port: number, host = '10.0.0.1'): { host: string; port: number } => ({ host, port });
const id8 = (v: number): Uint8Array => Uint8Array.of(v);

/** An 8-bit table with bucket size 2 and a recorder of its events. */
function small(options: RoutingTableOptions = {}): { table: RoutingTable; clock: ManualClock; events: string[] } {
  const clock = new ManualClock();
  const table = new RoutingTable(SELF8, clock, { bucketSize: 2, random: new SeededRandom(1), ...options });
  const events: string[] = [];
  table.on('peer:added', (c) => events.push(`added ${toHex(c.id)}`));
  table.on('peer:removed', (c) => events.push(`removed ${toHex(c.id)}`));
  table.on('peer:replaced', (e) => events.push(`replaced ${toHex(e.removed.id)} by ${toHex(e.added.id)}`));
  return { table, clock, events };
}

/** Each bucket as `prefix:live,ids|cached,ids` (`*` for the root prefix). */
const shape = (table: RoutingTable): string[] =>
  table.buckets().map((b) => `${b.prefixBits || '*'}:${hexes(b.contacts).join()}|${hexes(b.replacements).join()}`);

describe('RoutingTable: buckets and splitting', () => {
  it('splits only the bucket holding our own id', () => {
    const { table } = small();
    expect(table.add({ id: id8(0x80), address: addr(1) }).status).toBe('added');
    expect(table.add({ id: id8(0x81), address: addr(2) }).status).toBe('added');
    expect(shape(table)).toEqual(['*:80,81|']);
    // The root bucket is full and holds our id: it splits; 0xc0 then lands in the full far half.
    const full = table.add({ id: id8(0xc0), address: addr(3) });
    expect(full.status === 'full' && toHex(full.pingCandidate.id)).toBe('80');
    expect(shape(table)).toEqual(['1:80,81|c0', '0:|']);
    // The far bucket never splits, however many contacts arrive for it.
    expect(table.add({ id: id8(0xa0), address: addr(4) }).status).toBe('full');
    expect(table.buckets()).toHaveLength(2);
    // Our own bucket splits again when it fills.
    table.add({ id: id8(0x40), address: addr(5) });
    table.add({ id: id8(0x41), address: addr(6) });
    expect(table.add({ id: id8(0x20), address: addr(7) }).status).toBe('added');
    expect(shape(table)).toEqual(['1:80,81|c0,a0', '01:40,41|', '00:20|']);
    expect(table.buckets().map((b) => [b.depth, b.containsSelf])).toEqual([[1, false], [2, false], [2, true]]);
    checkInvariants(table, SELF8, { bucketSize: 2, replacementCacheSize: 2, idBits: 8 });
  });

  it('wideBuckets 2: the far bucket for half the ids holds 4 k, the next 2 k, the rest and our own k', () => {
    const { table } = small({ wideBuckets: 2 });
    // 0x80..0xff share 0 bits with 0x00: that bucket holds 2 * 4 = 8 live contacts, the 9th waits.
    for (let v = 0x80; v < 0x88; v++) expect(table.add({ id: id8(v), address: addr(v) }).status).toBe('added');
    const ninth = table.add({ id: id8(0x88), address: addr(0x88) });
    expect(ninth.status === 'full' && toHex(ninth.pingCandidate.id)).toBe('80');
    // 0x40..0x7f share 1 bit: 2 * 2 = 4; 0x20..0x3f share 2 bits: plain k = 2.
    for (let v = 0x40; v < 0x44; v++) expect(table.add({ id: id8(v), address: addr(v) }).status).toBe('added');
    expect(table.add({ id: id8(0x44), address: addr(0x44) }).status).toBe('full');
    for (const v of [0x20, 0x21]) expect(table.add({ id: id8(v), address: addr(v) }).status).toBe('added');
    expect(table.add({ id: id8(0x22), address: addr(0x22) }).status).toBe('full');
    expect(table.buckets().map((b) => b.contacts.length)).toEqual([8, 4, 2, 0]);
    expect(table.mayAdmit(id8(0x90), 0)).toBe(false);
    checkInvariants(table, SELF8, { bucketSize: 2, replacementCacheSize: 2, idBits: 8, wideBuckets: 2 });
    // A wide bucket refills from its cache up to its capacity: removing one live contact promotes 0x88.
    table.remove(id8(0x81));
    expect(hexes(table.buckets()[0]!.contacts)).toContain('88');
    expect(() => new RoutingTable(SELF8, new ManualClock(), { wideBuckets: 9 })).toThrow(InvalidArgumentError);
  });

  it('stops splitting at idBits and then caches', () => {
    const { table } = small({ idBits: 6 });
    for (const v of [0x01, 0x02, 0x03]) table.add({ id: id8(v), address: addr(v) });
    // 0x01..0x03 share 6 bits with 0x00: the own bucket reaches depth 6 and keeps 2 of them.
    expect(table.buckets().at(-1)!.depth).toBe(6);
    expect(shape(table).at(-1)).toBe('000000:01,02|03');
    checkInvariants(table, SELF8, { bucketSize: 2, replacementCacheSize: 2, idBits: 6 });
  });

  it('rejects self, malformed ids and what the admit policy refuses', () => {
    const { table } = small({
      admit: (candidate, bucket) => !bucket.some((c) => c.address.host === candidate.address.host),
    });
    expect(table.add({ id: SELF8, address: addr(1) })).toEqual({ status: 'rejected', reason: 'self' });
    expect(table.add({ id: fromHex('0001'), address: addr(1) })).toEqual({ status: 'rejected', reason: 'invalid-id' });
    expect(table.add({ id: id8(0x80), address: addr(1, '10.0.0.1') }).status).toBe('added');
    const sameHost = table.add({ id: id8(0x81), address: addr(2, '10.0.0.1') });
    expect(sameHost).toEqual({ status: 'rejected', reason: 'policy' });
    expect(table.add({ id: id8(0x82), address: addr(3, '10.0.0.2') }).status).toBe('added');
    // Re-adding a known contact is an update, not a policy question.
    expect(table.add({ id: id8(0x80), address: addr(9, '10.0.0.1') }).status).toBe('updated');
    expect(table.size).toBe(2);
    expect(() => table.add({ id: id8(0x83), address: { host: '', port: 1 } })).toThrow(InvalidArgumentError);
    expect(() => table.add({ id: id8(0x83), address: addr(70_000) })).toThrow(InvalidArgumentError);
  });

  it('validates its options and id arguments', () => {
    const clock = new ManualClock();
    expect(() => new RoutingTable(SELF8, clock, { bucketSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => new RoutingTable(SELF8, clock, { idBits: 9 })).toThrow(InvalidArgumentError);
    expect(() => new RoutingTable(SELF8, clock, { staleAfterMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new RoutingTable(new Uint8Array(0), clock)).toThrow(InvalidArgumentError);
    const table = new RoutingTable(new Uint8Array(20), clock);
    expect(table.options).toMatchObject({
      bucketSize: 8,
      maxFailures: 3,
      replacementCacheSize: 8,
      idBits: 160,
      staleAfterMs: 900_000,
    });
    expect(() => table.closest(id8(1), 3)).toThrow(InvalidArgumentError);
    expect(() => table.closest(new Uint8Array(20), -1)).toThrow(InvalidArgumentError);
    expect(() => table.get(id8(1))).toThrow(InvalidArgumentError);
  });
});

describe('RoutingTable: liveness', () => {
  it('a full bucket names its least recently seen contact as the ping candidate', async () => {
    const { table, clock } = small();
    table.add({ id: id8(0x80), address: addr(1) });
    await clock.advance(10);
    table.add({ id: id8(0x81), address: addr(2) });
    await clock.advance(10);
    let r = table.add({ id: id8(0x82), address: addr(3) });
    expect(r.status === 'full' && toHex(r.pingCandidate.id)).toBe('80');
    // It answered the ping: now 0x81 is the oldest.
    await clock.advance(10);
    expect(table.touch(id8(0x80))).toBe(true);
    r = table.add({ id: id8(0x83), address: addr(4) });
    expect(r.status === 'full' && toHex(r.pingCandidate.id)).toBe('81');
    expect(r.status === 'full' && r.pingCandidate.lastSeen).toBe(Math.min(...table.contacts().map((c) => c.lastSeen)));
  });

  it('fail() x maxFailures removes the contact and promotes the most recent replacement', async () => {
    const { table, clock, events } = small({ maxFailures: 3 });
    for (const v of [0x80, 0x81, 0x82, 0x83]) {
      table.add({ id: id8(v), address: addr(v) });
      await clock.advance(5);
    }
    expect(shape(table)[0]).toBe('1:80,81|82,83');
    events.length = 0;
    table.fail(id8(0x80));
    table.fail(id8(0x80));
    expect(table.get(id8(0x80))?.failures).toBe(2);
    table.touch(id8(0x80)); // a success resets the count
    expect(table.get(id8(0x80))?.failures).toBe(0);
    for (let i = 0; i < 3; i++) expect(table.fail(id8(0x80))).toBe(true);
    expect(table.has(id8(0x80))).toBe(false);
    expect(shape(table)[0]).toBe('1:81,83|82'); // 0x83 (newest candidate) promoted, placed by its lastSeen
    expect(events).toEqual(['removed 80', 'added 83', 'replaced 80 by 83']);
    expect(table.fail(id8(0x99))).toBe(false);
  });

  it('re-adding an existing contact moves it to the tail and refreshes it', async () => {
    const { table, clock } = small({ bucketSize: 4 });
    for (const v of [0x80, 0x81, 0x82]) table.add({ id: id8(v), address: addr(v) });
    table.fail(id8(0x80));
    await clock.advance(1_000);
    const r = table.add({ id: id8(0x80), address: addr(4242, '10.9.9.9'), publicKeyBinary: fromHex('aabb') });
    expect(r.status).toBe('updated');
    expect(hexes(table.contacts())).toEqual(['81', '82', '80']);
    const c = table.get(id8(0x80))!;
    expect([c.address, c.failures, c.lastSeen, toHex(c.publicKeyBinary!)]).toEqual([
      addr(4242, '10.9.9.9'),
      0,
      clock.now(),
      'aabb',
    ]);
  });

  it('remove() frees the slot for a replacement and forgets cached candidates', () => {
    const { table, events } = small();
    for (const v of [0x80, 0x81, 0x82]) table.add({ id: id8(v), address: addr(v) });
    events.length = 0;
    expect(table.remove(id8(0x81))).toBe(true);
    expect(events).toEqual(['removed 81', 'added 82', 'replaced 81 by 82']);
    table.add({ id: id8(0x83), address: addr(3) });
    expect(table.remove(id8(0x83))).toBe(true); // a cached candidate
    expect(table.remove(id8(0x83))).toBe(false);
    expect(shape(table)[0]).toBe('1:80,82|');
  });
});

describe('RoutingTable: closest', () => {
  it('equals a full sort by XOR, honours n and the filter', () => {
    const clock = new ManualClock();
    const random = new SeededRandom(3);
    const self = random.bytes(20);
    const table = new RoutingTable(self, clock, { bucketSize: 4, random });
    for (let i = 0; i < 300; i++) table.add({ id: random.bytes(20), address: addr(i + 1) });
    expect(table.buckets().length).toBeGreaterThan(5);
    const even = (c: Contact): boolean => c.address.port % 2 === 0;
    for (let i = 0; i < 50; i++) {
      const target = random.bytes(20);
      expect(hexes(table.closest(target, 8))).toEqual(fullSortClosest(table.contacts(), target, 8));
      expect(hexes(table.closest(target, 5, even))).toEqual(fullSortClosest(table.contacts(), target, 5, even));
    }
    expect(table.closest(self, 1_000)).toHaveLength(table.size);
    expect(table.closest(self, 0)).toEqual([]);
  });
});

describe('RoutingTable.bucketLoad', () => {
  it('counts the live contacts sharing as many leading bits with our id as the target does (a far bucket), and validates the id', () => {
    const clock = new ManualClock();
    const random = new SeededRandom(5);
    const self = random.bytes(20);
    const table = new RoutingTable(self, clock, { bucketSize: 4, random });
    for (let i = 0; i < 300; i++) table.add({ id: random.bytes(20), address: addr(i + 1) });
    const far = table.buckets().filter((b) => !b.containsSelf);
    expect(far.length).toBeGreaterThan(5);
    for (let i = 0; i < 50; i++) {
      const target = random.bytes(20);
      const shared = commonPrefixLength(self, target);
      if (shared >= far.length) continue; // our own bucket's range
      const count = table.contacts().filter((c) => commonPrefixLength(self, c.id) === shared).length;
      expect(table.bucketLoad(target)).toBe(count);
      expect(table.bucketLoad(target)).toBe(table.closest(target, 4, (c) => commonPrefixLength(c.id, self) === shared).length);
    }
    expect(() => table.bucketLoad(Uint8Array.of(1))).toThrow(InvalidArgumentError);
  });
});

describe('RoutingTable: refresh', () => {
  it('reports stale buckets by the injected clock, with targets inside each bucket', async () => {
    const clock = new ManualClock();
    const random = new SeededRandom(9);
    const self = random.bytes(20);
    const table = new RoutingTable(self, clock, { bucketSize: 2, staleAfterMs: 60_000, random });
    for (let i = 0; i < 60; i++) table.add({ id: random.bytes(20), address: addr(i + 1) });
    const count = table.buckets().length;
    expect(count).toBeGreaterThan(3);
    await clock.advance(59_999);
    expect(table.staleBuckets()).toEqual([]);
    await clock.advance(1);
    const stale = table.staleBuckets();
    expect(stale.map((s) => s.depth)).toEqual(table.buckets().map((b) => b.depth));
    for (const [i, s] of stale.entries()) {
      const bucket = table.buckets()[i]!;
      expect(toHex(s.prefix)).toBe(toHex(bucket.prefix));
      expect(commonPrefixLength(s.target, bucket.prefix)).toBeGreaterThanOrEqual(s.depth);
      // A far bucket's target shares exactly depth-1 bits with us: it is in that bucket, not in ours.
      if (!bucket.containsSelf) expect(commonPrefixLength(s.target, self)).toBe(s.depth - 1);
    }
    // Refreshing by target marks exactly that bucket; touching a contact marks its bucket.
    table.markRefreshed(stale[0]!.target);
    table.touch(table.buckets()[1]!.contacts[0]!.id);
    expect(table.staleBuckets().map((s) => s.depth)).toEqual(stale.slice(2).map((s) => s.depth));
    expect(table.staleBuckets(clock.now() + 60_000)).toHaveLength(count);
  });
});

describe('RoutingTable: persistence', () => {
  it('snapshot / restore round trip keeps contacts, order, keys and bucket layout', () => {
    const clock = new ManualClock();
    const random = new SeededRandom(5);
    const self = random.bytes(20);
    const table = new RoutingTable(self, clock, { bucketSize: 3, random });
    for (let i = 0; i < 80; i++) {
      const key = i % 3 === 0 ? random.bytes(74) : undefined;
      const address = addr(1_000 + i, i % 2 ? '::1' : '192.168.1.7');
      table.add({ id: random.bytes(20), address, ...(key && { publicKeyBinary: key }) });
    }
    const snap = JSON.parse(JSON.stringify(table.snapshot())) as ReturnType<RoutingTable['snapshot']>;
    expect(snap).toHaveLength(table.size);
    expect(snap.some((e) => e.publicKey?.length === 148)).toBe(true);
    const copy = RoutingTable.restore(self, clock, snap, { bucketSize: 3 });
    expect(copy.snapshot()).toEqual(table.snapshot());
    expect(copy.buckets().map((b) => b.prefixBits)).toEqual(table.buckets().map((b) => b.prefixBits));
    const fresh = new RoutingTable(self, clock, { bucketSize: 3 });
    expect(fresh.load(snap)).toBe(table.size);
  });

  it('refuses a malformed snapshot before adding anything', () => {
    const table = new RoutingTable(new Uint8Array(20), new ManualClock());
    const good = { id: '11'.repeat(20), host: '10.0.0.1', port: 1 };
    expect(() => table.load([good, { ...good, id: 'zz' }])).toThrow(/snapshot entry 1/);
    expect(() => table.load([good, { ...good, id: 'zz'.repeat(20) }])).toThrow(InvalidArgumentError);
    expect(() => table.load([{ ...good, port: -1 }])).toThrow(InvalidArgumentError);
    expect(table.size).toBe(0);
  });
});

describe('RoutingTable.mayAdmit', () => {
  it('is true for room or our own splittable bucket, false for a full far bucket of good contacts, true once one is stale', async () => {
    const clock = new ManualClock(0);
    const t = new RoutingTable(Uint8Array.of(0), clock, { bucketSize: 2, random: new SeededRandom(3) });
    const at = { host: '10.0.0.1', port: 1 };
    expect(t.mayAdmit(Uint8Array.of(0x80), 0)).toBe(true); // empty
    for (const id of [0x80, 0x81, 0x40]) t.add({ id: Uint8Array.of(id), address: at }); // splits: far {0x80, 0x81} full
    expect(t.buckets().length).toBeGreaterThan(1);
    expect(t.mayAdmit(Uint8Array.of(0x82), 0)).toBe(false); // full far bucket, both seen at 0 >= goodSince 0
    expect(t.mayAdmit(Uint8Array.of(0x01), 0)).toBe(true); // our own bucket can still split
    await clock.advance(1_000);
    expect(t.mayAdmit(Uint8Array.of(0x82), 500)).toBe(true); // its least recently seen contact is older than 500
    t.touch(Uint8Array.of(0x80));
    t.touch(Uint8Array.of(0x81));
    expect(t.mayAdmit(Uint8Array.of(0x82), 500)).toBe(false);
  });
});
