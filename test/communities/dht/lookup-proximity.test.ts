/**
 * `LookupOptions.rttMs` (proximity routing): each free slot goes to the fastest unqueried candidate among
 * those sharing as many leading bits with the target as the nearest one (less `rttSlackBits`); without it,
 * nearest first.
 */
import { describe, expect, it } from 'vitest';
import { iterativeLookup } from '../../../communities/dht/lookup.js';
import type { LookupOptions, LookupPeer, QueryReply } from '../../../communities/dht/lookup.js';
import { resolveDHTSettings } from '../../../communities/dht/settings.js';
import { dhtRoutingTable } from '../../../communities/dht/routing/dht-table.js';
import { InvalidArgumentError, ManualClock, SeededRandom, toHex } from '../../../framework/index.js';

/** An id whose first byte is `first` and last byte `last` (the target is all zeros). */
const id = (first: number, last: number): Uint8Array => {
  const out = new Uint8Array(20);
  out[0] = first;
  out[19] = last;
  return out;
};
// Leading bits in common with the zero target: a and b 7, c and d 6.
const NODES = { a: id(0x01, 1), b: id(0x01, 2), c: id(0x02, 1), d: id(0x03, 1) };
type Name = keyof typeof NODES;
const RTT: Record<Name, number> = { a: 100, b: 20, c: 5, d: 50 };

function run(options: { rtt?: boolean; slack?: number }): Promise<Name[]> {
  const clock = new ManualClock();
  const names = Object.keys(NODES) as Name[];
  const nameOf = new Map(names.map((n) => [toHex(NODES[n]), n]));
  const peer = (n: Name): LookupPeer => ({ id: NODES[n], address: { host: '127.0.0.1', port: 1000 + names.indexOf(n) } });
  const order: Name[] = [];
  const o: LookupOptions<never, QueryReply<never>> = {
    target: new Uint8Array(20),
    selfId: id(0x80, 0),
    k: 8,
    alpha: 1,
    seeds: names.map(peer),
    query: (p) => {
      order.push(nameOf.get(toHex(p.id))!);
      return new Promise((resolve) => clock.setTimeout(() => resolve({ nodes: [] }), 10));
    },
    softTimeoutMs: () => 1_000,
    schedule: (ms, fn) => clock.setTimeout(fn, ms),
    cancel: (h) => clock.clear(h),
    rttMs: options.rtt === true ? (hex) => RTT[nameOf.get(hex)!] : undefined,
    rttSlackBits: options.slack,
  };
  return clock.settle(iterativeLookup(o)).then(() => order);
}

describe('lookup proximity routing (rttMs)', () => {
  it('without RTTs: nearest first', async () => {
    expect(await run({})).toEqual(['a', 'b', 'c', 'd']);
  });

  it('with RTTs: the fastest of the candidates as near as the nearest (same leading bits), never a less useful one first', async () => {
    // b (20 ms) before a (100 ms), both 7 bits; c (5 ms) waits until no 7-bit candidate is left.
    expect(await run({ rtt: true })).toEqual(['b', 'a', 'c', 'd']);
  });

  it('rttSlackBits 1: a candidate one bit less near may go first when faster', async () => {
    expect(await run({ rtt: true, slack: 1 })).toEqual(['c', 'b', 'd', 'a']);
  });

  it('the DHT settings: rttSlackBits -1 (off) by default, wideBuckets 0, both passed on and checked', () => {
    expect(resolveDHTSettings({}).rttSlackBits).toBe(-1);
    expect(resolveDHTSettings({ rttSlackBits: 0 }).rttSlackBits).toBe(0);
    expect(() => resolveDHTSettings({ rttSlackBits: -2 })).toThrow(InvalidArgumentError);
    expect(() => resolveDHTSettings({ rttSlackBits: 1.5 })).toThrow(InvalidArgumentError);
    expect(resolveDHTSettings({}).wideBuckets).toBe(0);
    expect(() => resolveDHTSettings({ wideBuckets: 9 })).toThrow(InvalidArgumentError);
    const table = dhtRoutingTable(new Uint8Array(20).fill(1), new ManualClock(), new SeededRandom(1), resolveDHTSettings({ wideBuckets: 2 }), () => {});
    expect(table.options.wideBuckets).toBe(2);
  });
});
