/**
 * The peers a community knows: verified peers by mid, and addresses it was introduced to but has not
 * yet verified ("walkable"). Bounded, so a flood of introductions cannot grow it without limit.
 * @module
 */
import type { PublicKey } from '../crypto/keys.js';
import type { Address } from '../endpoint/address.js';
import { addressKey } from '../endpoint/address.js';
import type { Random } from '../random/random.js';
import { pick } from '../random/random.js';
import { Peer } from './peer.js';

/** Limits of a {@link PeerStore}. */
export interface PeerStoreOptions {
  /** Most verified peers kept; new ones are refused past it. @default 40 */
  maxPeers?: number;
  /** Most unverified introduced addresses kept; the oldest is forgotten past it. @default 100 */
  maxWalkable?: number;
}

/** Outcome of {@link PeerStore.addVerified}. */
export type AddPeerResult = { peer: Peer; added: boolean } | { peer: undefined; added: false };

/** Verified peers and walkable addresses of one community. */
export class PeerStore {
  private readonly byMid = new Map<string, Peer>();
  private readonly byAddress = new Map<string, Peer>();
  private readonly walkable = new Map<string, Address>();
  /** Most verified peers kept. */
  readonly maxPeers: number;
  /** Most walkable addresses kept. */
  readonly maxWalkable: number;

  /** @param options limits. */
  constructor(options: PeerStoreOptions = {}) {
    this.maxPeers = options.maxPeers ?? 40;
    this.maxWalkable = options.maxWalkable ?? 100;
  }

  /** Number of verified peers. */
  get size(): number {
    return this.byMid.size;
  }

  /** Number of unverified introduced addresses. */
  get walkableCount(): number {
    return this.walkable.size;
  }

  /**
   * Records a verified peer (one that signed a message from `address`), updating its address and
   * last-seen time if known. Refused (peer undefined) when the store is full and the peer is new.
   */
  addVerified(publicKey: PublicKey, address: Address, now: number): AddPeerResult {
    const existing = this.byMid.get(publicKey.midHex);
    const key = addressKey(address);
    if (existing !== undefined) {
      if (existing.addressKey !== key) {
        this.byAddress.delete(existing.addressKey);
        existing.address = address;
      }
      this.byAddress.set(key, existing);
      existing.lastSeen = now;
      return { peer: existing, added: false };
    }
    if (this.byMid.size >= this.maxPeers) return { peer: undefined, added: false };
    const stale = this.byAddress.get(key);
    if (stale !== undefined) this.remove(stale);
    const peer = new Peer(publicKey, address, now);
    this.byMid.set(peer.midHex, peer);
    this.byAddress.set(key, peer);
    this.walkable.delete(key);
    return { peer, added: true };
  }

  /** Remembers an address we were introduced to, unless it is already a verified peer. */
  addWalkable(address: Address): void {
    const key = addressKey(address);
    if (this.byAddress.has(key) || this.walkable.has(key)) return;
    if (this.walkable.size >= this.maxWalkable) {
      const oldest = this.walkable.keys().next().value;
      if (oldest !== undefined) this.walkable.delete(oldest);
    }
    this.walkable.set(key, address);
  }

  /** Forgets a peer. */
  remove(peer: Peer): void {
    if (this.byMid.get(peer.midHex) === peer) this.byMid.delete(peer.midHex);
    if (this.byAddress.get(peer.addressKey) === peer) this.byAddress.delete(peer.addressKey);
  }

  /** The verified peer with this mid (hex), if known. */
  getByMid(midHex: string): Peer | undefined {
    return this.byMid.get(midHex);
  }

  /** The verified peer at this address, if known. */
  getByAddress(address: Address): Peer | undefined {
    return this.byAddress.get(addressKey(address));
  }

  /** All verified peers. */
  peers(): Peer[] {
    return [...this.byMid.values()];
  }

  /** A random verified peer, optionally excluding one address. */
  randomPeer(random: Random, exclude?: Address): Peer | undefined {
    const skip = exclude === undefined ? undefined : addressKey(exclude);
    const candidates = skip === undefined ? this.peers() : this.peers().filter((p) => p.addressKey !== skip);
    return pick(random, candidates);
  }

  /** Takes a random walkable address out of the store (it will be verified or forgotten). */
  takeWalkable(random: Random): Address | undefined {
    const addresses = [...this.walkable.values()];
    const chosen = pick(random, addresses);
    if (chosen !== undefined) this.walkable.delete(addressKey(chosen));
    return chosen;
  }

  /** Forgets everything. */
  clear(): void {
    this.byMid.clear();
    this.byAddress.clear();
    this.walkable.clear();
  }
}
