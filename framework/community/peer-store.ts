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

/** The tables of a {@link PeerStore}. */
interface Tables {
  readonly byMid: Map<string, Peer>;
  readonly byAddress: Map<string, Peer>;
  readonly walkable: Map<string, Address>;
}

/** The same, read only. */
interface ReadTables {
  readonly byMid: ReadonlyMap<string, Peer>;
  readonly byAddress: ReadonlyMap<string, Peer>;
  readonly walkable: ReadonlyMap<string, Address>;
}

/** What a store reads before its first peer or address (never written: a store makes its own tables then). */
const NO_TABLES: ReadTables = { byMid: new Map(), byAddress: new Map(), walkable: new Map() };

/** Verified peers and walkable addresses of one community. */
export class PeerStore {
  /** Made at the first peer or address (a community that never meets one, like a simulated DHT node, keeps none). */
  private own: Tables | undefined;
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
    return this.read.byMid.size;
  }

  /** Number of unverified introduced addresses. */
  get walkableCount(): number {
    return this.read.walkable.size;
  }

  /** The tables to read: the store's own, or the shared empty ones. */
  private get read(): ReadTables {
    return this.own ?? NO_TABLES;
  }

  /** The tables to write, made now if the store has none. */
  private get tables(): Tables {
    return (this.own ??= { byMid: new Map(), byAddress: new Map(), walkable: new Map() });
  }

  /**
   * Records a verified peer (one that signed a message from `address`), updating its address and
   * last-seen time if known. Refused (peer undefined) when the store is full and the peer is new.
   */
  addVerified(publicKey: PublicKey, address: Address, now: number): AddPeerResult {
    const t = this.tables;
    const existing = t.byMid.get(publicKey.midHex);
    const key = addressKey(address);
    if (existing !== undefined) {
      if (existing.addressKey !== key) {
        t.byAddress.delete(existing.addressKey);
        existing.address = address;
      }
      t.byAddress.set(key, existing);
      existing.lastSeen = now;
      return { peer: existing, added: false };
    }
    if (t.byMid.size >= this.maxPeers) return { peer: undefined, added: false };
    const stale = t.byAddress.get(key);
    if (stale !== undefined) this.remove(stale);
    const peer = new Peer(publicKey, address, now);
    t.byMid.set(peer.midHex, peer);
    t.byAddress.set(key, peer);
    t.walkable.delete(key);
    return { peer, added: true };
  }

  /** Remembers an address we were introduced to, unless it is already a verified peer. */
  addWalkable(address: Address): void {
    const key = addressKey(address);
    const t = this.tables;
    if (t.byAddress.has(key) || t.walkable.has(key)) return;
    if (t.walkable.size >= this.maxWalkable) {
      const oldest = t.walkable.keys().next().value;
      if (oldest !== undefined) t.walkable.delete(oldest);
    }
    t.walkable.set(key, address);
  }

  /** Forgets a peer. */
  remove(peer: Peer): void {
    const t = this.own;
    if (t === undefined) return;
    if (t.byMid.get(peer.midHex) === peer) t.byMid.delete(peer.midHex);
    if (t.byAddress.get(peer.addressKey) === peer) t.byAddress.delete(peer.addressKey);
  }

  /** The verified peer with this mid (hex), if known. */
  getByMid(midHex: string): Peer | undefined {
    return this.read.byMid.get(midHex);
  }

  /** The verified peer at this address, if known. */
  getByAddress(address: Address): Peer | undefined {
    return this.read.byAddress.get(addressKey(address));
  }

  /** All verified peers. */
  peers(): Peer[] {
    return [...this.read.byMid.values()];
  }

  /** A random verified peer, optionally excluding one address. */
  randomPeer(random: Random, exclude?: Address): Peer | undefined {
    const skip = exclude === undefined ? undefined : addressKey(exclude);
    const candidates = skip === undefined ? this.peers() : this.peers().filter((p) => p.addressKey !== skip);
    return pick(random, candidates);
  }

  /** Takes a random walkable address out of the store (it will be verified or forgotten). */
  takeWalkable(random: Random): Address | undefined {
    const addresses = [...this.read.walkable.values()];
    const chosen = pick(random, addresses);
    if (chosen !== undefined) this.tables.walkable.delete(addressKey(chosen));
    return chosen;
  }

  /** Forgets everything. */
  clear(): void {
    this.own = undefined;
  }
}
