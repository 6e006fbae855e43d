/**
 * The address records a node holds for others: mid → (public key, address, candidates, last heard). A
 * record lives only while its owner keeps it alive; silent records are dropped.
 * @module
 */
import type { Address, PublicKey } from '../../framework/index.js';
import { addressKey } from '../../framework/index.js';

/** One held record. */
export interface PeerRecord {
  /** The announcing peer's key (its mid is the record's key). */
  readonly publicKey: PublicKey;
  /** Where its announcements come from (its WAN address, when it is behind a NAT). */
  address: Address;
  /** The LAN address it announced, checked (see `validLan`); refreshed by each announcement. */
  lan?: Address | undefined;
  /** The relay address it announced, checked (see `validRelay`); refreshed by each announcement. */
  relay?: Address | undefined;
  /** The NAT it announced (a `NAT_CODES` value; 0 unknown); refreshed by each announcement. */
  nat?: number;
  /** Last announcement or keepalive, ms. */
  lastSeen: number;
}

/** Bounded table of records by mid hex; a mid may be announced from more than one address. */
export class PeerRecords {
  private readonly byMid = new Map<string, PeerRecord[]>();
  private count = 0;

  /** @param maxRecords most records held. @param maxPerMid most addresses kept per mid. */
  constructor(
    private readonly maxRecords = 10_000,
    private readonly maxPerMid = 4,
  ) {}

  /** Number of records held. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds or refreshes the record of `publicKey` at `address`, with the candidates it announced.
   * @param candidates the checked LAN and relay candidates and the announced NAT code (each replaces the record's previous one).
   * @returns false when the table is full.
   */
  upsert(publicKey: PublicKey, address: Address, now: number, candidates: { lan?: Address | undefined; relay?: Address | undefined; nat?: number } = {}): boolean {
    const list = this.byMid.get(publicKey.midHex) ?? [];
    const key = addressKey(address);
    const existing = list.find((r) => addressKey(r.address) === key);
    if (existing !== undefined) {
      existing.lastSeen = now;
      existing.lan = candidates.lan;
      existing.relay = candidates.relay;
      existing.nat = candidates.nat ?? 0;
      return true;
    }
    if (this.count >= this.maxRecords) return false;
    if (list.length >= this.maxPerMid) {
      list.sort((a, b) => a.lastSeen - b.lastSeen);
      list.shift();
      this.count--;
    }
    list.push({ publicKey, address, lan: candidates.lan, relay: candidates.relay, nat: candidates.nat ?? 0, lastSeen: now });
    this.count++;
    this.byMid.set(publicKey.midHex, list);
    return true;
  }

  /** Records for `midHex`, most recently heard first. */
  get(midHex: string): PeerRecord[] {
    return [...(this.byMid.get(midHex) ?? [])].sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** Drops records silent since before `cutoff`; returns how many. */
  sweep(cutoff: number): number {
    let removed = 0;
    for (const [mid, list] of this.byMid) {
      const kept = list.filter((r) => r.lastSeen >= cutoff);
      removed += list.length - kept.length;
      if (kept.length === 0) this.byMid.delete(mid);
      else this.byMid.set(mid, kept);
    }
    this.count -= removed;
    return removed;
  }

  /** Forgets everything. */
  clear(): void {
    this.byMid.clear();
    this.count = 0;
  }
}
