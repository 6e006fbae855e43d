/**
 * Keeps the DHT's {@link NatObserver} fed: every DHT ping answer carries where the responder saw us, and
 * this module makes sure a few such answers arrive from distinct reporter groups soon after the join and
 * stay fresh afterwards, at a bounded cost:
 * - while the verdict is `unknown` (or `stale`: its observations aged out), each contact that enters the
 *   routing table from a reporter group not heard from yet is pinged (at most {@link MAX_NAT_PROBES_IN_FLIGHT} at a time and
 *   {@link MAX_NAT_PROBES_PER_ROUND} per round). The join's bootstrap ping is the first observation and
 *   the self lookup's first answers bring the next contacts, so a verdict comes one round trip after
 *   them (find responses do not carry `observed`: a ping of 1 or 2 contacts costs less than the field
 *   on every find);
 * - a round every {@link NAT_PROBE_INTERVAL_MS} (the first {@link NAT_FIRST_ROUND_MS} after start, for a
 *   table loaded from disk) pings up to {@link NAT_PROBES_PER_ROUND} contacts of distinct groups: while
 *   the verdict is `unknown` or `stale`, contacts of groups not heard from; once it is known, only when
 *   no observation confirmed it for {@link NAT_CONFIRM_AFTER_MS}, random ones. A stale verdict (the
 *   first news after 10 quiet minutes leaves one observation) still stands meanwhile, so waiting for
 *   the round costs nothing but freshness.
 * Every other DHT ping is an observation too (a full bucket's eviction ping, a new contact's verification
 * ping, an address challenge, `dht.ping`), so in a live network the probe rarely sends anything after the
 * join. It does not ping more often on purpose: a ping touches its contact, and regular pings would keep
 * buckets fresh and contacts "good", changing Kademlia's refresh and eviction for nothing.
 * A contact whose address has not proved itself to the amplification budget is never probed: the DHT's
 * own verification ping of it is an observation already.
 * @module
 */
import { networkInterfaces } from 'node:os';
import type { Address, TimerHandle } from '../../framework/index.js';
import { NatObserver } from './nat-status.js';
import type { NatStatus } from './nat-status.js';
import type { Contact } from './routing/contact.js';
import type { RoutingTable } from './routing/routing-table.js';

/** Time between probe rounds, in ms. */
export const NAT_PROBE_INTERVAL_MS = 5 * 60_000;
/** The first round after start, in ms. */
export const NAT_FIRST_ROUND_MS = 2_000;
/** How long a known verdict goes without any new observation before a round confirms it, in ms. */
export const NAT_CONFIRM_AFTER_MS = 30 * 60_000;
/** Contacts a periodic round pings. */
export const NAT_PROBES_PER_ROUND = 3;
/** Most probe pings a round sends in all (its periodic pings and those to new contacts). */
export const MAX_NAT_PROBES_PER_ROUND = 8;
/** Most probe pings in flight at once. */
export const MAX_NAT_PROBES_IN_FLIGHT = 3;

/** What the probe needs of its DHT. */
export interface NatProbeHost {
  /** The node's clock, randomness, bound address and amplification budget. */
  readonly context: {
    readonly clock: { now(): number };
    readonly random: { int(maxExclusive: number): number };
    readonly transport: { readonly localAddress: Address };
    readonly amplification?: { allowance(address: Address): number } | undefined;
  };
  /** The routing table (its contacts, and its `peer:added` event). */
  readonly routingTable: RoutingTable;
  /** True while running. */
  readonly isRunning: boolean;
  /** One DHT ping (its answer reaches the observer through the DHT's response hook). */
  ping(to: { id: Uint8Array; address: Address }): Promise<unknown>;
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  every(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
}

/** The probing half of the DHT's NAT status (see the module comment). */
export class NatProbe {
  /** The verdict this probe feeds. */
  readonly observer: NatObserver;
  /** Pings sent by the probe since the start. */
  probesSent = 0;
  /** Reporter groups being probed now. */
  private readonly inFlight = new Set<string>();
  private sentThisRound = 0;
  private first: TimerHandle | undefined;
  private timer: TimerHandle | undefined;

  /** @param host the DHT, through what the probe needs of it. */
  constructor(private readonly host: NatProbeHost) {
    const ctx = host.context;
    const boundAddress = (): Address => {
      try {
        return ctx.transport.localAddress;
      } catch {
        return UNBOUND; // read before the endpoint opened: no observation can exist yet
      }
    };
    this.observer = new NatObserver({ clock: ctx.clock, boundAddress, localHosts: interfaceHosts });
    host.routingTable.on('peer:added', (c) => {
      if (this.host.isRunning && needsMore(this.observer.status)) this.probe(c, this.observer.reporterGroups());
    });
  }

  /** Starts the rounds. */
  start(): void {
    this.first = this.host.after(NAT_FIRST_ROUND_MS, () => {
      this.first = undefined;
      this.round();
      this.timer = this.host.every(NAT_PROBE_INTERVAL_MS, () => this.round());
    });
  }

  /** Stops the rounds and forgets the observations (a restarted node re-learns). */
  stop(): void {
    this.host.cancel(this.first);
    this.host.cancel(this.timer);
    this.first = undefined;
    this.timer = undefined;
    this.inFlight.clear();
    this.observer.clear();
  }

  /**
   * One round: while the verdict is `unknown`, pings up to {@link NAT_PROBES_PER_ROUND} contacts of groups
   * not heard from; once known and unconfirmed for {@link NAT_CONFIRM_AFTER_MS}, that many contacts of
   * distinct groups; otherwise nothing. Contacts are picked at random.
   */
  round(): void {
    this.sentThisRound = 0;
    const status = this.observer.status;
    const more = needsMore(status);
    if (!more && this.host.context.clock.now() - (status.updatedAt ?? 0) < NAT_CONFIRM_AFTER_MS) return;
    this.askOthers(more ? this.observer.reporterGroups() : new Set<string>());
  }

  /** Pings up to {@link NAT_PROBES_PER_ROUND} contacts, at random, of distinct groups not in `skip`. */
  private askOthers(skip: Set<string>): void {
    const contacts = this.host.routingTable.contacts();
    const random = this.host.context.random;
    let sent = 0;
    for (let i = contacts.length - 1; i >= 0 && sent < NAT_PROBES_PER_ROUND; i--) {
      const j = random.int(i + 1);
      const c = contacts[j]!;
      contacts[j] = contacts[i]!;
      if (!this.probe(c, skip)) continue;
      skip.add(this.observer.groupOf(c.address));
      sent++;
    }
  }

  /**
   * Pings `c` unless its group is in `skip` or being probed, its address is unproven, or a bound is reached.
   * @returns true when a ping was sent.
   */
  private probe(c: Readonly<Contact>, skip: ReadonlySet<string>): boolean {
    const group = this.observer.groupOf(c.address);
    if (skip.has(group) || this.inFlight.has(group)) return false;
    if (this.inFlight.size >= MAX_NAT_PROBES_IN_FLIGHT || this.sentThisRound >= MAX_NAT_PROBES_PER_ROUND) return false;
    const amplification = this.host.context.amplification;
    if (amplification !== undefined && amplification.allowance(c.address) !== Number.POSITIVE_INFINITY) return false;
    this.inFlight.add(group);
    this.sentThisRound++;
    this.probesSent++;
    this.host
      .ping({ id: c.id, address: c.address })
      .catch(() => undefined) // a silent contact is the routing table's business (the DHT's request counts it)
      .finally(() => this.inFlight.delete(group));
    return true;
  }
}

/** True when the verdict needs observations from more groups: `unknown` or `stale`. */
function needsMore(status: NatStatus): boolean {
  return status.mapping === 'unknown' || status.stale;
}

/** Stands for the bound address before the endpoint opened. */
const UNBOUND: Address = { host: '0.0.0.0', port: 0 };

/** The IPs of this machine's interfaces (for a socket bound to every interface). */
function interfaceHosts(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}
