/**
 * The NAT verdict from ping observations (communities/dht/nat-status.ts), pure: no network, a ManualClock.
 */
import { describe, expect, it } from 'vitest';
import { NatObserver, NAT_OBSERVATION_TTL_MS } from '../../../communities/dht/nat-status.js';
import type { NatStatus } from '../../../communities/dht/nat-status.js';
import { InvalidArgumentError, ManualClock } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';

const BOUND: Address = { host: '10.0.0.2', port: 7000 };
const PUBLIC: Address = { host: '198.18.5.1', port: 40123 };
const at = (host: string, port: number): Address => ({ host, port });
/** A public reporter in its own /24 (`198.19.n.1:8090`). */
const reporter = (n: number): Address => at(`198.19.${n}.1`, 8090);

function observer(bound: Address = BOUND, localHosts?: readonly string[]): { nat: NatObserver; clock: ManualClock; events: Array<[NatStatus, NatStatus]> } {
  const clock = new ManualClock(1_000_000);
  const nat = new NatObserver({ clock, boundAddress: () => bound, localHosts: localHosts === undefined ? undefined : () => localHosts });
  const events: Array<[NatStatus, NatStatus]> = [];
  nat.on('nat:changed', (s, p) => events.push([s, p]));
  return { nat, clock, events };
}

describe('NatObserver verdicts', () => {
  it('unknown with no observation and with one reporter; no event', () => {
    const { nat, events } = observer();
    expect(nat.status).toMatchObject({ mapping: 'unknown', behindNat: false, publicAddress: undefined, observations: 0, changedAt: undefined });
    nat.observe(PUBLIC, reporter(1));
    nat.observe(PUBLIC, reporter(1)); // the same reporter again: still one
    expect(nat.status).toMatchObject({ mapping: 'unknown', observations: 1, groups: 1, observationsTotal: 2 });
    expect(events).toHaveLength(0);
  });

  it('cone: two reporter groups see the same public address and port', async () => {
    const { nat, clock, events } = observer();
    nat.observe(PUBLIC, reporter(1));
    await clock.advance(500);
    const status = nat.observe(PUBLIC, reporter(2));
    expect(status).toEqual({
      publicAddress: PUBLIC,
      publicHost: PUBLIC.host,
      mapping: 'endpoint-independent',
      behindNat: true,
      observations: 2,
      groups: 2,
      observationsTotal: 2,
      changedAt: 1_000_500,
      updatedAt: 1_000_500,
      stale: false,
    });
    expect(events).toHaveLength(1);
    expect(events[0]![1].mapping).toBe('unknown');
    nat.observe(PUBLIC, reporter(3)); // agreement does not change the verdict: no event, same time
    expect(events).toHaveLength(1);
    expect(nat.status.changedAt).toBe(1_000_500);
  });

  it('symmetric: the same public IP with a different port per reporter', () => {
    const { nat } = observer();
    nat.observe(at(PUBLIC.host, 40001), reporter(1));
    nat.observe(at(PUBLIC.host, 40002), reporter(2));
    nat.observe(at(PUBLIC.host, 40003), reporter(3));
    expect(nat.status).toMatchObject({ mapping: 'address-dependent', behindNat: true, publicAddress: undefined, publicHost: PUBLIC.host, groups: 3 });
  });

  it("public: reporters see the bound address ('none', not behind a NAT)", () => {
    const { nat } = observer(at('198.18.9.9', 8090));
    nat.observe(at('198.18.9.9', 8090), reporter(1));
    nat.observe(at('198.18.9.9', 8090), reporter(2));
    expect(nat.status).toMatchObject({ mapping: 'none', behindNat: false, publicAddress: at('198.18.9.9', 8090) });
  });

  it("a socket bound to 0.0.0.0 is 'none' when the observed host is a local interface and the port is ours", () => {
    const { nat } = observer(at('0.0.0.0', 8090), ['127.0.0.1', '198.18.9.9']);
    nat.observe(at('198.18.9.9', 8090), reporter(1));
    nat.observe(at('198.18.9.9', 8090), reporter(2));
    expect(nat.status.mapping).toBe('none');
    // a NAT that keeps the port but not the IP is a NAT
    const other = observer(at('0.0.0.0', 8090), ['127.0.0.1', '10.0.0.2']).nat;
    other.observe(at('198.18.9.9', 8090), reporter(1));
    other.observe(at('198.18.9.9', 8090), reporter(2));
    expect(other.status).toMatchObject({ mapping: 'endpoint-independent', behindNat: true });
  });

  it('an IPv4-mapped IPv6 observation of our address is our address', () => {
    const { nat } = observer(at('198.18.9.9', 8090));
    nat.observe(at('::ffff:198.18.9.9', 8090), reporter(1));
    nat.observe(at('::ffff:198.18.9.9', 8090), reporter(2));
    expect(nat.status.mapping).toBe('none');
  });

  it('reporters that disagree on the public IP with no majority give unknown', () => {
    const { nat } = observer();
    nat.observe(at('198.18.5.1', 40000), reporter(1));
    nat.observe(at('198.18.6.1', 40000), reporter(2));
    expect(nat.status).toMatchObject({ mapping: 'unknown', groups: 2 });
  });

  it('reporters all in one /24 (a test bridge) still give a verdict from two distinct reporters', () => {
    const { nat } = observer();
    nat.observe(PUBLIC, at('198.18.0.10', 8090));
    nat.observe(PUBLIC, at('198.18.0.11', 8090));
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', groups: 1, observations: 2 });
    const sym = observer().nat;
    sym.observe(at(PUBLIC.host, 1), at('198.18.0.10', 8090));
    sym.observe(at(PUBLIC.host, 2), at('198.18.0.11', 8090));
    expect(sym.status.mapping).toBe('address-dependent');
  });

  it('LAN neighbours (who see our LAN address) do not vote once two public reporters have spoken', () => {
    const { nat } = observer();
    nat.observe(BOUND, at('10.0.0.3', 7000));
    nat.observe(BOUND, at('10.0.0.4', 7000));
    expect(nat.status.mapping).toBe('none'); // only LAN reporters so far: we are not behind a NAT toward them
    nat.observe(PUBLIC, reporter(1));
    nat.observe(PUBLIC, reporter(2));
    expect(nat.status).toMatchObject({ mapping: 'none', stale: true }); // a verdict gives way to three reporters, not two
    nat.observe(PUBLIC, reporter(3));
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', publicAddress: PUBLIC, observations: 5, stale: false });
  });
});

describe('NatObserver against a lying reporter group', () => {
  it('an attacker answering from 50 hosts of one /24 is one vote, outvoted by 3 honest groups', () => {
    const { nat } = observer();
    const lie = at('203.0.113.66', 6666);
    for (let i = 1; i <= 50; i++) nat.observe(lie, at(`198.18.200.${i}`, 9000 + i));
    for (let n = 1; n <= 3; n++) nat.observe(PUBLIC, reporter(n));
    const status = nat.status;
    expect(status).toMatchObject({ mapping: 'endpoint-independent', publicAddress: PUBLIC, groups: 4 });
    expect(status.observations).toBe(4 + 3); // at most 4 kept from the attacker's /24
    // ... and it cannot make a cone look symmetric by echoing one honest port of a symmetric NAT either
    const sym = observer().nat;
    for (let i = 1; i <= 50; i++) sym.observe(at(PUBLIC.host, 40001), at(`198.18.200.${i}`, 9000));
    for (let n = 1; n <= 3; n++) sym.observe(at(PUBLIC.host, 40000 + n), reporter(n));
    expect(sym.status).toMatchObject({ mapping: 'address-dependent', publicAddress: undefined, publicHost: PUBLIC.host });
  });

  it('memory is bounded: 64 observations at most, the oldest evicted first', () => {
    const { nat } = observer();
    for (let n = 0; n < 200; n++) nat.observe(PUBLIC, reporter(n));
    expect(nat.status).toMatchObject({ observations: 64, observationsTotal: 200, mapping: 'endpoint-independent' });
  });

  it('ignores an observed address that is no literal IP or has port 0', () => {
    const { nat } = observer();
    nat.observe(at('example.com', 1), reporter(1));
    nat.observe(at(PUBLIC.host, 0), reporter(2));
    expect(nat.status.observationsTotal).toBe(0);
  });

  it('rejects bad options with a named error', () => {
    const clock = new ManualClock();
    expect(() => new NatObserver({ clock, boundAddress: () => BOUND, ttlMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new NatObserver({ clock, boundAddress: () => BOUND, minReporters: 1.5 })).toThrow(/minReporters/);
  });
});

describe('NatObserver ageing', () => {
  it('a quiet node keeps its verdict; observations 10 minutes older than a new one age out, so a node that moved re-learns', async () => {
    const { nat, clock, events } = observer();
    nat.observe(PUBLIC, reporter(1));
    nat.observe(PUBLIC, reporter(2));
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', updatedAt: 1_000_000, stale: false });
    await clock.advance(60 * 60_000); // an hour without news: the last verdict stands, and says how old it is
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', observations: 2, updatedAt: 1_000_000 });
    const moved = at('198.18.77.1', 50000);
    nat.observe(moved, reporter(3)); // the first news in an hour: the old observations go; one is too few to judge
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', publicAddress: PUBLIC, stale: true, observations: 1 });
    nat.observe(moved, reporter(4)); // two could start a verdict, but replacing one takes three
    expect(nat.status).toMatchObject({ publicAddress: PUBLIC, stale: true, observations: 2 });
    await clock.advance(1_000);
    nat.observe(moved, reporter(5));
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', publicAddress: moved, stale: false, observations: 3, changedAt: 1_000_000 + 60 * 60_000 + 1_000 });
    expect(events.map(([s]) => s.publicAddress)).toEqual([PUBLIC, moved]);
  });

  it('after a quiet spell, one observation that agrees keeps the verdict (not stale); one that disagrees makes it stale', async () => {
    const { nat, clock, events } = observer();
    nat.observe(PUBLIC, reporter(1));
    nat.observe(PUBLIC, reporter(2));
    await clock.advance(NAT_OBSERVATION_TTL_MS + 1);
    nat.observe(PUBLIC, reporter(3));
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', publicAddress: PUBLIC, observations: 1, stale: false });
    await clock.advance(NAT_OBSERVATION_TTL_MS + 1);
    nat.observe(at(PUBLIC.host, 1), reporter(4));
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', publicAddress: PUBLIC, observations: 1, stale: true });
    nat.observe(PUBLIC, reporter(5));
    nat.observe(PUBLIC, reporter(6)); // two of three groups confirm it: no change, no event
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', publicAddress: PUBLIC, observations: 3, stale: false, changedAt: 1_000_000 });
    expect(events).toHaveLength(1);
  });

  it('a symmetric NAT seen after a cone verdict: the verdict changes once enough groups say so', () => {
    const { nat, events } = observer();
    nat.observe(PUBLIC, reporter(1));
    nat.observe(PUBLIC, reporter(2));
    nat.observe(at(PUBLIC.host, 1), reporter(1));
    nat.observe(at(PUBLIC.host, 2), reporter(2));
    nat.observe(at(PUBLIC.host, 3), reporter(3));
    expect(nat.status).toMatchObject({ mapping: 'address-dependent', publicAddress: undefined });
    expect(events.map(([s]) => s.mapping)).toEqual(['endpoint-independent', 'address-dependent']);
  });

  it('within the TTL of the newest, older observations still vote', async () => {
    const { nat, clock } = observer();
    nat.observe(PUBLIC, reporter(1));
    await clock.advance(NAT_OBSERVATION_TTL_MS); // exactly the TTL: still counted
    nat.observe(PUBLIC, reporter(2));
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', observations: 2 });
    await clock.advance(1);
    nat.observe(PUBLIC, reporter(3)); // now reporter 1's is one ms too old
    expect(nat.status).toMatchObject({ mapping: 'endpoint-independent', observations: 2, observationsTotal: 3 });
  });

  it('a new bound address forgets the observations made for the old one', () => {
    let bound = BOUND;
    const nat = new NatObserver({ clock: new ManualClock(), boundAddress: () => bound });
    nat.observe(PUBLIC, reporter(1));
    nat.observe(PUBLIC, reporter(2));
    expect(nat.status.mapping).toBe('endpoint-independent');
    bound = at('10.0.0.9', 7000);
    expect(nat.status).toMatchObject({ mapping: 'unknown', observations: 0 });
  });

  it('a newer observation from a reporter replaces its older one (a new mapping wins over time)', async () => {
    const { nat, clock } = observer();
    for (const n of [1, 2, 3]) nat.observe(PUBLIC, reporter(n));
    const next = at(PUBLIC.host, 50000);
    await clock.advance(60_000);
    nat.observe(next, reporter(1));
    expect(nat.status).toMatchObject({ publicAddress: PUBLIC, observations: 3, stale: false }); // 2 of 3 groups still say PUBLIC
    nat.observe(next, reporter(2));
    expect(nat.status).toMatchObject({ publicAddress: next, observations: 3 });
  });

  it('clear() forgets everything', () => {
    const { nat, events } = observer();
    nat.observe(PUBLIC, reporter(1));
    nat.observe(PUBLIC, reporter(2));
    nat.clear();
    expect(nat.status).toMatchObject({ mapping: 'unknown', observations: 0 });
    expect(events).toHaveLength(2);
  });
});

describe('NatObserver times', () => {
  it('a verdict that an observation changes changed when that observation arrived (one clock reading, even on a clock that moves between reads)', () => {
    let t = 5_000;
    const ticking = { now: (): number => t++ }; // every reading 1 ms later, like a real clock under load
    const nat = new NatObserver({ clock: ticking, boundAddress: () => BOUND });
    nat.observe(PUBLIC, reporter(1));
    const status = nat.observe(PUBLIC, reporter(2));
    expect(status.mapping).toBe('endpoint-independent');
    expect(status.changedAt).toBe(status.updatedAt);
  });
});
