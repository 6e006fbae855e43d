/**
 * The introduced peer's punctures, on a ManualClock with a recording host: a round of 3 punctures at
 * 0/150/400 ms (one for an unproven requester), one to a private LAN address only, introductions within
 * 1 s joined, at most 3 rounds per requester per 30 s, stopped by the requester's hello, one puncture
 * right after one, and nothing left scheduled after stop().
 */
import { describe, expect, it } from 'vitest';
import { MAX_ROUNDS_PER_WINDOW, PUNCTURE_DELAYS_MS, Puncturer, ROUND_WINDOW_MS } from '../../../communities/discovery/puncturer.js';
import type { Introduction } from '../../../communities/discovery/puncturer.js';
import { ManualClock, addressKey } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';

const REQUESTER: Address = { host: '198.18.5.1', port: 7000 };
const STORER: Address = { host: '198.18.9.9', port: 7000 };

function setup() {
  const clock = new ManualClock();
  const sent: Array<{ at: number; to: string }> = [];
  const dropped: string[] = [];
  const puncturer = new Puncturer({
    send: (to) => {
      sent.push({ at: clock.now(), to: addressKey(to) });
      return 173;
    },
    after: (ms, fn) => clock.setTimeout(fn, ms),
    cancel: (h) => clock.clear(h),
    context: { clock },
    drop: (reason) => void dropped.push(reason),
  });
  const start = clock.now();
  const rel = () => sent.map((s) => ({ at: s.at - start, to: s.to }));
  return { clock, sent, dropped, puncturer, rel };
}

const intro = (over: Partial<Introduction> = {}): Introduction => ({ nonce: 1n, requester: REQUESTER, requesterMidHex: 'aa', requesterLan: undefined, proven: true, ...over });

describe('Puncturer', () => {
  it('a proven requester: punctures at 0/150/400 ms and one to its private LAN address; an unproven one: one puncture, no LAN', async () => {
    const { clock, puncturer, rel } = setup();
    puncturer.introduce(intro({ requesterLan: { host: '10.1.0.12', port: 7000 } }), STORER);
    await clock.advance(1_000);
    expect(PUNCTURE_DELAYS_MS).toEqual([0, 150, 400]);
    expect(rel()).toEqual([
      { at: 0, to: '198.18.5.1:7000' },
      { at: 0, to: '10.1.0.12:7000' },
      { at: 150, to: '198.18.5.1:7000' },
      { at: 400, to: '198.18.5.1:7000' },
    ]);
    expect(puncturer.punctured('aa')).toBe(true);

    const other = setup();
    other.puncturer.introduce(intro({ proven: false, requesterLan: { host: '10.1.0.12', port: 7000 } }), STORER);
    await other.clock.advance(1_000);
    expect(other.rel()).toEqual([{ at: 0, to: '198.18.5.1:7000' }]);
  });

  it('a public "LAN" address gets nothing', async () => {
    const { clock, puncturer, sent } = setup();
    puncturer.introduce(intro({ requesterLan: { host: '203.0.113.50', port: 53 } }), STORER);
    await clock.advance(1_000);
    expect(sent.every((s) => s.to === '198.18.5.1:7000')).toBe(true);
    expect(sent).toHaveLength(3);
  });

  it("the requester's hello stops the round; right after one, a round is a single puncture", async () => {
    const { clock, puncturer, sent, dropped } = setup();
    puncturer.introduce(intro(), STORER);
    await clock.advance(100);
    puncturer.heard('aa');
    await clock.advance(1_000);
    expect(sent).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
    puncturer.introduce(intro({ nonce: 2n, requesterLan: { host: '10.1.0.12', port: 7000 } }), STORER);
    await clock.advance(1_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.to).toBe('198.18.5.1:7000');
    expect(dropped).toEqual([]);
  });

  it('introductions within 1 s join one round; at most 3 rounds per requester per 30 s; stop() clears every timer', async () => {
    const { clock, puncturer, sent, dropped } = setup();
    puncturer.introduce(intro(), STORER);
    await clock.advance(200);
    puncturer.introduce(intro({ nonce: 2n }), STORER); // another storer's introduction of the same search
    await clock.advance(1_000);
    expect(sent).toHaveLength(3);
    expect(dropped).toEqual(['introduce-duplicate']);
    for (let i = 1; i < MAX_ROUNDS_PER_WINDOW + 2; i++) {
      puncturer.introduce(intro({ nonce: BigInt(10 + i) }), STORER);
      await clock.advance(1_100);
    }
    expect(sent).toHaveLength(3 * MAX_ROUNDS_PER_WINDOW);
    expect(dropped.filter((d) => d === 'introduce-too-often')).toHaveLength(2);
    await clock.advance(ROUND_WINDOW_MS);
    puncturer.introduce(intro({ nonce: 99n }), STORER);
    expect(sent).toHaveLength(3 * MAX_ROUNDS_PER_WINDOW + 1);
    puncturer.stop();
    expect(clock.pendingTimers()).toBe(0);
  });
});
