import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ManualClock, RelayError, RelayKeeper, addressKey } from '../../../framework/index.js';
import type { Address, RelayAllocation, RelayAllocator } from '../../../framework/index.js';

/** A fake client: `works` lists relays that grant an allocation after 100 ms; others fail after 6 s. */
class FakeAllocator implements RelayAllocator {
  allocation: RelayAllocation | undefined;
  readonly asked: string[] = [];
  releases = 0;
  private readonly listeners = new Set<(a: RelayAllocation | undefined) => void>();
  constructor(
    private readonly clock: ManualClock,
    readonly works: Set<string>,
  ) {}
  allocate(relay: Address, options: { signal?: AbortSignal } = {}): Promise<RelayAllocation> {
    this.asked.push(addressKey(relay));
    return new Promise((resolve, reject) => {
      const ok = this.works.has(addressKey(relay));
      const timer = this.clock.setTimeout(() => {
        if (!ok) return reject(new RelayError('timeout', 'no answer'));
        this.set({ relay, address: { host: relay.host, port: 40_000 } });
        resolve(this.allocation!);
      }, ok ? 100 : 6_000);
      options.signal?.addEventListener('abort', () => {
        this.clock.clear(timer);
        reject(new RelayError('aborted', 'aborted'));
      });
    });
  }
  release(): void {
    if (this.allocation === undefined) return;
    this.releases++;
    this.set(undefined);
  }
  onAllocationChange(listener: (a: RelayAllocation | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** The relay forgot us. */
  lose(): void {
    this.set(undefined);
  }
  private set(a: RelayAllocation | undefined): void {
    this.allocation = a;
    for (const l of this.listeners) l(a);
  }
}

const relay = (i: number): Address => ({ host: `198.18.0.${i}`, port: 8090 });

describe('RelayKeeper', () => {
  it('tries candidates in turn, backs off 5 s, 10 s, 20 s after rounds without a relay, and continues where it stopped', async () => {
    const clock = new ManualClock();
    const fake = new FakeAllocator(clock, new Set());
    const seen: (Address | undefined)[] = [];
    const candidates = [relay(1), relay(2), relay(3), relay(4), relay(5)];
    const keeper = new RelayKeeper(fake, clock, { needsRelay: () => true, candidates: () => candidates, onAllocation: (a) => seen.push(a) });
    keeper.start();
    await clock.advance(18_000); // round 1: three candidates, 6 s each
    expect(fake.asked).toEqual(['198.18.0.1:8090', '198.18.0.2:8090', '198.18.0.3:8090']);
    expect(keeper.stats).toEqual({ rounds: 1, tries: 3, failures: 3, allocations: 0 });
    await clock.advance(4_999); // backoff 5 s (checks every 5 s: the round starts at the first check after it)
    expect(keeper.stats.rounds).toBe(1);
    await clock.advance(5_001);
    expect(keeper.stats.rounds).toBe(2);
    expect(fake.asked.slice(3)).toEqual(['198.18.0.4:8090']); // round 2 starts where round 1 stopped
    fake.works.add('198.18.0.5:8090');
    await clock.advance(12_100);
    expect(fake.asked.slice(3)).toEqual(['198.18.0.4:8090', '198.18.0.5:8090']);
    expect(seen).toEqual([{ host: '198.18.0.5', port: 40_000 }]);
    expect(keeper.stats).toEqual({ rounds: 2, tries: 5, failures: 4, allocations: 1 });
    keeper.stop();
    expect(fake.releases).toBe(1);
    expect(seen).toEqual([{ host: '198.18.0.5', port: 40_000 }, undefined]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('releases the allocation when no longer needed, looks again at once after a loss, and stops a round under way', async () => {
    const clock = new ManualClock();
    const fake = new FakeAllocator(clock, new Set(['198.18.0.1:8090']));
    let needed = true;
    const seen: (string | undefined)[] = [];
    const keeper = new RelayKeeper(fake, clock, {
      needsRelay: () => needed,
      candidates: () => [relay(1)],
      onAllocation: (a) => seen.push(a === undefined ? undefined : addressKey(a)),
    });
    keeper.start();
    await clock.advance(100);
    expect(seen).toEqual(['198.18.0.1:40000']);
    needed = false;
    await clock.advance(5_000);
    expect(fake.releases).toBe(1);
    expect(seen).toEqual(['198.18.0.1:40000', undefined]);
    needed = true;
    await clock.advance(5_100);
    expect(seen).toHaveLength(3);
    fake.lose();
    expect(keeper.trying).toBe(true); // the loss started a round at once
    await clock.advance(100);
    expect(seen).toEqual(['198.18.0.1:40000', undefined, '198.18.0.1:40000', undefined, '198.18.0.1:40000']);
    fake.works.clear();
    fake.lose();
    expect(keeper.trying).toBe(true);
    keeper.stop();
    expect(keeper.trying).toBe(false);
    await clock.advance(10_000);
    expect(keeper.stats.failures).toBe(1); // the aborted try
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses settings that are not positive integers', () => {
    const clock = new ManualClock();
    const fake = new FakeAllocator(clock, new Set());
    const cb = { needsRelay: () => false, candidates: () => [], onAllocation: () => undefined };
    expect(() => new RelayKeeper(fake, clock, cb, { backoffMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new RelayKeeper(fake, clock, cb, { candidatesPerRound: 1.5 })).toThrow(/candidatesPerRound/);
  });
});
