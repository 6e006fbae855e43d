/**
 * Issue #16 ("a possible stall"): every lookup ends within its query and time bounds whatever the nodes
 * answer. fast-check drives `disjointLookup` (d = 1..8 paths, k = 1..20, alpha = 1..10, with or without
 * `quorum`, `isDone`, `maxCandidates` and an abort) on a ManualClock against a network whose answers it
 * scripts: made-up ids (random, one bit from the target, the target, our own id, the queried node again,
 * the node that referred it), hundreds of ids at once, duplicates, answers that never come, rejections
 * (TimeoutError, ImpostorError, others), values, answers after the lookup ended. The fake network fails
 * every query with a TimeoutError at most HARD_TIMEOUT_MS (T) after it was sent. For every case:
 *
 * - the lookup settles, and while it has not, some query is in flight (else nothing could ever wake it);
 * - with Q the queries sent, it settles within Q × T of virtual time (at every instant a query is in
 *   flight and none lasts longer than T), so within d × maxCandidates × T;
 * - Q <= min(L, d × maxCandidates), where L counts the distinct ids other than ours it was given (seeds
 *   and answers delivered before it settled); each path sends at most maxCandidates (default 256) queries,
 *   since a path queries only its candidates, once each, and remembers at most maxCandidates
 *   (`LookupPath.add`); `queried` in the result is Q and the per-path counts sum to Q;
 * - no id is queried twice across all paths, our own id never;
 * - once settled, none of its timers is scheduled, and letting every late answer arrive starts no query
 *   and leaves no timer on the clock;
 * - it rejects only with AbortError, at the instant of the abort; resolved, `closest` holds at most k
 *   distinct nodes, each of which answered (with exactly that reply), strictly sorted by XOR distance to
 *   the target, `found` only answers that carried a value, `failed` at most the failures delivered.
 *
 * LOOKUP_BOUNDS_RUNS and LOOKUP_BOUNDS_SEED override the run count and the seed (e.g. 5,000 runs to look
 * for rare stalls); a failure prints fast-check's seed, path and shrunk counterexample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDistance } from '../../../communities/dht/routing/node-id.js';
import { AbortError, toHex } from '../../../framework/index.js';
import { HARD_TIMEOUT_MS as T, runScenario } from './lookup-bounds.harness.js';
import type { Behaviour, Ref, Run, Scenario } from './lookup-bounds.harness.js';

const RUNS = Number(process.env['LOOKUP_BOUNDS_RUNS'] ?? 1_000);
const SEED = Number(process.env['LOOKUP_BOUNDS_SEED'] ?? 160_016);
/** `LookupOptions.maxCandidates`' default. */
const DEFAULT_MAX_CANDIDATES = 256;

const id = fc.uint8Array({ minLength: 20, maxLength: 20 });
const bit = fc.integer({ min: 0, max: 159 });

const ref: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('random' as const), id }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('near' as const), bit }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pool' as const), index: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.constantFrom<Ref>({ kind: 'target' }, { kind: 'self' }, { kind: 'same' }, { kind: 'back' }) },
  { weight: 2, arbitrary: fc.constantFrom<Ref>({ kind: 'same' }, { kind: 'back' }) },
);
const hugeRef: fc.Arbitrary<Ref> = fc.record({
  kind: fc.constant('huge' as const),
  count: fc.integer({ min: 100, max: 400 }),
  seed: fc.nat(),
  near: fc.boolean(),
});

/**
 * One node's behaviour: `failWeight` (against 4 for an answer) sets how often a query fails, `hugeWeight`
 * (against 10 for a few referrals) how often an answer lists hundreds of nodes, `impostors` whether a
 * failure may be an ImpostorError (which drops every other node the referrer named).
 */
const behaviour = (failWeight: number, hugeWeight: number, impostors = true): fc.Arbitrary<Behaviour> =>
  fc.record({
    outcome: fc.oneof(
      { weight: 4, arbitrary: fc.constant('answer' as const) },
      {
        weight: failWeight,
        arbitrary: impostors ? fc.constantFrom('never' as const, 'timeout' as const, 'impostor' as const, 'error' as const) : fc.constantFrom('never' as const, 'timeout' as const, 'error' as const),
      },
    ),
    delayMs: fc.oneof(fc.constant('instant' as const), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2 * T })),
    refs: fc.oneof({ weight: 10, arbitrary: fc.array(ref, { maxLength: 6 }) }, { weight: hugeWeight, arbitrary: fc.tuple(hugeRef, ref).map((r) => [...r]) }),
    duplicate: fc.boolean(),
    found: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    target: id,
    self: fc.oneof(id, fc.constant('target' as const), bit),
    pool: fc.array(id, { minLength: 1, maxLength: 16 }),
    seeds: fc.array(ref, { minLength: 1, maxLength: 24, size: 'medium' }),
    paths: fc.integer({ min: 1, max: 8 }),
    k: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 20 })),
    alpha: fc.integer({ min: 1, max: 10 }),
    softMs: fc.oneof(fc.integer({ min: 0, max: 2 * T }), fc.integer({ min: T / 2, max: 2 * T })),
    quorum: fc.oneof(fc.constant(undefined), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 5 })),
    doneAt: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.integer({ min: 1, max: 5 })),
    maxCandidates: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.integer({ min: 1, max: 40 })),
    abortAtMs: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 * T }) }),
    // Mildly to very hostile networks, or a flood: one or two answers list hundreds of nodes, then
    // nearly every query times out or errs, so the paths run through their candidates up to maxCandidates.
    script: fc.oneof(
      { weight: 6, arbitrary: fc.nat(4).chain((w) => fc.array(behaviour(2 * w, 1), { minLength: 1, maxLength: 24, size: 'medium' })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.array(behaviour(0, 1_000), { minLength: 1, maxLength: 2 }), fc.array(behaviour(1_000, 0, false), { minLength: 8, maxLength: 300, size: 'max' }))
          .map(([floods, failures]) => [...floods, ...failures]),
      },
    ),
  })
  .map(({ self, ...s }) => {
    const flipped = (b: number): Uint8Array => {
      const out = Uint8Array.from(s.target);
      out[b >> 3]! ^= 0x80 >> (b & 7);
      return out;
    };
    const selfId = self === 'target' ? Uint8Array.from(s.target) : typeof self === 'number' ? flipped(self) : self;
    return { ...s, selfId };
  });

/** Asserts every bound of issue #16 on one run (see the module comment). */
function assertBounds(s: Scenario, run: Run): void {
  const maxCandidates = s.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  const q = run.queriesAtSettle;
  expect(run.repeated, 'ids queried twice').toEqual([]);
  expect(run.selfQueried, 'own id queried').toBe(false);
  expect(run.queriesInAll, 'queries after the lookup settled').toBe(q);
  expect(run.lookupTimersAtSettle, 'lookup timers left at settlement').toBe(0);
  expect(run.clockTimersAtEnd, 'timers left once the network went quiet').toBe(0);
  expect(run.perPath.reduce((a, b) => a + b, 0)).toBe(q);
  for (const n of run.perPath) expect(n).toBeLessThanOrEqual(maxCandidates);
  expect(q).toBeLessThanOrEqual(Math.min(run.learnable, s.paths * maxCandidates));
  expect(run.elapsedMs).toBeLessThanOrEqual(q * T);
  if ('error' in run.outcome) {
    expect(run.outcome.error).toBeInstanceOf(AbortError);
    expect(run.elapsedMs).toBe(s.abortAtMs);
    return;
  }
  const { result } = run.outcome;
  if (s.abortAtMs !== undefined) expect(run.elapsedMs).toBeLessThanOrEqual(s.abortAtMs);
  expect(result.queried).toBe(q);
  expect(result.failed).toBeLessThanOrEqual(run.failuresAtSettle);
  expect(result.closest.length).toBeLessThanOrEqual(s.k);
  for (const c of result.closest) expect(run.replies.get(toHex(c.peer.id)), 'a closest node that never answered').toBe(c.reply);
  for (let i = 1; i < result.closest.length; i++) {
    expect(compareDistance(s.target, result.closest[i - 1]!.peer.id, result.closest[i]!.peer.id)).toBeLessThan(0);
  }
  for (const f of result.found) {
    expect(f.reply.found).toBeDefined();
    expect(run.replies.get(toHex(f.peer.id))).toBe(f.reply);
  }
}

const cap = (s: Scenario): number => s.paths * (s.maxCandidates ?? DEFAULT_MAX_CANDIDATES) * T + T;

describe('disjointLookup under hostile answers (issue #16)', () => {
  it(`settles within its query and time bounds whatever the answers (${RUNS} runs, seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => assertBounds(s, await runScenario(s, cap(s)))),
      { seed: SEED, numRuns: RUNS },
    );
  }, Math.max(60_000, RUNS * 100));

  it('a path that converges while one of its queries is within its soft timeout does not hold back the others (quorum)', async () => {
    // Target 0; a bit from it, a nearer id: flipping bit b puts an id at distance 2^(159-b).
    const target = new Uint8Array(20);
    const at = (b: number): Ref => ({ kind: 'near', bit: b });
    const answer = (delayMs: number, refs: Ref[], found = false): Behaviour => ({ outcome: 'answer', delayMs, refs, duplicate: false, found });
    const s: Scenario = {
      target,
      selfId: new Uint8Array(20).fill(0xff),
      pool: [new Uint8Array(20).fill(1)],
      // Dealt round-robin: path 0 gets a (bit 20) and b (bit 10), path 1 gets c (bit 12).
      seeds: [at(20), at(12), at(10)],
      paths: 2,
      k: 2,
      alpha: 2,
      softMs: 800,
      quorum: 2,
      doneAt: undefined,
      maxCandidates: undefined,
      abortAtMs: undefined,
      // Queries in order: a, b (the quorum holds path 1 back), then x (bit 100, which a refers), then c.
      // a answers at 10 ms, x at 30 ms with a value: path 0 converges on [x, a] while b (within its
      // soft timeout until 800 ms) still runs; b answers at 500 ms. b's slot must not count once path 0
      // ended (else 1 value + 1 running >= quorum holds path 1 back forever with nothing in flight):
      // path 1 queries c and the lookup ends.
      script: [answer(10, [at(100)]), answer(500, []), answer(20, [], true), answer(10, [])],
    };
    const run = await runScenario(s, cap(s));
    assertBounds(s, run);
    expect(run.queriesAtSettle).toBe(4);
    expect(run.perPath).toEqual([3, 1]);
  });

  it('a path that converges frees the paths that stepped before it (quorum)', async () => {
    const at = (b: number): Ref => ({ kind: 'near', bit: b });
    const answer = (delayMs: number, refs: Ref[], found = false): Behaviour => ({ outcome: 'answer', delayMs, refs, duplicate: false, found });
    const s: Scenario = {
      target: new Uint8Array(20),
      selfId: new Uint8Array(20).fill(0xff),
      pool: [new Uint8Array(20).fill(1)],
      // Path 0 gets c (bit 30; our own id is never a candidate), path 1 gets a (bit 5) and b (bit 2).
      seeds: [at(30), at(5), { kind: 'self' }, at(2)],
      paths: 2,
      k: 2,
      alpha: 2,
      // Soft timeouts: 10 ms for c, x and y; 62 ms for a and b (the harness adds 13 ms × (id[0] mod 7)).
      softMs: 10,
      quorum: 2,
      doneAt: undefined,
      maxCandidates: undefined,
      abortAtMs: undefined,
      // Queries in order: c and a at 0 ms (the quorum holds b back), b at 10 ms (c's soft timeout), x
      // (bit 100, which a refers at 20 ms), then y (bit 40, which c refers at 22 ms, while x and b run).
      // x answers at 25 ms with a value: path 0 steps first and is held back (1 value + b running), then
      // path 1 converges on [x, a]; b's slot freed, path 0 must be stepped again to query y.
      script: [answer(22, [at(40)]), answer(20, [at(100)]), answer(40, []), answer(5, [], true), answer(5, [])],
    };
    const run = await runScenario(s, cap(s));
    assertBounds(s, run);
    expect(run.queriesAtSettle).toBe(5);
    expect(run.perPath).toEqual([2, 3]);
  });
});
