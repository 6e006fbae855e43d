/**
 * The introduced peer's side of a connect: when a storer introduces a requester, send it a signed
 * puncture (which opens our NAT toward it and proves our key) a few times, spaced out
 * ({@link PUNCTURE_DELAYS_MS}), and stop as soon as the requester's hello reaches us. A requester we
 * answered a hello from a moment ago gets one puncture, not three (our answer may have been lost: it is
 * still asking). Introductions for the same requester arriving
 * together (every storer it asked forwards one) start one round of punctures, not one each; a requester
 * gets at most {@link MAX_ROUNDS_PER_WINDOW} rounds per {@link ROUND_WINDOW_MS}.
 * @module
 */
import type { Address, MessageSpec, TimerHandle } from '../../framework/index.js';
import { addressKey } from '../../framework/index.js';
import { validLan } from './candidates.js';
import { PeerPuncture } from './messages.js';

/** When the punctures of one round go out, in ms after the introduction (the first at once). */
export const PUNCTURE_DELAYS_MS: readonly number[] = [0, 150, 400];
/** Introductions for a requester within this long of its last round's start join that round. */
const ROUND_JOIN_MS = 1_000;
/** A hello from the requester this recent cuts a round to one puncture. */
const HEARD_RECENTLY_MS = 2_000;
/** Most rounds of punctures toward one requester per {@link ROUND_WINDOW_MS}. */
export const MAX_ROUNDS_PER_WINDOW = 3;
/** See {@link MAX_ROUNDS_PER_WINDOW}. */
export const ROUND_WINDOW_MS = 30_000;
/** Most requesters tracked at once (oldest forgotten first). */
const MAX_REQUESTERS = 1_024;

/** What the puncturer needs: sending, timers, the clock, and counting drops. */
export interface PuncturerHost {
  /** Sends a message. */
  send<T>(to: Address, spec: MessageSpec<T>, value: T): number;
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
  /** The clock. */
  readonly context: { readonly clock: { now(): number } };
  /** Counts a dropped packet. */
  drop(reason: string, from: Address): void;
}

/** What we know of one requester. */
interface Requester {
  /** Starts of its recent rounds, ms. */
  rounds: number[];
  /** Pending punctures of its current round. */
  timers: Set<TimerHandle>;
  /** When its last hello reached us, ms. */
  heardAt: number;
  /** A puncture went toward it in its latest round. */
  punctured: boolean;
}

/** An introduction to act on. */
export interface Introduction {
  /** The find-peer request id the puncture echoes. */
  nonce: bigint;
  /** The requester's address as the storer saw it. */
  requester: Address;
  /** The requester's mid, hex. */
  requesterMidHex: string;
  /** The LAN address the requester gave, if any. */
  requesterLan: Address | undefined;
  /** Whether the storer saw a token proving the requester's address. */
  proven: boolean;
}

/** Punctures toward introduced requesters; see the module comment. */
export class Puncturer {
  /** Punctures sent (every packet, LAN ones included). */
  sent = 0;
  private readonly requesters = new Map<string, Requester>();

  /** @param d the owner. */
  constructor(private readonly d: PuncturerHost) {}

  /** Acts on an introduction a storer we announced to forwarded (the caller checked the storer). */
  introduce(intro: Introduction, from: Address): void {
    const now = this.d.context.clock.now();
    const r = this.requester(intro.requesterMidHex);
    const heard = now - r.heardAt < HEARD_RECENTLY_MS;
    const last = r.rounds[r.rounds.length - 1];
    if (last !== undefined && now - last < ROUND_JOIN_MS) return this.d.drop('introduce-duplicate', from);
    r.rounds = r.rounds.filter((at) => now - at < ROUND_WINDOW_MS);
    if (r.rounds.length >= MAX_ROUNDS_PER_WINDOW) return this.d.drop('introduce-too-often', from);
    r.rounds.push(now);
    r.punctured = false;
    this.clear(r);
    // An unproven requester (no token) gets one puncture, which the storer paid from its credit.
    const delays = intro.proven && !heard ? PUNCTURE_DELAYS_MS : PUNCTURE_DELAYS_MS.slice(0, 1);
    for (const delay of delays) {
      const fire = (): void => {
        this.sent++;
        r.punctured = true;
        this.d.send(intro.requester, PeerPuncture, { nonce: intro.nonce });
      };
      if (delay === 0) fire();
      else {
        const handle = this.d.after(delay, () => {
          r.timers.delete(handle);
          fire();
        });
        r.timers.add(handle);
      }
    }
    // The LAN address: once, only private, only for a proven requester (a peer behind our own NAT).
    const lan = intro.proven && !heard ? validLan(intro.requesterLan, intro.requester) : undefined;
    if (lan !== undefined && addressKey(lan) !== addressKey(intro.requester)) {
      this.sent++;
      this.d.send(lan, PeerPuncture, { nonce: intro.nonce });
    }
  }

  /** A hello from the requester with this mid reached us: its punctures stop. */
  heard(midHex: string): void {
    const r = this.requester(midHex);
    r.heardAt = this.d.context.clock.now();
    this.clear(r);
  }

  /** True if we punctured toward this requester in a round started within the last 30 s. */
  punctured(midHex: string): boolean {
    const r = this.requesters.get(midHex);
    const last = r?.rounds[r.rounds.length - 1];
    return r !== undefined && r.punctured && last !== undefined && this.d.context.clock.now() - last < ROUND_WINDOW_MS;
  }

  /** Cancels every pending puncture and forgets every requester. */
  stop(): void {
    for (const r of this.requesters.values()) this.clear(r);
    this.requesters.clear();
  }

  private requester(midHex: string): Requester {
    let r = this.requesters.get(midHex);
    if (r === undefined) {
      if (this.requesters.size >= MAX_REQUESTERS) {
        const [oldest, entry] = this.requesters.entries().next().value as [string, Requester];
        this.clear(entry);
        this.requesters.delete(oldest);
      }
      r = { rounds: [], timers: new Set(), heardAt: Number.NEGATIVE_INFINITY, punctured: false };
      this.requesters.set(midHex, r);
    }
    return r;
  }

  private clear(r: Requester): void {
    for (const t of r.timers) this.d.cancel(t);
    r.timers.clear();
  }
}
