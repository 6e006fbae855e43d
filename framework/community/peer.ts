/**
 * A peer: a public key proven by a signed message, at the address it was last heard from.
 * @module
 */
import type { PublicKey } from '../crypto/keys.js';
import type { Address } from '../endpoint/address.js';
import { addressKey } from '../endpoint/address.js';

/** A verified peer of a community. */
export class Peer {
  /** Time (ms, on the community's clock) the peer was last heard from. */
  lastSeen: number;
  /**
   * The LAN address the peer claims (its introduction request's `sourceLan`), when usable; {@link Peer.address}
   * is where its packets come from (its WAN address when it is behind a NAT). Unverified: used only to
   * introduce the peer to others behind the same public IP.
   */
  lanAddress: Address | undefined;

  /**
   * @param publicKey the key the peer signed with.
   * @param address where the peer's packets come from.
   * @param now current time in ms.
   */
  constructor(
    readonly publicKey: PublicKey,
    public address: Address,
    now: number,
  ) {
    this.lastSeen = now;
  }

  /** SHA-1 of the public key binary, 20 bytes (py-ipv8's `mid`). */
  get mid(): Uint8Array {
    return this.publicKey.mid;
  }

  /** The mid in lowercase hex. */
  get midHex(): string {
    return this.publicKey.midHex;
  }

  /** `host:port` of the current address. */
  get addressKey(): string {
    return addressKey(this.address);
  }

  /** A short human form: first 8 hex digits of the mid and the address. */
  toString(): string {
    return `Peer(${this.midHex.slice(0, 8)}@${this.addressKey})`;
  }
}
