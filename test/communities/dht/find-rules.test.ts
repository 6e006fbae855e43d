/**
 * The find rules as pure functions: `judgeFind` ranks the nodes seen once and answers both questions a
 * value lookup asks after each answer (may it stop; which answer may a `first` find return).
 */
import { describe, expect, it } from 'vitest';
import { firstPlausible, judgeFind, quorumReached } from '../../../communities/dht/find-rules.js';
import type { RuledReply } from '../../../communities/dht/find-rules.js';
import type { Answered } from '../../../communities/dht/lookup.js';
import { toHex } from '../../../framework/index.js';

/** An id at distance `d` (last byte) from the all-zero key. */
const at = (d: number): Uint8Array => {
  const id = new Uint8Array(20);
  id[19] = d;
  return id;
};
const answer = (d: number, authoritative: boolean, refers: number[] = [], suspect = false): Answered<RuledReply> => ({
  peer: { id: at(d), address: { host: '198.18.0.1', port: d } },
  hops: 1,
  reply: { nodes: refers.map((r) => ({ id: at(r) })), authoritative },
  suspect,
});
const rules = { key: new Uint8Array(20), selfId: at(200), k: 4 }; // plausible: among the 2 nearest seen

describe('find rules (judgeFind)', () => {
  it('nothing yet: no plausible answer, not done', () => {
    expect(judgeFind(rules, [], 3, new Set(), true)).toEqual({ plausible: undefined, done: false });
  });

  it('a storer among the k/2 nearest seen is plausible at once; the quorum still waits for 3 answers', () => {
    const a = answer(1, true, [5, 6, 7]);
    expect(judgeFind(rules, [a], 3, new Set(), true)).toEqual({ plausible: a, done: false });
    expect(firstPlausible(rules, [a], new Set())).toBe(a);
    // without wantPlausible nothing is ranked for it
    expect(judgeFind(rules, [a], 3, new Set(), false)).toEqual({ plausible: undefined, done: false });
  });

  it('a "storer" with 2 nearer nodes seen is not plausible', () => {
    const far = answer(9, true, [1, 2]);
    expect(judgeFind(rules, [far], 3, new Set(), true).plausible).toBeUndefined();
  });

  it('3 cache answers stop the lookup only when one of them is among the 3 nearest seen', () => {
    const caches = [answer(10, false, [20]), answer(11, false), answer(12, false)];
    expect(quorumReached(rules, caches, 3, new Set())).toBe(true); // 10, 11, 12 are the 3 nearest seen
    const pointedNearer = [answer(10, false, [1, 2, 3]), answer(11, false), answer(12, false)];
    expect(quorumReached(rules, pointedNearer, 3, new Set())).toBe(false);
    expect(judgeFind(rules, [...pointedNearer, answer(2, true)], 3, new Set(), true)).toMatchObject({ done: true });
  });

  it('suspects neither vote nor rank', () => {
    const a = answer(5, true, [1, 2]);
    // 1 and 2 are a dense cluster: left out of the ranking, so 5 is the nearest seen and plausible
    expect(judgeFind(rules, [a], 3, new Set([toHex(at(1)), toHex(at(2))]), true).plausible).toBe(a);
    expect(judgeFind(rules, [a], 3, new Set(), true).plausible).toBeUndefined();
    const suspectAnswer = answer(1, true, [], true);
    expect(judgeFind(rules, [suspectAnswer], 1, new Set(), true)).toEqual({ plausible: undefined, done: false });
  });
});
