/**
 * The py-ipv8 compatible request table: answers settle only from the address a request went to, timeouts
 * fire on the injected clock, and a timeout that comes late because the process stalled waits its grace
 * (the same rule as the framework's RequestCache: `stallAwareTimeout`).
 */
import { describe, expect, it } from 'vitest';
import { Ipv8Requests } from '../../../communities/ipv8/requests.js';
import { AbortError, MAX_STALL_GRACE_MS, ManualClock, SeededRandom, TimeoutError } from '../../../framework/index.js';
import { stallingClock } from '../../helpers/stalling-clock.js';

const PEER = { host: '127.0.0.1', port: 9 };

describe('Ipv8Requests', () => {
  it('settles from the address the request went to, times out on time, and leaves no timer', async () => {
    const clock = new ManualClock(0);
    const requests = new Ipv8Requests(clock, new SeededRandom(1));
    const a = requests.open<string>('find', PEER, 1_000);
    const b = requests.open<string>('find', PEER, 1_000);
    expect(requests.settle('find', a.identifier, { host: '127.0.0.1', port: 10 }, 'spoofed')).toBe(false);
    expect(requests.settle('find', a.identifier, PEER, 'ok')).toBe(true);
    await expect(a.answer).resolves.toBe('ok');
    const timedOut = expect(b.answer).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(1_000);
    await timedOut;
    expect(requests.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a timeout that fires late waits as long again (at most MAX_STALL_GRACE_MS) before it rejects', async () => {
    const { clock, manual, stall } = stallingClock();
    const requests = new Ipv8Requests(clock, new SeededRandom(2));
    const late = requests.open<string>('connect-peer', PEER, 1_000);
    const never = requests.open<string>('connect-peer', PEER, 1_000);
    stall(3_000); // the loop ran 3 s late
    await manual.advance(1_000);
    expect(requests.size).toBe(2); // neither rejected yet: the answers may be unread in the socket
    expect(requests.settle('connect-peer', late.identifier, PEER, 'read after the stall')).toBe(true);
    await expect(late.answer).resolves.toBe('read after the stall');
    const rejected = expect(never.answer).rejects.toBeInstanceOf(TimeoutError);
    await manual.advance(MAX_STALL_GRACE_MS);
    await rejected;
    const stopped = requests.open<string>('ping', PEER, 1_000);
    requests.clear();
    await expect(stopped.answer).rejects.toBeInstanceOf(AbortError);
    expect(manual.pendingTimers()).toBe(0);
  });
});
