/**
 * Birthday probing between a peer behind a symmetric NAT (a new public port per destination) and one
 * behind a cone NAT (one public port for all), for either side of a connect. A storer's introduction and
 * its find-peer answer tell each side the other's NAT (declared by the other, `NAT_CODES`) and public
 * address; our own NAT is the DHT's verdict (`dht.nat`).
 *
 * - **The symmetric side** opens {@link BIRTHDAY_SOCKETS} sockets ({@link ProbeSockets.openBatch}), each
 *   sending a probe to the cone side's public address, at 0, 1 and 2.5 s: each opens a mapping at a random
 *   port that accepts only the cone side. The first packet from the cone side on one of them pins the
 *   cone side's address to that socket, and everything we send it leaves there.
 * - **The cone side** sprays {@link SPRAY_PROBES} probes at ports of the symmetric side's IP
 *   ({@link PortSpray}; the ports after the one its storer saw first). A probe that hits a mapped port
 *   gets through; the probes also open the cone side's NAT toward those ports, so a probe socket's probe
 *   reaching our main socket is a hit too.
 *
 * On a hit the owner sends the signed packet that proves it (the requester a hello, the introduced peer a
 * puncture) to the address that was hit. A probe from the cone side that reaches the symmetric side's
 * main socket is a hit too (the spray found the mapping the main socket made toward the cone side).
 * A batch closes its other sockets at the first hit. Probes go toward an address only when storers in
 * {@link MIN_VOUCHERS} distinct IP groups named it (the introduced side: and said a token proved it), so
 * one hostile storer cannot aim them at a third party. Bounded per node: one spray per peer per
 * {@link SPRAY_PEER_COOLDOWN_MS}, at most {@link MAX_SPRAYS} at once, {@link MAX_SPRAY_PROBES_PER_MINUTE}
 * probes a minute and {@link MAX_SPRAY_PROBES_PER_HOST_PER_MINUTE} at one host; one batch per target at a
 * time and {@link MAX_BATCHES_PER_MINUTE} a minute.
 * Two symmetric NATs need a relay (256 × 2,000 ports would not meet often).
 * @module
 */
import type { Address, ProbeBatch, ProbeSockets, TimerHandle } from '../../framework/index.js';
import { PROBE_TAG_BYTES, PortSpray, TimerSet, addressKey, isLocalHost, toHex } from '../../framework/index.js';
import { ipGroup } from '../dht/routing/ip-diversity.js';
import { NAT_CODES } from './messages.js';

/** Sockets a symmetric side opens per attempt (hyperdht's choice). */
export const BIRTHDAY_SOCKETS = 256;
/** Probes a cone side sprays per attempt. */
export const SPRAY_PROBES = 2_000;
/** When the symmetric side's sockets probe again, ms after they opened (the first probe is at once). */
export const BATCH_PROBE_AT_MS: readonly number[] = [1_000, 2_500];
/** When the symmetric side closes the sockets that were not hit, ms after they opened. */
export const BATCH_OPEN_MS = 6_000;
/** How long a spray counts as recent (for the path a packet from its host proves), ms. */
export const SPRAY_COOLDOWN_MS = 30_000;
/** Most sprays running at once. */
export const MAX_SPRAYS = 4;
/** Most probes sprayed per minute, all sprays together (8 whole sprays; one that hits early costs less). */
export const MAX_SPRAY_PROBES_PER_MINUTE = 16_000;
/** Most probes sprayed at one host per minute, all its peers together (4 whole sprays). */
export const MAX_SPRAY_PROBES_PER_HOST_PER_MINUTE = 8_000;
/** Most batches of probe sockets opened per minute (each closes at its first hit). */
export const MAX_BATCHES_PER_MINUTE = 30;
/**
 * Storers in distinct IP groups (/24, /48; a local address counts on its own) that must name the same
 * peer address before we probe toward it: one hostile storer cannot aim our probes at a third party.
 */
export const MIN_VOUCHERS = 2;
/** How long a storer's word toward {@link MIN_VOUCHERS} counts, ms. */
const VOUCH_MS = 5_000;
/** A peer (at a host) gets one spray per this long, ms: every storer's introduction of it joins the first. */
export const SPRAY_PEER_COOLDOWN_MS = 10_000;
/** How long a spray runs at most: its probes, 25 per 20 ms tick, then a second for late answers, ms. */
const SPRAY_MS = Math.ceil(2_000 / 25) * 20 + 1_000;
/**
 * How long a connect that started birthday probing holds a relayed answer, waiting for a direct path, ms:
 * a spray's first hit is expected after about 64,512 / 256 ≈ 250 probes (0.2 s), all 2,000 take 1.6 s.
 */
export const BIRTHDAY_GRACE_MS = 1_500;

/** What birthday probing needs of its community. */
export interface BirthdayHost {
  /** The node's timers. */
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
  /** The clock and the randomness ports are drawn from. */
  readonly context: { readonly clock: { now(): number }; readonly random: { int(n: number): number; bytes(n: number): Uint8Array } };
  /** Our NAT as the DHT judges it now (a `NAT_CODES` value). */
  natCode(): number;
  /** Logs what probing does at debug level (`--verbose`). */
  birthdayLog(message: string, fields: Record<string, unknown>): void;
}

/** Counters of birthday probing. */
export interface BirthdayStats {
  /** Batches of probe sockets opened (we were the symmetric side). */
  batches: number;
  /** Sprays started (we were the cone side). */
  sprays: number;
  /** Probes sprayed. */
  sprayed: number;
  /** Hits: a packet of the other side came through a probed path. */
  hits: number;
  /** Attempts refused: no probe sockets, a spray toward that host within the cooldown, too many at once, an unproven requester. */
  refused: number;
}

/** Whether a batch was hit, what to do on a hit, and how to end it once it is open. */
interface BatchHits {
  hit: boolean;
  readonly onHit: (address: Address) => void;
  ended: (() => void) | undefined;
}

/** Keys seen within a window of time: marking one forgets those older than the window. */
class Recent {
  private readonly at = new Map<string, number>();

  /** @param windowMs how long a mark counts. */
  constructor(private readonly windowMs: number) {}

  /** Marks `key` at `now`. */
  mark(key: string, now: number): void {
    for (const [k, t] of this.at) if (now - t >= this.windowMs) this.at.delete(k);
    this.at.set(key, now);
  }

  /** True when `key` was marked within the window before `now`. */
  has(key: string, now: number): boolean {
    const t = this.at.get(key);
    return t !== undefined && now - t < this.windowMs;
  }
}

/** The key of a spray: the host sprayed and the peer it is for. */
function sprayKey(host: string, peerMidHex: string): string {
  return `${host}|${peerMidHex}`;
}

/** What to do for a pair of NATs: open sockets (we are symmetric, they cone), spray (the reverse), or nothing. */
export function birthdayRole(own: number, other: number): 'sockets' | 'spray' | undefined {
  if (own === NAT_CODES.symmetric && other === NAT_CODES.cone) return 'sockets';
  if (own === NAT_CODES.cone && other === NAT_CODES.symmetric) return 'spray';
  return undefined;
}

/** Birthday probing for one node; see the module comment. */
export class Birthday {
  /** Live counters. */
  readonly stats: BirthdayStats = { batches: 0, sprays: 0, sprayed: 0, hits: 0, refused: 0 };
  private probing: ProbeSockets | undefined;
  private readonly sprays = new Map<string, { spray: PortSpray; tag: string; onHit: (from: Address) => void; hit: Set<string> }>();
  /** Hosts sprayed recently (a packet from one proves the path `birthday`). */
  private readonly sprayedHosts = new Recent(SPRAY_COOLDOWN_MS);
  private readonly batches = new Map<string, ProbeBatch | 'opening'>();
  /** Per batch target: whether it was hit yet, and what to do on a hit. */
  private readonly batchHits = new Map<string, BatchHits>();
  /** Claims (role, peer address, peer) with the IP groups of the storers that made them. */
  private readonly claims = new Map<string, { at: number; groups: Set<string> }>();
  /** When recent batches opened, ms (for {@link MAX_BATCHES_PER_MINUTE}). */
  private batchTimes: number[] = [];
  /** Batch targets whose spray reached our main socket (see {@link Birthday.opened}). */
  private readonly mainHits = new Recent(SPRAY_COOLDOWN_MS);
  /** The sprays started in the last minute (for {@link MAX_SPRAY_PROBES_PER_MINUTE}). */
  private recent: Array<{ at: number; spray: PortSpray }> = [];
  /** Sprays (host and peer) started recently (one per {@link SPRAY_PEER_COOLDOWN_MS}). */
  private readonly peerSprays = new Recent(SPRAY_PEER_COOLDOWN_MS);
  private readonly timers: TimerSet;
  private readonly onProbe = (from: Address, tag: string | undefined): void => this.probeArrived(from, tag);

  /** @param d the owner. */
  constructor(private readonly d: BirthdayHost) {
    this.timers = new TimerSet(d);
  }

  /** Uses these probe sockets (the node's {@link ProbingEndpoint}), or none. */
  setProbing(probing: ProbeSockets | undefined): void {
    this.probing?.offProbe(this.onProbe);
    this.probing = probing;
    probing?.onProbe(this.onProbe);
  }

  /** True when the node has probe sockets (see {@link Birthday.setProbing}). */
  get enabled(): boolean {
    return this.probing !== undefined;
  }

  /**
   * True when birthday probing opened the path to `address`: packets to it leave through a pinned probe
   * socket, or the other side's spray reached our main socket from it within {@link SPRAY_COOLDOWN_MS}.
   */
  opened(address: Address): boolean {
    return this.probing?.isPinned(address) === true || this.mainHits.has(addressKey(address), this.d.context.clock.now());
  }

  /** True when `address` is on a host we spray now or sprayed within the cooldown. */
  sprayedHost(address: Address): boolean {
    return this.sprayedHosts.has(address.host, this.d.context.clock.now());
  }

  /**
   * Starts probing toward a peer whose public address and NAT a storer gave (or introduced), if our NATs
   * call for it. `onHit` gets the address a packet of the other side came from through the probed path.
   * @param peerMidHex the other side's mid: a spray is per host and peer (two peers behind one NAT each
   *   get their own).
   * @param voucher the storer that named the other side's address (see {@link MIN_VOUCHERS}).
   * @returns the role we took, or `undefined` when none applies or the attempt was refused.
   */
  attempt(other: Address, otherNat: number, peerMidHex: string, voucher: Address, onHit: (address: Address) => void): 'sockets' | 'spray' | undefined {
    const role = birthdayRole(this.d.natCode(), otherNat);
    if (role === undefined) return undefined;
    // Probes go only where storers in MIN_VOUCHERS distinct IP groups say the peer is (the host for a
    // spray, which covers every port; the address for probe sockets).
    const claim = `${role}|${role === 'spray' ? other.host : addressKey(other)}|${peerMidHex}`;
    const { groups, reached } = this.vouched(claim, voucher);
    if (groups < MIN_VOUCHERS) return undefined;
    const probing = this.probing;
    if (probing === undefined) return reached ? this.refuse() : undefined; // counted once per claim
    return role === 'sockets' ? this.openBatch(probing, other, onHit) : this.spray(probing, other, peerMidHex, onHit);
  }

  /**
   * Counts a storer's word for a claim: how many IP groups gave it, and whether this word made it reach
   * {@link MIN_VOUCHERS}.
   */
  private vouched(claim: string, voucher: Address): { groups: number; reached: boolean } {
    const now = this.d.context.clock.now();
    if (this.claims.size > 1_024) for (const [c, v] of this.claims) if (now - v.at >= VOUCH_MS) this.claims.delete(c);
    let entry = this.claims.get(claim);
    if (entry === undefined || now - entry.at >= VOUCH_MS) {
      if (this.claims.size > 1_024) return { groups: 0, reached: false };
      entry = { at: now, groups: new Set() };
      this.claims.set(claim, entry);
    }
    const before = entry.groups.size;
    entry.groups.add(isLocalHost(voucher.host) ? addressKey(voucher) : ipGroup(voucher.host));
    return { groups: entry.groups.size, reached: before < MIN_VOUCHERS && entry.groups.size >= MIN_VOUCHERS };
  }


  /**
   * A signed packet of the peer `peerMidHex` came from `from`: when a probe from that address was a hit
   * of our spray for that peer, the spray has done its job and stops. (A packet from elsewhere, such as a
   * relayed one, proves nothing about the spray.)
   */
  heardFrom(from: Address, peerMidHex: string): void {
    const key = sprayKey(from.host, peerMidHex);
    const entry = this.sprays.get(key);
    if (entry === undefined || !entry.hit.has(addressKey(from))) return;
    entry.spray.stop();
  }

  /** Stops every spray, closes every batch's unpinned sockets, cancels the timers. */
  stop(): void {
    this.timers.clear();
    for (const { spray } of this.sprays.values()) spray.stop();
    this.sprays.clear();
    for (const batch of this.batches.values()) if (batch !== 'opening') void batch.close();
    this.batches.clear();
    this.batchHits.clear();
  }

  private refuse(): undefined {
    this.stats.refused++;
    return undefined;
  }

  private openBatch(probing: ProbeSockets, target: Address, onHit: (address: Address) => void): 'sockets' | undefined {
    const key = addressKey(target);
    if (this.batches.has(key)) return 'sockets'; // one batch per target: a second introduction joins it
    if (probing.isPinned(target)) {
      // An earlier batch found a path to this target and it is still pinned: use it.
      onHit(target);
      return 'sockets';
    }
    const now = this.d.context.clock.now();
    this.batchTimes = this.batchTimes.filter((at) => now - at < 60_000);
    if (this.batchTimes.length >= MAX_BATCHES_PER_MINUTE) {
      this.d.birthdayLog('birthday-refused', { to: key, lastMinute: this.batchTimes.length });
      return this.refuse();
    }
    this.batchTimes.push(now);
    this.batches.set(key, 'opening');
    this.stats.batches++;
    const hits: BatchHits = { hit: false, onHit, ended: undefined };
    this.batchHits.set(key, hits);
    const begin = this.d.context.clock.now();
    const forget = (): void => {
      if (this.batchHits.get(key) === hits) this.batchHits.delete(key);
    };
    void probing.openBatch(target, BIRTHDAY_SOCKETS, () => {
      if (hits.hit) return;
      hits.hit = true;
      this.stats.hits++;
      this.d.birthdayLog('birthday-hit', { on: 'socket', from: key, ms: this.d.context.clock.now() - begin });
      onHit(target);
      hits.ended?.();
    }).then((batch) => {
      if (batch === undefined || this.batches.get(key) !== 'opening') {
        if (batch === undefined) {
          this.stats.refused++;
          this.d.birthdayLog('birthday-refused', { to: key, sockets: BIRTHDAY_SOCKETS });
        }
        if (this.batches.get(key) === 'opening') this.batches.delete(key);
        forget();
        void batch?.close();
        return;
      }
      this.d.birthdayLog('birthday-sockets', { to: key, sockets: batch.size, openMs: this.d.context.clock.now() - begin });
      this.batches.set(key, batch);
      const timers: TimerHandle[] = [];
      const end = (): void => {
        for (const t of timers) this.unlater(t);
        if (this.batches.get(key) === batch) this.batches.delete(key);
        forget();
        void batch.close();
      };
      // Hit: the other sockets have done their job. Else probe again, and give up after the window.
      hits.ended = end;
      if (hits.hit) return end();
      for (const at of BATCH_PROBE_AT_MS) timers.push(this.later(at, () => batch.probe()));
      timers.push(this.later(BATCH_OPEN_MS, end));
    }, () => {
      this.batches.delete(key);
      forget();
    });
    return 'sockets';
  }

  private spray(probing: ProbeSockets, target: Address, peerMidHex: string, onHit: (address: Address) => void): 'spray' | undefined {
    const key = sprayKey(target.host, peerMidHex);
    if (this.sprays.has(key)) return 'spray';
    const now = this.d.context.clock.now();
    // Every storer introduces us: one spray per peer serves them all (and a later connect 10 s on).
    if (this.peerSprays.has(key, now)) return undefined;
    this.recent = this.recent.filter((r) => now - r.at < 60_000);
    const probesLastMinute = this.recent.reduce((n, r) => n + r.spray.sent, 0);
    const atHostLastMinute = this.recent.reduce((n, r) => n + (r.spray.host === target.host ? r.spray.sent : 0), 0);
    const running = [...this.sprays.values()].filter((e) => e.spray.running).length;
    if (running >= MAX_SPRAYS || probesLastMinute + SPRAY_PROBES > MAX_SPRAY_PROBES_PER_MINUTE || atHostLastMinute + SPRAY_PROBES > MAX_SPRAY_PROBES_PER_HOST_PER_MINUTE) {
      this.d.birthdayLog('birthday-refused', { host: target.host, running, probesLastMinute, atHostLastMinute });
      return this.refuse();
    }
    this.peerSprays.mark(key, now);
    this.sprayedHosts.mark(target.host, now);
    this.d.birthdayLog('birthday-spray', { host: target.host, nearPort: target.port });
    const tagBytes = this.d.context.random.bytes(PROBE_TAG_BYTES);
    const spray = new PortSpray(
      target.host,
      (to) => {
        this.stats.sprayed++;
        probing.sendProbe(to, tagBytes);
      },
      { after: (ms, fn) => this.later(ms, fn), cancel: (h) => this.unlater(h) },
      this.d.context.random,
      { count: SPRAY_PROBES, nearPort: target.port },
    );
    this.sprays.set(key, { spray, tag: toHex(tagBytes), onHit, hit: new Set() });
    this.recent.push({ at: now, spray });
    this.stats.sprays++;
    spray.start();
    // The spray ends by itself; forget it then (its host stays recent for SPRAY_COOLDOWN_MS).
    this.later(SPRAY_MS, () => {
      if (this.sprays.get(key)?.spray === spray) this.sprays.delete(key);
    });
    return 'spray';
  }

  /**
   * A probe reached our main socket: a hit when it comes from a host we spray (a probe socket of the
   * peer), or from the target of one of our batches (its spray found our main socket's mapping).
   */
  private probeArrived(from: Address, tag: string | undefined): void {
    const key = addressKey(from);
    const batch = this.batchHits.get(key);
    if (batch !== undefined) {
      // The spray opened our main socket's path too (hit first or not): a later answer there is birthday's.
      this.mainHits.mark(key, this.d.context.clock.now());
    }
    if (batch !== undefined && !batch.hit) {
      batch.hit = true;
      this.stats.hits++;
      this.d.birthdayLog('birthday-hit', { on: 'main', from: key });
      batch.onHit(from);
      return;
    }
    // A probe socket echoes the tagged probe that hit it: that spray was hit, and stops. An untagged probe
    // (a probe socket's own) could be for any spray at that host (one per peer behind it): each proves
    // itself there, and a spray stops only when it is the only one at that host.
    const atHost = [...this.sprays.values()].filter((e) => e.spray.host === from.host && (tag === undefined || e.tag === tag));
    for (const entry of atHost) {
      if (entry.hit.has(key) || entry.hit.size >= 4) continue;
      entry.hit.add(key);
      if (atHost.length === 1 || tag !== undefined) entry.spray.stop();
      this.stats.hits++;
      this.d.birthdayLog('birthday-hit', { on: 'spray', from: key, sprayed: entry.spray.sent });
      entry.onHit(from);
    }
  }

  private later(ms: number, fn: () => void): TimerHandle {
    return this.timers.schedule(ms, fn);
  }

  private unlater(handle: TimerHandle | undefined): void {
    this.timers.unschedule(handle);
  }
}
