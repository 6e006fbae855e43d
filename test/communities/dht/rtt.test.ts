import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../../communities/dht/rtt.js';

describe('RttEstimator', () => {
  it('unknown peers get the longest timeouts; known ones 4x / 2x their smoothed RTT within the bounds', () => {
    const rtt = new RttEstimator(500, 2_000);
    expect(rtt.timeoutMs('a')).toBe(2_000);
    expect(rtt.softTimeoutMs('a')).toBe(500);
    rtt.observe('a', 100);
    expect(rtt.timeoutMs('a')).toBe(500); // 4 x 100 + 20 = 420, raised to the floor
    expect(rtt.softTimeoutMs('a')).toBe(210); // 2 x 100 + 10
    rtt.observe('a', 500); // smoothed: 0.75 x 100 + 0.25 x 500 = 200
    expect(rtt.timeoutMs('a')).toBe(820);
    expect(rtt.softTimeoutMs('a')).toBe(410);
    expect(rtt.timeoutMs('b')).toBe(580); // the node-wide RTT (100 x 0.9 + 500 x 0.1 = 140) for a peer never measured: 4 x 140 + 20
  });

  it('the soft timeout floor (50 ms) does not follow the hard floor', () => {
    const rtt = new RttEstimator(500, 2_000);
    rtt.observe('fast', 1);
    expect(rtt.timeoutMs('fast')).toBe(500);
    expect(rtt.softTimeoutMs('fast')).toBe(50);
    const tight = new RttEstimator(20, 2_000, 16, 50);
    tight.observe('fast', 1);
    expect(tight.softTimeoutMs('fast')).toBe(24); // never above the hard timeout (4 x 1 + 20)
  });

  it('keeps at most maxPeers per-peer entries', () => {
    const rtt = new RttEstimator(500, 2_000, 2);
    rtt.observe('a', 1_000);
    rtt.observe('b', 10);
    rtt.observe('c', 10);
    expect(rtt.rtt('a')).not.toBe(1_000); // evicted: falls back to the node-wide estimate
  });
});
