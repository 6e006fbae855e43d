/**
 * NatObserver keeps its verdict between observations instead of judging again at every read
 * (communities/dht/nat-status.ts): the verdict must be exactly the one a fresh `refresh()` gives, and
 * must change at a read when its other inputs (the bound address, the machine's interfaces behind an
 * unspecified bind) changed.
 */
import { describe, expect, it } from 'vitest';
import { NatObserver, NAT_OBSERVATION_TTL_MS } from '../../../communities/dht/nat-status.js';
import type { NatStatus } from '../../../communities/dht/nat-status.js';
import { SeededRandom } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';

const at = (host: string, port: number): Address => ({ host, port });

/** One observer with the verdict cache and its event log, on shared inputs. */
function make(clock: { now(): number }, bound: () => Address, hosts: () => readonly string[]): { nat: NatObserver; events: Array<[NatStatus, NatStatus]> } {
  const nat = new NatObserver({ clock, boundAddress: bound, localHosts: hosts });
  const events: Array<[NatStatus, NatStatus]> = [];
  nat.on('nat:changed', (s, p) => events.push([s, p]));
  return { nat, events };
}

describe('NatObserver verdict cache', () => {
  it('gives exactly the verdict and events of judging again at every read, over 3 x 4,000 random steps', () => {
    const observedChoices = [at('198.18.5.1', 40123), at('198.18.5.1', 40001), at('198.18.5.1', 40002), at('198.18.6.1', 40123), at('198.18.9.9', 8090), at('10.0.0.2', 7000), at('::ffff:198.18.9.9', 8090)];
    const boundChoices = [at('10.0.0.2', 7000), at('198.18.9.9', 8090), at('0.0.0.0', 8090), at('10.0.0.2', 7001)];
    const hostChoices: ReadonlyArray<readonly string[]> = [['127.0.0.1'], ['127.0.0.1', '198.18.9.9'], ['10.0.0.2']];
    for (const seed of [1, 2, 3]) {
      const random = new SeededRandom(seed);
      let t = 1_000_000;
      let bound = boundChoices[0]!;
      let hosts = hostChoices[0]!;
      const clock = { now: (): number => t };
      const cached = make(clock, () => bound, () => hosts);
      const reference = make(clock, () => bound, () => hosts);
      const changes = new Set<string>();
      for (let step = 0; step < 4_000; step++) {
        const r = random.int(100);
        if (r < 45) {
          const observed = observedChoices[random.int(observedChoices.length)]!;
          const n = random.int(12);
          const reporter = n < 2 ? at(`10.0.0.${3 + n}`, 7000) : n < 5 ? at(`198.18.200.${n}`, 9000) : at(`198.19.${n}.1`, 8090);
          const a = cached.nat.observe(observed, reporter);
          const b = reference.nat.observe(observed, reporter);
          expect(a).toEqual(b);
        } else if (r < 60) {
          t += [0, 1, 1_000, 60_000, NAT_OBSERVATION_TTL_MS, NAT_OBSERVATION_TTL_MS + 1][random.int(6)]!;
        } else if (r < 64) {
          bound = boundChoices[random.int(boundChoices.length)]!;
        } else if (r < 67) {
          hosts = hostChoices[random.int(hostChoices.length)]!;
        } else if (r < 68) {
          cached.nat.clear();
          reference.nat.clear();
        } else if (r < 85) {
          reference.nat.refresh(); // what every read did before the cache
          const status = cached.nat.status;
          expect(status).toEqual(reference.nat.status);
          changes.add(`${status.mapping} ${status.stale}`);
        } else {
          reference.nat.refresh();
          expect(cached.nat.reporterGroups()).toEqual(reference.nat.reporterGroups());
        }
        expect(cached.events.length).toBe(reference.events.length);
        if (cached.events.length > 0) expect(cached.events.at(-1)).toEqual(reference.events.at(-1));
      }
      expect(cached.events).toEqual(reference.events);
      expect(cached.events.length).toBeGreaterThan(20); // the walk did change the verdict, many times
      expect(changes.size).toBeGreaterThanOrEqual(5); // and visited most verdicts, stale ones included
    }
  });

  it('returns the same verdict object between observations, and judges again after one', () => {
    const clock = { now: (): number => 5_000 };
    const { nat } = make(clock, () => at('10.0.0.2', 7000), () => []);
    nat.observe(at('198.18.5.1', 40123), at('198.19.1.1', 8090));
    nat.observe(at('198.18.5.1', 40123), at('198.19.2.1', 8090));
    const first = nat.status;
    expect(first.mapping).toBe('endpoint-independent');
    expect(nat.status).toBe(first); // not judged again
    nat.observe(at('198.18.5.1', 40123), at('198.19.3.1', 8090));
    expect(nat.status).not.toBe(first);
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', observations: 3 });
  });

  it('a new bound address is noticed at the next read, with its event', () => {
    let t = 1_000;
    let bound = at('10.0.0.2', 7000);
    const { nat, events } = make({ now: () => t }, () => bound, () => []);
    nat.observe(at('198.18.5.1', 40123), at('198.19.1.1', 8090));
    nat.observe(at('198.18.5.1', 40123), at('198.19.2.1', 8090));
    expect(nat.status.mapping).toBe('endpoint-independent');
    t = 2_000;
    bound = at('10.0.0.2', 7001);
    expect(nat.reporterGroups()).toEqual(new Set());
    expect(nat.status).toMatchObject({ mapping: 'unknown', observations: 0, changedAt: 2_000 });
    expect(events.map(([s]) => s.mapping)).toEqual(['endpoint-independent', 'unknown']);
  });

  it('behind a socket bound to 0.0.0.0, a change of the interfaces changes the verdict at the next read', () => {
    let hosts: readonly string[] = ['127.0.0.1'];
    const { nat, events } = make({ now: () => 1_000 }, () => at('0.0.0.0', 8090), () => hosts);
    nat.observe(at('198.18.9.9', 8090), at('198.19.1.1', 8090));
    nat.observe(at('198.18.9.9', 8090), at('198.19.2.1', 8090));
    nat.observe(at('198.18.9.9', 8090), at('198.19.3.1', 8090)); // three: enough to replace a verdict
    expect(nat.status.mapping).toBe('endpoint-independent');
    hosts = ['127.0.0.1', '198.18.9.9']; // the public address is now one of ours
    expect(nat.status).toMatchObject({ mapping: 'none', behindNat: false });
    expect(events.map(([s]) => s.mapping)).toEqual(['endpoint-independent', 'none']);
  });
});

describe('NatObserver reporter groups', () => {
  it('a public host has one group string for every observer; a local reporter is its own group, port included', () => {
    const one = make({ now: () => 0 }, () => at('10.0.0.2', 7000), () => []).nat;
    const two = make({ now: () => 0 }, () => at('10.0.0.3', 7000), () => []).nat;
    const g = one.groupOf(at('198.19.7.1', 8090));
    expect(g).toBe('198.19.7.0/24');
    expect(two.groupOf(at('198.19.7.200', 1))).toBe('198.19.7.0/24');
    expect(two.groupOf(at('198.19.7.1', 9999))).toBe(g);
    expect(two.groupOf(at('2001:db8:1:2::5', 1))).toBe('2001:db8:1::/48');
    expect(one.groupOf(at('10.0.0.4', 7000))).toBe('10.0.0.4:7000');
    expect(two.groupOf(at('10.0.0.4', 7001))).toBe('10.0.0.4:7001'); // not the group another port had
    expect(one.groupOf(at('::1', 5))).toBe('[::1]:5');
    expect(one.groupOf(at('::1', 6))).toBe('[::1]:6');
  });
});
