/**
 * The node-wide amplification budget: until an address proves that it receives at that address (it
 * echoed a token we issued to it, or answered a request of ours), everything this node sends it, direct
 * replies and every follow-up a packet causes (a challenge ping, an introduction, a lookup query toward a
 * contact just learned from it, punctures other nodes send on our behalf), is paid from one credit:
 * `factor` (3) times the bytes received from it, refilled only by more received bytes. A send that does
 * not fit is withheld and counted, so a spoofed source address never gets more than 3x what was sent in
 * its name, however many follow-ups the packets cause.
 *
 * An address we never heard from is not limited: sending to it first is our own doing (a bootstrap node, a
 * referral), not something a spoofed packet caused. Memory is bounded: at most `maxAddresses` unproven
 * and `maxProven` proven addresses (each the least recently used evicted first). An unproven address
 * evicted from the table is remembered in a fixed-size filter of hashes and gets no credit until it sends
 * again, so a flood of spoofed sources cannot push a victim out of the table to lift its limit; a proven
 * address evicted is simply forgotten (it has to prove itself again only if it sends to us again).
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { addressKey } from '../endpoint/address.js';
import { InvalidArgumentError } from '../errors.js';
import { sharedKey } from '../util/shared-key.js';

/** Bytes we may send to an address that has not proved itself, per byte received from it. */
export const DEFAULT_AMPLIFICATION_FACTOR = 3;

/** Options of an {@link AmplificationBudget}. */
export interface AmplificationBudgetOptions {
  /** Bytes sent per byte received, until the address proves itself. @default 3 */
  factor?: number;
  /** Most unproven addresses whose credit is kept (LRU). @default 16_384 */
  maxAddresses?: number;
  /** Most proven addresses remembered (LRU). @default 16_384 */
  maxProven?: number;
  /** Slots of the filter remembering unproven addresses evicted from the table (a power of two). @default 65_536 */
  evictedSlots?: number;
}

/** Counters of an {@link AmplificationBudget}. */
export interface AmplificationStats {
  /** Sends (and charges for others' sends) withheld because the address's credit was spent. */
  withheld: number;
  /** Bytes of those. */
  withheldBytes: number;
  /** Bytes sent (or charged) to addresses that had not proved themselves. */
  chargedBytes: number;
  /** Addresses that proved themselves (each time one did while unproven or unknown). */
  proofs: number;
  /** Unproven addresses evicted from the table into the filter. */
  evicted: number;
}

/**
 * What a community sees of the budget: how much it may still send to an address, a way to charge traffic
 * another node sends to an address because of us, and a way to report an address's proof.
 */
export interface AmplificationGate {
  /** Bytes that may still be sent to `to` (`Infinity` when it proved itself or never sent us anything). */
  allowance(to: Address): number;
  /**
   * Charges `bytes` to `to`'s credit for traffic sent there on our behalf (a puncture another node sends
   * because we introduced it). @returns false, charging nothing, when they do not fit.
   */
  charge(to: Address, bytes: number): boolean;
  /** Records that `address` proved it receives there (echoed our token, answered our request). */
  prove(address: Address): void;
  /** True when `address` proved itself (and is still remembered). */
  isProven(address: Address): boolean;
}

/** Per-address credit toward addresses that have not proved themselves; see the module comment. */
export class AmplificationBudget implements AmplificationGate {
  /** Live counters. */
  readonly stats: AmplificationStats = { withheld: 0, withheldBytes: 0, chargedBytes: 0, proofs: 0, evicted: 0 };
  /** Unproven addresses and their credit in bytes, least recently used first. */
  private readonly credit = new Map<string, number>();
  /** Proven addresses, least recently used first. */
  private readonly proven = new Set<string>();
  /**
   * Hashes of unproven addresses evicted from `credit` (0: empty slot); made at the first eviction (past
   * `maxAddresses` unproven addresses), so a node that never evicts (every simulated node) does not carry
   * its 256 KB.
   */
  private evictedFilter: Uint32Array | undefined;
  private readonly evictedSlots: number;
  private readonly factor: number;
  private readonly maxAddresses: number;
  private readonly maxProven: number;

  /** @param options see {@link AmplificationBudgetOptions}. @throws {@link InvalidArgumentError} on a bad option. */
  constructor(options: AmplificationBudgetOptions = {}) {
    this.factor = positive('factor', options.factor ?? DEFAULT_AMPLIFICATION_FACTOR);
    this.maxAddresses = Math.floor(positive('maxAddresses', options.maxAddresses ?? 16_384));
    this.maxProven = Math.floor(positive('maxProven', options.maxProven ?? 16_384));
    const slots = options.evictedSlots ?? 65_536;
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) {
      throw new InvalidArgumentError(`evictedSlots must be a power of two, got ${slots}`);
    }
    this.evictedSlots = slots;
  }

  /** Unproven addresses whose credit is held. */
  get tracked(): number {
    return this.credit.size;
  }

  /** Proven addresses remembered. */
  get provenCount(): number {
    return this.proven.size;
  }

  /** Credits `factor x bytes` to `from` for a packet received from it (nothing for a proven address). */
  received(from: Address, bytes: number): void {
    const key = sharedKey(addressKey(from)); // the process's copy: the tables keep no string of their own
    if (this.proven.has(key)) return touch(this.proven, key);
    const held = this.credit.get(key);
    if (held === undefined) this.forgetEvicted(key);
    this.put(key, (held ?? 0) + this.factor * bytes);
  }

  /** @inheritDoc */
  allowance(to: Address): number {
    const key = addressKey(to);
    if (this.proven.has(key)) return Number.POSITIVE_INFINITY;
    const held = this.credit.get(key);
    if (held !== undefined) return held;
    return this.wasEvicted(key) ? 0 : Number.POSITIVE_INFINITY;
  }

  /**
   * Takes `bytes` from `to`'s credit for a packet about to be sent (or sent by another node on our
   * behalf). @returns false, taking nothing, when `to` has not proved itself and its credit is too small.
   */
  charge(to: Address, bytes: number): boolean {
    const key = addressKey(to);
    if (this.proven.has(key)) return true;
    let held = this.credit.get(key);
    if (held === undefined) {
      if (!this.wasEvicted(key)) return true; // never heard from: our own first contact
      held = 0;
    }
    if (held < bytes) {
      this.stats.withheld++;
      this.stats.withheldBytes += bytes;
      return false;
    }
    this.stats.chargedBytes += bytes;
    this.put(sharedKey(key), held - bytes);
    return true;
  }

  /** @inheritDoc */
  prove(address: Address): void {
    const key = sharedKey(addressKey(address));
    if (this.proven.has(key)) return touch(this.proven, key);
    this.stats.proofs++;
    this.credit.delete(key);
    this.forgetEvicted(key);
    this.proven.add(key);
    if (this.proven.size > this.maxProven) {
      const oldest = this.proven.values().next().value;
      if (oldest !== undefined) this.proven.delete(oldest);
    }
  }

  /** @inheritDoc */
  isProven(address: Address): boolean {
    return this.proven.has(addressKey(address));
  }

  /** Sets `key`'s credit as the most recently used entry, evicting the least recently used one into the filter. */
  private put(key: string, bytes: number): void {
    this.credit.delete(key);
    this.credit.set(key, bytes);
    if (this.credit.size <= this.maxAddresses) return;
    const oldest = this.credit.keys().next().value;
    if (oldest === undefined) return;
    this.credit.delete(oldest);
    const [slot, mark] = this.hashes(oldest);
    (this.evictedFilter ??= new Uint32Array(this.evictedSlots))[slot] = mark;
    this.stats.evicted++;
  }

  private wasEvicted(key: string): boolean {
    if (this.evictedFilter === undefined) return false;
    const [slot, mark] = this.hashes(key);
    return this.evictedFilter[slot] === mark;
  }

  private forgetEvicted(key: string): void {
    if (this.evictedFilter === undefined) return;
    const [slot, mark] = this.hashes(key);
    if (this.evictedFilter[slot] === mark) this.evictedFilter[slot] = 0;
  }

  /** The filter slot of `key` and the nonzero mark stored there (two independent FNV-1a hashes). */
  private hashes(key: string): [number, number] {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    return [(a >>> 0) & (this.evictedSlots - 1), (b | 1) >>> 0];
  }
}

/** Moves `key` to the most recently used end of `set`. */
function touch(set: Set<string>, key: string): void {
  set.delete(key);
  set.add(key);
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number, got ${v}`);
  return v;
}
