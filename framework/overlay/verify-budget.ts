/**
 * A node-wide budget on packets handed to the communities, where each costs an Ed25519 verification
 * (~60-110 µs): one token bucket across all sources, so many sources each under their own rate limit
 * (or spoofed ones) cannot make the node spend more than a set share of a core on signature checks.
 * The host cannot tell a request from a response before it parses and verifies the packet, so the budget
 * applies to every packet routed to a community; but while the bucket is empty, packets from an address
 * this node sent a request to in the last `solicitedWindowMs` still pass (they are likely answers to our
 * own requests), so a flood from elsewhere does not make the node's own lookups fail. The host does not
 * record the answers it sends (a send to the address whose packet a handler is processing), so sending
 * requests to a node does not earn the bypass; being queried by it does, for that address, within its
 * per-source and per-IP limits.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { addressKey } from '../endpoint/address.js';
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { sharedKey } from '../util/shared-key.js';

/** Options of a {@link VerifyBudget}. */
export interface VerifyBudgetOptions {
  /** Packets per second routed to communities (and so to signature checks), across all sources. @default 10_000 */
  perSecond?: number;
  /** Packets the budget allows in a burst. @default `perSecond` */
  burst?: number;
  /** How long after this node sent a request to an address its packets bypass an empty budget, in ms. @default 5_000 */
  solicitedWindowMs?: number;
  /** Most destinations remembered for the bypass (the least recent forgotten first). @default 4_096 */
  maxSolicited?: number;
}

/** Counters of a {@link VerifyBudget}. */
export interface VerifyBudgetStats {
  /** Packets admitted within the budget. */
  admitted: number;
  /** Packets admitted over an empty budget because they came from an address we recently sent to. */
  solicited: number;
  /** Packets dropped because the budget was empty (`'over-budget'`). */
  overBudget: number;
}

/** A node-wide token bucket on packets admitted to signature verification. */
export class VerifyBudget {
  /** Live counters. */
  readonly stats: VerifyBudgetStats = { admitted: 0, solicited: 0, overBudget: 0 };
  private readonly rate: number;
  private readonly burst: number;
  private readonly window: number;
  private readonly maxSolicited: number;
  private tokens: number;
  private updated: number;
  /** addressKey → last time we sent to it, in send order (the least recent first). */
  private readonly sentTo = new Map<string, number>();

  /** @param clock time source. @param options see {@link VerifyBudgetOptions}. @throws {@link InvalidArgumentError} on an option that is not a positive number. */
  constructor(
    private readonly clock: Clock,
    options: VerifyBudgetOptions = {},
  ) {
    this.rate = positive('perSecond', options.perSecond ?? 10_000);
    this.burst = positive('burst', options.burst ?? this.rate);
    this.window = positive('solicitedWindowMs', options.solicitedWindowMs ?? 5_000);
    this.maxSolicited = positive('maxSolicited', options.maxSolicited ?? 4_096);
    this.tokens = this.burst;
    this.updated = clock.now();
  }

  /** Destinations currently remembered for the bypass. */
  get solicitedSize(): number {
    return this.sentTo.size;
  }

  /** Records that this node sent a request (any packet but an answer) to `to`; called by the host's transport. */
  noteSent(to: Address): void {
    const key = sharedKey(addressKey(to)); // the process's copy, not one string per entry
    this.sentTo.delete(key);
    this.sentTo.set(key, this.clock.now());
    if (this.sentTo.size > this.maxSolicited) {
      const oldest = this.sentTo.keys().next().value;
      if (oldest !== undefined) this.sentTo.delete(oldest);
    }
  }

  /** Takes a token for a packet from `from`; false (counted as over budget) when none is left and `from` was not recently sent to. */
  admit(from: Address): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) * this.rate) / 1_000);
    this.updated = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.stats.admitted++;
      return true;
    }
    const sent = this.sentTo.get(addressKey(from));
    if (sent !== undefined && now - sent < this.window) {
      this.stats.solicited++;
      return true;
    }
    this.stats.overBudget++;
    return false;
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number, got ${v}`);
  return v;
}
