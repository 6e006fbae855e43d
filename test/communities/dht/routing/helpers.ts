/**
 * Shared helpers for the routing-table tests: a synchronous step clock, the structural invariant check and
 * the brute-force reference for `closest`.
 * @module
 */
import { expect } from 'vitest';
import type { Clock, TimerHandle } from '../../../../framework/time/clock.js';
import { toHex } from '../../../../framework/util/bytes.js';
import type { Contact } from '../../../../communities/dht/routing/contact.js';
import { commonPrefixLength, compareDistance } from '../../../../communities/dht/routing/node-id.js';
import type { RoutingTable } from '../../../../communities/dht/routing/routing-table.js';

/** A clock whose time is set synchronously (the model test cannot await `ManualClock.advance`). */
export class StepClock implements Clock {
  /** Current virtual time in ms. */
  t = 1_000_000;
  /** @inheritDoc */
  now(): number {
    return this.t;
  }
  /** Not used by the routing table. */
  setTimeout(): TimerHandle {
    throw new Error('StepClock has no timers');
  }
  /** Not used by the routing table. */
  setInterval(): TimerHandle {
    throw new Error('StepClock has no timers');
  }
  /** Not used by the routing table. */
  clear(): void {}
  /** Always 0. */
  pendingTimers(): number {
    return 0;
  }
}

/** The id as a big integer (big-endian). */
export function idToBigInt(id: Uint8Array): bigint {
  let v = 0n;
  for (const b of id) v = (v << 8n) | BigInt(b);
  return v;
}

/** Every live contact sorted by XOR distance to `target`, filtered, first `n`: the reference for `closest`. */
export function fullSortClosest(
  contacts: readonly Contact[],
  target: Uint8Array,
  n: number,
  filter?: (c: Contact) => boolean,
): string[] {
  return contacts
    .filter((c) => filter === undefined || filter(c))
    .sort((a, b) => compareDistance(target, a.id, b.id))
    .slice(0, n)
    .map((c) => toHex(c.id));
}

/** Hex ids of a contact list, in order. */
export function hexes(contacts: readonly Contact[]): string[] {
  return contacts.map((c) => toHex(c.id));
}

/**
 * Asserts every structural invariant of the table: bucket ranges contiguous, disjoint and covering the id
 * space; each contact (and replacement) inside its bucket's range; bucket and cache sizes bounded; no
 * duplicate ids anywhere; self never present; only buckets along our own id were split; lists ordered by
 * `lastSeen`; `size` consistent. Collects every violation and fails once (cheap when all hold).
 */
export function checkInvariants(
  table: RoutingTable,
  selfId: Uint8Array,
  opts: { bucketSize: number; replacementCacheSize: number; idBits: number; admitAll?: boolean; wideBuckets?: number },
): void {
  const errors: string[] = [];
  const must = (ok: boolean, what: string): void => {
    if (!ok) errors.push(what);
  };
  const width = selfId.length * 8;
  const buckets = table.buckets();
  // Ranges: sorted by start, each must start where the previous ended, from 0 up to 2^width.
  const ranges = buckets
    .map((b) => ({ start: idToBigInt(b.prefix), len: 1n << BigInt(width - b.depth) }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let next = 0n;
  for (const r of ranges) {
    must(r.start === next, `range gap or overlap at ${r.start}`);
    next = r.start + r.len;
  }
  must(next === 1n << BigInt(width), 'ranges do not cover the id space');

  const seen = new Set<string>();
  const selfHex = toHex(selfId);
  let live = 0;
  buckets.forEach((b, i) => {
    const own = i === buckets.length - 1;
    const where = `bucket ${i} (${b.prefixBits})`;
    const cpl = commonPrefixLength(b.prefix, selfId);
    must(b.containsSelf === own && cpl >= b.depth === own, `${where}: wrong own-bucket flag`);
    must(b.depth <= opts.idBits, `${where}: deeper than idBits`);
    // Only our own bucket splits: a far bucket at depth d agrees with self on d-1 bits and differs at bit d-1.
    must(own || cpl === b.depth - 1, `${where}: a bucket off our own id was split`);
    must(b.prefixBits.length === b.depth, `${where}: prefixBits length`);
    // A far bucket of ids sharing i < wideBuckets bits with ours holds bucketSize * 2^(wideBuckets - i).
    const wide = opts.wideBuckets ?? 0;
    const capacity = own || b.depth - 1 >= wide ? opts.bucketSize : opts.bucketSize * 2 ** (wide - (b.depth - 1));
    must(b.contacts.length <= capacity, `${where}: over its capacity`);
    must(b.replacements.length <= opts.replacementCacheSize, `${where}: cache over size`);
    must(
      opts.admitAll === false || b.replacements.length === 0 || b.contacts.length === capacity,
      `${where}: replacements while the bucket has room`,
    );
    for (const list of [b.contacts, b.replacements]) {
      for (let j = 0; j < list.length; j++) {
        const c = list[j]!;
        const hex = toHex(c.id);
        must(hex !== selfHex, `${where}: holds self`);
        must(!seen.has(hex), `${where}: duplicate id ${hex}`);
        seen.add(hex);
        must(commonPrefixLength(c.id, b.prefix) >= b.depth, `${where}: ${hex} outside the range`);
        must(j === 0 || list[j - 1]!.lastSeen <= c.lastSeen, `${where}: not ordered by lastSeen`);
      }
    }
    live += b.contacts.length;
  });
  must(table.size === live && table.contacts().length === live, `size ${table.size} but ${live} live contacts`);
  expect(errors).toEqual([]);
}
