/**
 * The requester's side of the multi-key find (`FindBatcher`, `communities/dht/records/find-many.ts`) from
 * fakes: queries for one node in one turn go in one request and each gets its own target's answer; what a
 * reply leaves out is asked again; a malformed reply fails its queries; a node that ignores the request is
 * asked one key at a time (after one probe), a silent one fails them all.
 */
import { describe, expect, it } from 'vitest';
import { DHTError } from '../../../communities/dht/errors.js';
import type { FindReply } from '../../../communities/dht/records/engine-types.js';
import { FindBatcher, FindManyIgnorers } from '../../../communities/dht/records/find-many.js';
import type { FindBatcherParts } from '../../../communities/dht/records/find-many.js';
import type { FindManyAnswer, FindManyRequestBody, FindManyResponseBody } from '../../../communities/dht/records/find-many-messages.js';
import { ValueFindMany } from '../../../communities/dht/bulk-messages.js';
import { ManualClock, PrivateKey, SeededRandom, parseAddress, toHex } from '../../../framework/index.js';
import type { Incoming, TimerHandle } from '../../../framework/index.js';

const sender = PrivateKey.generate(new SeededRandom(5)).publicKey;
const id = (n: number): Uint8Array => new Uint8Array(20).fill(n);
const peerA = { id: id(1), address: parseAddress('10.0.0.1:1') };
const peerB = { id: id(2), address: parseAddress('10.0.0.2:1') };
const token = new Uint8Array(20).fill(9);
/** A reply naming its target in `found`, so a test sees which answer reached which query. */
const named = (target: Uint8Array, via: string): FindReply<string> => ({ nodes: [], found: [{ record: `${via}:${toHex(target).slice(0, 2)}`, expiresAt: 0 }], token, total: 1, more: false, authoritative: true, sender, lastId: undefined });
const answer = (nodes: number[] = []): FindManyAnswer<unknown> => ({ nodes, records: [], total: 1, more: false, authoritative: true });

function fakes(respond: (body: Omit<FindManyRequestBody, 'id'>) => FindManyResponseBody<unknown> | Error, single: (target: Uint8Array) => FindReply<string> | Error = (t) => named(t, 'single')) {
  const multi: Array<Omit<FindManyRequestBody, 'id'>> = [];
  const singles: string[] = [];
  const timers: Array<() => void> = [];
  const ignorers = new FindManyIgnorers(new ManualClock());
  const parts: FindBatcherParts<string, unknown> = {
    messages: ValueFindMany as unknown as FindBatcherParts<string, unknown>['messages'],
    request: (async (_peer: unknown, _type: unknown, body: Omit<FindManyRequestBody, 'id'>) => {
      multi.push(body);
      const out = respond(body);
      if (out instanceof Error) throw out;
      return { value: out, from: peerA.address, sender, size: 600 } as unknown as Incoming<FindManyResponseBody<unknown>>;
    }) as unknown as FindBatcherParts<string, unknown>['request'],
    tokens: { get: () => token, remember: () => undefined },
    node: { publicKeyBytes: 74, maxPacketBytes: 1_400 },
    ignorers,
    query: async (_peer, target) => {
      singles.push(toHex(target).slice(0, 2));
      const out = single(target);
      if (out instanceof Error) throw out;
      return out;
    },
    reply: (target) => named(target, 'multi'),
    schedule: (fn): TimerHandle => {
      timers.push(fn);
      return { id: timers.length };
    },
  };
  const batcher = new FindBatcher(parts, { records: true, publisher: undefined, signal: undefined });
  /** Runs the turns due (and the ones they schedule) with the promise jobs between them. */
  const turns = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      const due = timers.splice(0);
      due.forEach((fn) => fn());
    }
  };
  return { batcher, multi, singles, ignorers, turns };
}

const found = (r: PromiseSettledResult<FindReply<string>>): string => (r.status === 'fulfilled' ? r.value.found![0]!.record : (r.reason as DHTError).reason);

describe('FindBatcher', () => {
  it('one request for the turn\'s queries to one node, a single find for a lone query; what the reply leaves out is asked again', async () => {
    const f = fakes((body) => ({ id: 1n, token, nodes: [], answers: body.targets.slice(0, 2).map(() => answer()) }));
    // Handlers attached at once, as a lookup attaches them.
    const results = Promise.allSettled([f.batcher.query(peerA, id(0x11)), f.batcher.query(peerA, id(0x22)), f.batcher.query(peerA, id(0x33)), f.batcher.query(peerB, id(0x44)), f.batcher.query(peerA, id(0x22))]);
    await f.turns();
    expect((await results).map(found)).toEqual(['multi:11', 'multi:22', 'single:33', 'single:44', 'multi:22']); // the same key twice: one question
    expect(f.multi.map((b) => b.targets.map((t) => toHex(t).slice(0, 2)))).toEqual([['11', '22', '33']]);
    expect(f.singles).toEqual(['44', '33']); // B's lone query at once; the one left out, alone in the next turn
  });

  it('a reply that indexes a node it does not carry, or answers more keys than asked, fails its queries', async () => {
    for (const bad of [{ id: 1n, token, nodes: [], answers: [answer([0]), answer()] }, { id: 1n, token, nodes: [], answers: [answer(), answer(), answer()] }]) {
      const f = fakes(() => bad);
      const queries = Promise.allSettled([f.batcher.query(peerA, id(1)), f.batcher.query(peerA, id(2))]);
      await f.turns();
      expect((await queries).map(found)).toEqual(['rejected', 'rejected']);
    }
  });

  it('a node that ignores the request answers a single find: it is asked one key at a time from then on', async () => {
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    const f = fakes(() => timeout);
    const queries = Promise.allSettled([f.batcher.query(peerA, id(1)), f.batcher.query(peerA, id(2)), f.batcher.query(peerA, id(3))]);
    await f.turns();
    expect((await queries).map(found)).toEqual(['single:01', 'single:02', 'single:03']);
    expect(f.ignorers.has(toHex(peerA.id))).toBe(true);
    const later = Promise.allSettled([f.batcher.query(peerA, id(4)), f.batcher.query(peerA, id(5))]);
    await f.turns();
    expect((await later).map(found)).toEqual(['single:04', 'single:05']);
    expect(f.multi.length).toBe(1);
  });

  it('a silent node fails every query after one probe, and is not taken for one that ignores the request', async () => {
    const timeout = new DHTError('timed out', 'timeout');
    const f = fakes(() => timeout, () => timeout);
    const queries = Promise.allSettled([f.batcher.query(peerA, id(1)), f.batcher.query(peerA, id(2)), f.batcher.query(peerA, id(3))]);
    await f.turns();
    expect((await queries).map(found)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(f.singles.length).toBe(1);
    expect(f.ignorers.has(toHex(peerA.id))).toBe(false);
  });

  it('close fails the queries still waiting for their turn with stopped', async () => {
    const f = fakes(() => new Error('never sent'));
    const waiting = Promise.allSettled([f.batcher.query(peerA, id(1)), f.batcher.query(peerA, id(2))]);
    f.batcher.close();
    expect((await waiting).map(found)).toEqual(['stopped', 'stopped']);
    expect(f.multi.length).toBe(0);
  });
});
