import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ManualClock, SendPacer } from '../../../framework/index.js';
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
