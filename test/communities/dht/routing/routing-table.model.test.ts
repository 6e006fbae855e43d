import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../framework/util/bytes.js';
import type { Contact } from '../../../../communities/dht/routing/contact.js';
import { RoutingTable } from '../../../../communities/dht/routing/routing-table.js';
import { checkInvariants, fullSortClosest, hexes, StepClock } from './helpers.js';
import { ReferenceModel } from './reference-model.js';

/** The system under test plus what its events reported. */
interface Real {
  table: RoutingTable;
  clock: StepClock;
  /** Live set as rebuilt from `peer:added` / `peer:removed`. */
  eventLive: Set<string>;
  /** `removed>added` pairs from `peer:replaced` during the current command. */
  replaced: string[];
}

interface Config {
  bucketSize: number;
  replacementCacheSize: number;
  maxFailures: number;
  idBits: number;
  wideBuckets: number;
}

type Cmd = fc.Command<ReferenceModel, Real>;

/** Runs before every command: one tick of time, so every `lastSeen` is distinct. */
function tick(m: ReferenceModel, r: Real): number {
  r.clock.t += 1;
  r.replaced = [];
  m.promoted = [];
  return r.clock.t;
}

/** After every command: the table equals the model bucket by bucket, and every invariant holds. */
function compare(m: ReferenceModel, r: Real, cfg: Config): void {
  const buckets = r.table.buckets();
  expect(buckets.length).toBe(m.depth + 1);
  // Whole state in one comparison: per bucket, live and cached entries as `hex@seen/failures`.
  const show = (c: { hex: string; seen: number; failures: number }): string => `${c.hex}@${c.seen}/${c.failures}`;
  const of = (c: Contact): string => show({ hex: toHex(c.id), seen: c.lastSeen, failures: c.failures });
  const expected = m.layout().map(({ live, cached }) => ({ live: live.map(show), cached: cached.map(show) }));
  expect(buckets.map((b) => ({ live: b.contacts.map(of), cached: b.replacements.map(of) }))).toEqual(expected);
  expect(r.table.size).toBe(m.size);
  expect([...r.eventLive].sort()).toEqual(hexes(r.table.contacts()).sort());
  checkInvariants(r.table, m.self, { ...cfg });
}

/** An id the model knows (live or cached) chosen by `pick`, or `fallback` when it knows none. */
function knownId(m: ReferenceModel, pick: number, fallback: Uint8Array): Uint8Array {
  const e = m.entries[pick % Math.max(1, m.entries.length)];
  return e === undefined ? fallback : e.id;
}

function commands(cfg: Config, idArb: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Iterable<Cmd>> {
  const addNew = fc.tuple(idArb, fc.integer({ min: 1, max: 65_535 })).map(
    ([id, port]): Cmd => ({
      check: () => true,
      run: (m, r) => {
        const now = tick(m, r);
        const expected = m.add(id, now);
        const got = r.table.add({ id, address: { host: '10.0.0.1', port } });
        if (got.status === 'full') {
          expect(expected).toEqual({ status: 'full', pingCandidate: toHex(got.pingCandidate.id) });
        } else {
          expect(got.status).toBe(expected.status);
        }
        if (got.status === 'added' || got.status === 'updated') {
          expect(got.contact.address.port).toBe(port);
          expect(r.table.get(id)).toBe(got.contact);
        }
        compare(m, r, cfg);
      },
      toString: () => `add(${toHex(id)})`,
    }),
  );
  const onKnown = (name: 'readd' | 'touch' | 'fail' | 'remove'): fc.Arbitrary<Cmd> =>
    fc.tuple(fc.nat(), idArb).map(
      ([pick, fallback]): Cmd => ({
        check: () => true,
        run: (m, r) => {
          const now = tick(m, r);
          const id = knownId(m, pick, fallback);
          const hex = toHex(id);
          const wasLive = r.table.has(id);
          if (name === 'readd') {
            const expected = m.add(id, now);
            expect(r.table.add({ id, address: { host: '10.0.0.2', port: 9 } }).status).toBe(expected.status);
          } else if (name === 'touch') {
            expect(r.table.touch(id)).toBe(m.touch(hex, now));
          } else {
            const before = m.find(hex);
            const removes = before !== undefined && (name === 'remove' || before.failures + 1 >= m.maxFailures);
            expect(r.table[name](id)).toBe(m[name](hex));
            if (removes) expect(r.table.has(id)).toBe(false);
            // A freed live slot refilled from the cache is reported as a replacement.
            const promoted = removes && wasLive ? m.promoted : [];
            expect(r.replaced).toEqual(promoted.slice(0, 1).map((p) => `${hex}>${p}`));
          }
          compare(m, r, cfg);
        },
        toString: () => `${name}(#${pick})`,
      }),
    );
  const closest = fc.tuple(idArb, fc.integer({ min: 0, max: 12 }), fc.boolean()).map(
    ([target, n, filtered]): Cmd => ({
      check: () => true,
      run: (m, r) => {
        tick(m, r);
        const even = (id: Uint8Array): boolean => (id[id.length - 1]! & 1) === 0;
        const filter = filtered ? (c: Contact): boolean => even(c.id) : undefined;
        const got = hexes(r.table.closest(target, n, filter));
        expect(got).toEqual(fullSortClosest(r.table.contacts(), target, n, filter));
        const liveCount = m.entries.filter((e) => e.live && (!filtered || even(e.id))).length;
        expect(got.length).toBe(Math.min(n, liveCount));
      },
      toString: () => `closest(${toHex(target)}, ${n}${filtered ? ', even' : ''})`,
    }),
  );
  return fc.commands(
    [
      addNew,
      addNew,
      addNew,
      onKnown('readd'),
      onKnown('touch'),
      onKnown('fail'),
      onKnown('fail'),
      onKnown('remove'),
      closest,
    ],
    { maxCommands: 120, size: 'max' },
  );
}

function runModel(
  selfArb: fc.Arbitrary<Uint8Array>,
  idArb: (self: Uint8Array) => fc.Arbitrary<Uint8Array>,
  idBitsArb: fc.Arbitrary<number>,
  numRuns: number,
): void {
  const scenario = fc
    .record({
      self: selfArb,
      bucketSize: fc.integer({ min: 2, max: 4 }),
      replacementCacheSize: fc.integer({ min: 0, max: 3 }),
      maxFailures: fc.integer({ min: 1, max: 3 }),
      idBits: idBitsArb,
      wideBuckets: fc.constantFrom(0, 0, 1, 2),
    })
    .chain((cfg) => fc.tuple(fc.constant(cfg), commands(cfg, idArb(cfg.self))));
  fc.assert(
    fc.property(scenario, ([{ self, ...cfg }, cmds]) => {
      const setup = (): { model: ReferenceModel; real: Real } => {
        const clock = new StepClock();
        const table = new RoutingTable(self, clock, cfg);
        const real: Real = { table, clock, eventLive: new Set(), replaced: [] };
        table.on('peer:added', (c) => real.eventLive.add(toHex(c.id)));
        table.on('peer:removed', (c) => real.eventLive.delete(toHex(c.id)));
        table.on('peer:replaced', (e) => real.replaced.push(`${toHex(e.removed.id)}>${toHex(e.added.id)}`));
        const model = new ReferenceModel(self, cfg.bucketSize, cfg.replacementCacheSize, cfg.maxFailures, cfg.idBits, cfg.wideBuckets);
        return { model, real };
      };
      fc.modelRun(setup, cmds);
    }),
    { numRuns },
  );
}

/** An id sharing exactly `shared` leading bits with `self` (`self` itself at full width): hits every bucket. */
function nearId(self: Uint8Array): fc.Arbitrary<Uint8Array> {
  const width = self.length * 8;
  const tail = fc.uint8Array({ minLength: self.length, maxLength: self.length });
  return fc.tuple(fc.integer({ min: 0, max: width }), tail).map(([shared, bytes]) => {
    if (shared === width) return Uint8Array.from(self);
    const id = Uint8Array.from(bytes);
    for (let bit = 0; bit <= shared; bit++) {
      const mask = 0x80 >> (bit & 7);
      const want = bit < shared ? self[bit >> 3]! & mask : ~self[bit >> 3]! & mask;
      id[bit >> 3] = (id[bit >> 3]! & ~mask) | want;
    }
    return id;
  });
}

describe('RoutingTable against a reference model', () => {
  it('8-bit ids, bucket size 2..4, plain or wide far buckets: every command agrees with the model and keeps the invariants', () => {
    const byte = fc.integer({ min: 0, max: 255 }).map((v) => Uint8Array.of(v));
    runModel(byte, (self) => fc.oneof(byte, nearId(self)), fc.constantFrom(8, 8, 5), 250);
  });

  it('160-bit ids (near and random): agrees with the model and keeps the invariants', () => {
    const self = fc.uint8Array({ minLength: 20, maxLength: 20 });
    const ids = (s: Uint8Array): fc.Arbitrary<Uint8Array> =>
      fc.oneof(
        nearId(s),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        // ids differing only in the last nibble: collisions and maximal-depth buckets
        nearId(s).map((id) => id.map((b, i) => (i < 19 ? b : b & 0xf0))),
      );
    runModel(self, ids, fc.constant(160), 50);
  });
});
