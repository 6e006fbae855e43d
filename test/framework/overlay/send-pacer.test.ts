import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ManualClock, SeededRandom, SendPacer } from '../../../framework/index.js';
import type { Address, Clock } from '../../../framework/index.js';

const peer: Address = { host: '203.0.113.7', port: 9_000 };
const other: Address = { host: '203.0.113.8', port: 9_000 };

/** A pacer whose sends are recorded with their time, each taking its token as the host's transport does. */
function paced(clock: ManualClock, options: ConstructorParameters<typeof SendPacer>[1]): { pacer: SendPacer; log: Array<[string, number]>; request(to: Address, name: string): void } {
  const pacer = new SendPacer(clock, options);
  const log: Array<[string, number]> = [];
  return {
    pacer,
    log,
    request: (to, name) =>
      pacer.schedule(to, () => {
        pacer.sent(to);
        log.push([name, clock.now()]);
      }),
  };
}

describe('SendPacer', () => {
  it('lets a burst go at once, then sends queued requests in order at the rate', async () => {
    const clock = new ManualClock(0);
    const { pacer, log, request } = paced(clock, { ratePerSecond: 10, burst: 5 });
    for (let i = 0; i < 8; i++) request(peer, `r${i}`);
    request(other, 'o'); // one bucket per destination
    expect(log).toEqual([['r0', 0], ['r1', 0], ['r2', 0], ['r3', 0], ['r4', 0], ['o', 0]]);
    expect(pacer.stats).toMatchObject({ delayed: 3, queued: 3 });
    await clock.advance(1_000);
    expect(log.slice(6)).toEqual([['r5', 100], ['r6', 200], ['r7', 300]]);
    expect(pacer.stats).toMatchObject({ queued: 0, maxDelayMs: 300 });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('replies take tokens without waiting, so the queued requests wait longer', async () => {
    const clock = new ManualClock(0);
    const { log, request, pacer } = paced(clock, { ratePerSecond: 10, burst: 1 });
    request(peer, 'a');
    pacer.sent(peer); // a reply: the bucket goes below zero
    pacer.sent(peer);
    request(peer, 'b');
    await clock.advance(1_000);
    expect(log).toEqual([['a', 0], ['b', 300]]);
  });

  it('after a stall, sends at most a burst at once: the bucket refills only up to it', () => {
    // A clock whose timers fire only when told, late: an event loop that stalled for 5 s.
    let now = 0;
    const timers = new Map<number, () => void>();
    let ids = 0;
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn) => {
        timers.set(++ids, fn);
        return { id: ids };
      },
      setInterval: () => ({ id: ++ids }),
      clear: (h) => void (h !== undefined && timers.delete(h.id)),
      pendingTimers: () => timers.size,
    };
    const fire = (): void => {
      for (const [id, fn] of [...timers]) {
        timers.delete(id);
        fn();
      }
    };
    const pacer = new SendPacer(clock, { ratePerSecond: 10, burst: 3 });
    const sentAt: number[] = [];
    for (let i = 0; i < 10; i++) pacer.schedule(peer, () => {
      pacer.sent(peer);
      sentAt.push(now);
    });
    expect(sentAt).toEqual([0, 0, 0]);
    now = 5_000; // the timer due at 100 ms fires 4.9 s late: 3 go (the burst), not 50
    fire();
    expect(sentAt.filter((t) => t === 5_000)).toHaveLength(3);
    now = 5_100;
    fire();
    expect(sentAt).toHaveLength(7);
  });

  it('a cancelled request takes no token; clear() drops the queue and its timer', async () => {
    const clock = new ManualClock(0);
    const pacer = new SendPacer(clock, { ratePerSecond: 10, burst: 1 });
    let sent = 0;
    pacer.schedule(peer, () => {
      pacer.sent(peer);
      sent++;
    });
    pacer.schedule(peer, () => undefined); // cancelled while it waited: sends nothing
    pacer.schedule(peer, () => {
      pacer.sent(peer);
      sent++;
    });
    await clock.advance(100);
    expect(sent).toBe(2); // the cancelled one left its token to the next
    pacer.schedule(peer, () => sent++);
    pacer.clear();
    await clock.advance(10_000);
    expect(sent).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('tracks at most maxDestinations, the least recently used idle one forgotten first', () => {
    const pacer = new SendPacer(new ManualClock(0), { maxDestinations: 3 });
    for (let i = 0; i < 10; i++) pacer.schedule({ host: `198.51.100.${i}`, port: 1 }, () => undefined);
    expect(pacer.size).toBe(3);
    expect(pacer.stats.evicted).toBe(7);
  });

  it('refuses bad options', () => {
    expect(() => new SendPacer(new ManualClock(0), { ratePerSecond: 0 })).toThrow(InvalidArgumentError);
    expect(() => new SendPacer(new ManualClock(0), { burst: -1 })).toThrow(InvalidArgumentError);
  });
});

/** A bucket of {@link KeepingPacer}. */
interface KeptBucket {
  tokens: number;
  updated: number;
  queue: Array<() => void>;
  timer: boolean;
}

/** The pacer before idle buckets were forgotten (no eviction either): one bucket per destination, for ever. */
class KeepingPacer {
  private readonly buckets = new Map<string, KeptBucket>();
  constructor(
    private readonly clock: ManualClock,
    private readonly rate: number,
    private readonly burst: number,
  ) {}
  schedule(to: Address, send: () => void): void {
    const b = this.bucket(to);
    if (b.queue.length === 0 && b.tokens >= 1) return send();
    b.queue.push(send);
    this.wake(to, b);
  }
  sent(to: Address): void {
    this.bucket(to).tokens -= 1;
  }
  private bucket(to: Address): KeptBucket {
    const key = `${to.host}:${to.port}`;
    let b = this.buckets.get(key);
    if (b === undefined) this.buckets.set(key, (b = { tokens: this.burst, updated: this.clock.now(), queue: [], timer: false }));
    else this.refill(b);
    return b;
  }
  private refill(b: KeptBucket): void {
    b.tokens = Math.min(this.burst, b.tokens + ((this.clock.now() - b.updated) * this.rate) / 1_000);
    b.updated = this.clock.now();
  }
  private wake(to: Address, b: KeptBucket): void {
    if (b.queue.length === 0 || b.timer) return;
    b.timer = true;
    this.clock.setTimeout(() => {
      b.timer = false;
      this.refill(b);
      while (b.queue.length > 0 && b.tokens >= 1) {
        const before = b.tokens;
        b.queue.shift()!();
        if (b.tokens === before) continue;
      }
      this.wake(to, b);
    }, Math.max(1, Math.ceil(((1 - b.tokens) * 1_000) / this.rate)));
  }
}

describe('SendPacer forgets idle buckets', () => {
  it('a bucket full again with nobody waiting is forgotten at the next sweep (as packets go out); one below full is kept', async () => {
    const clock = new ManualClock(0);
    const pacer = new SendPacer(clock, { ratePerSecond: 10, burst: 5 }); // refills in 500 ms: the first sweep then, the next every 125 ms
    const third: Address = { host: '203.0.113.9', port: 9_000 };
    pacer.schedule(peer, () => pacer.sent(peer)); // 4 tokens left: full again after 100 ms
    for (let i = 0; i < 12; i++) pacer.sent(other); // replies: -7 tokens, full again after 1,200 ms
    expect(pacer.size).toBe(2);
    await clock.advance(600);
    pacer.sent(third); // the sweep runs: peer's bucket (full since 100 ms) goes, other's (-7 + 6 = -1) stays
    expect(pacer.size).toBe(2);
    await clock.advance(700); // 1,300 ms: other's is full too, and the next sweep (due at 725 ms) runs with the next packet
    pacer.sent(third);
    expect(pacer.size).toBe(1); // only third's, used just now
    const times: number[] = [];
    for (let i = 0; i < 7; i++) pacer.schedule(other, () => (pacer.sent(other), times.push(clock.now())));
    await clock.advance(1_000);
    expect(times).toEqual([1_300, 1_300, 1_300, 1_300, 1_300, 1_400, 1_500]); // a forgotten bucket is a full one
    await clock.advance(5_000);
    pacer.sent(third);
    expect(pacer.size).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a bucket with requests waiting is never forgotten, however long they wait', async () => {
    const clock = new ManualClock(0);
    const pacer = new SendPacer(clock, { ratePerSecond: 1, burst: 1 }); // idle after 1 s; one token a second
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i++) pacer.schedule(peer, () => (pacer.sent(peer), sentAt.push(clock.now())));
    for (let t = 0; t < 6; t++) {
      await clock.advance(1_000);
      pacer.sent({ host: '198.51.100.1', port: t + 1 }); // others' packets run the sweep meanwhile
    }
    expect(sentAt).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it('sends exactly when a pacer that keeps every bucket does, over 3 x 3,000 random steps', async () => {
    for (const seed of [1, 2, 3]) {
      const random = new SeededRandom(seed);
      const clock = new ManualClock(0);
      const pacer = new SendPacer(clock, { ratePerSecond: 5, burst: 4 }); // sweeps every 200 ms
      const keeping = new KeepingPacer(clock, 5, 4);
      const got: Array<[number, number]> = [];
      const want: Array<[number, number]> = [];
      const destinations = Array.from({ length: 6 }, (_, i): Address => ({ host: `198.51.100.${i}`, port: 1 }));
      let before = 0;
      let forgotten = 0;
      for (let step = 0; step < 3_000; step++) {
        const to = destinations[random.int(destinations.length)]!;
        const r = random.int(100);
        if (r < 50) {
          const cancelled = random.int(10) === 0;
          pacer.schedule(to, () => void (cancelled || (pacer.sent(to), got.push([step, clock.now()]))));
          keeping.schedule(to, () => void (cancelled || (keeping.sent(to), want.push([step, clock.now()]))));
        } else if (r < 75) {
          for (let n = 1 + random.int(random.int(4) === 0 ? 8 : 2); n > 0; n--) {
            pacer.sent(to); // replies, sometimes many: the bucket goes well below zero
            keeping.sent(to);
          }
        } else {
          await clock.advance([1, 10, 50, 100, 300, 2_000][random.int(6)]!);
        }
        const size = pacer.size;
        if (size < before) forgotten += before - size;
        before = size;
      }
      await clock.advance(60_000);
      expect(got).toEqual(want);
      expect(got.length).toBeGreaterThan(1_000);
      expect(forgotten).toBeGreaterThan(100); // buckets were forgotten along the way
    }
  });
});
