/**
 * A process-wide memo of pairwise packet keys (see {@link PairKeys}), for simulations that run thousands of
 * nodes in one process. The two keys of a pair of nodes are the same bytes on both sides (the static X25519
 * agreement is symmetric, and each side derives the key of each direction), so when node B needs the keys
 * of its pair with A just after A derived them, it takes A's result instead of a second agreement and two
 * HKDFs. A node only ever gets the keys of a pair it belongs to, exactly the bytes it would have derived
 * itself, so nothing it accepts or sends changes. Off unless {@link rememberPairKeys} turned it on (a real
 * node has nothing to gain, and the memo holds secrets of many nodes).
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { PublicKey } from './keys.js';

/** Counters of a {@link PairKeyMemo}. */
export interface PairKeyMemoStats {
  /** Pairs remembered. */
  remembered: number;
  /** Lookups answered from the memo. */
  hits: number;
}

interface Entry {
  /** Key of the side whose mid hex sorts first, then of the other. */
  readonly low: PublicKey;
  readonly high: PublicKey;
  /** Key of packets from `low` to `high`, then from `high` to `low`. */
  readonly lowToHigh: Uint8Array;
  readonly highToLow: Uint8Array;
}

/** The keys of one pair as one side sees them. */
export interface PairKeysOf {
  /** Key of packets from this side to the peer. */
  readonly to: Uint8Array;
  /** Key of packets from the peer to this side. */
  readonly from: Uint8Array;
}

/** A bounded memo of the pairwise keys of node pairs, oldest forgotten first. */
export class PairKeyMemo {
  /** Counters. */
  readonly stats: PairKeyMemoStats = { remembered: 0, hits: 0 };
  private readonly entries = new Map<string, Entry>();

  /**
   * @param capacity most pairs kept. @default 16384
   * @throws {@link InvalidArgumentError} when `capacity` is not a positive integer.
   */
  constructor(readonly capacity = 16_384) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`PairKeyMemo capacity must be a positive integer, got ${String(capacity)}`);
  }

  /** Pairs held. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The keys of the pair (`own`, `peer`) as `own` sees them, if remembered (the entry's keys are compared
   * byte for byte). Takes the entry out: each side of a pair needs it once.
   */
  take(own: PublicKey, peer: PublicKey): PairKeysOf | undefined {
    const ownLow = own.midHex < peer.midHex;
    const id = ownLow ? own.midHex + peer.midHex : peer.midHex + own.midHex;
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    const [low, high] = ownLow ? [own, peer] : [peer, own];
    if (!entry.low.equals(low) || !entry.high.equals(high)) return undefined;
    this.entries.delete(id);
    this.stats.hits++;
    return ownLow ? { to: entry.lowToHigh, from: entry.highToLow } : { to: entry.highToLow, from: entry.lowToHigh };
  }

  /** Remembers the keys `own` derived for its pair with `peer` (copied). */
  remember(own: PublicKey, peer: PublicKey, keys: PairKeysOf): void {
    const ownLow = own.midHex < peer.midHex;
    const id = ownLow ? own.midHex + peer.midHex : peer.midHex + own.midHex;
    if (!this.entries.has(id) && this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const [low, high] = ownLow ? [own, peer] : [peer, own];
    const to = keys.to.slice();
    const from = keys.from.slice();
    this.entries.set(id, { low, high, lowToHigh: ownLow ? to : from, highToLow: ownLow ? from : to });
    this.stats.remembered++;
  }

  /** Forgets every pair. */
  clear(): void {
    this.entries.clear();
  }
}

let active: PairKeyMemo | undefined;

/**
 * Turns the process-wide {@link PairKeyMemo} on: every {@link PairKeys} of the process then looks up a
 * new peer's keys in it before deriving them, and leaves what it derived there for the peer. The simulator
 * does this. Calling it again keeps the memo that is on.
 * @param capacity most pairs kept when the memo is created. @default 16384
 * @returns the memo.
 */
export function rememberPairKeys(capacity?: number): PairKeyMemo {
  active ??= new PairKeyMemo(capacity);
  return active;
}

/** The process-wide memo if {@link rememberPairKeys} turned it on. */
export function pairKeyMemo(): PairKeyMemo | undefined {
  return active;
}
