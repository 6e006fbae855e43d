/**
 * What a community gets from its node: identity, time, randomness, a way to send, a key cache and a
 * logger. Injected as one {@link TOKENS.Context} so a community never reaches into container internals.
 * @module
 */
import type { PrivateKey } from '../crypto/keys.js';
import { PublicKey } from '../crypto/keys.js';
import type { Address } from '../endpoint/address.js';
import type { Logger } from '../log/logger.js';
import type { Random } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { toHex } from '../util/bytes.js';
import { createHash } from 'node:crypto';

/** How a community puts bytes on the wire. */
export interface Transport {
  /** Sends one datagram; throws {@link PacketTooLargeError} when over {@link Transport.maxPacketBytes}. */
  send(to: Address, data: Uint8Array): void;
  /** Largest datagram accepted, in bytes. */
  readonly maxPacketBytes: number;
  /** The local bound address. */
  readonly localAddress: Address;
}

/** A node's shared services, handed to each of its communities. */
export interface CommunityContext {
  /** The node's identity. */
  readonly key: PrivateKey;
  /** Time and timers. */
  readonly clock: Clock;
  /** Randomness (request ids, walk choices). */
  readonly random: Random;
  /** Outgoing datagrams. */
  readonly transport: Transport;
  /** Parsed, cached public keys. */
  readonly keys: PublicKeyCache;
  /** Diagnostics. */
  readonly logger: Logger;
}

/**
 * Parses public key binaries once and keeps the parsed keys (with their cached verify handles) in a
 * bounded LRU map; parsing and handle setup cost more than a hash lookup on every packet.
 */
export class PublicKeyCache {
  private readonly map = new Map<string, PublicKey | null>();

  /** @param capacity most keys kept. @default 4096 */
  constructor(private readonly capacity = 4_096) {}

  /** The parsed key, or `undefined` when the binary is not a valid public key. */
  get(binary: Uint8Array): PublicKey | undefined {
    const hex = toHex(binary);
    const hit = this.map.get(hex);
    if (hit !== undefined) {
      this.map.delete(hex);
      this.map.set(hex, hit);
      return hit ?? undefined;
    }
    let key: PublicKey | null;
    try {
      key = PublicKey.fromBinary(binary);
    } catch {
      key = null;
    }
    this.map.set(hex, key);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    return key ?? undefined;
  }

  /**
   * Verifies with a memo of positive results, for signatures checked again and again (a stored value
   * is verified by each storer and by every node that finds it). The memo key covers the public key,
   * the signature and a SHA-256 of the message, so a different message never hits. Per node (not
   * process-wide), bounded LRU.
   */
  verifyCached(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    const id = `${publicKey.midHex}:${toHex(signature)}:${createHash('sha256').update(message).digest('base64')}`;
    if (this.verified.has(id)) {
      this.verifiedHits++;
      return true;
    }
    if (!publicKey.verify(message, signature)) return false;
    this.verified.add(id);
    if (this.verified.size > this.capacity) {
      const oldest = this.verified.values().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    return true;
  }

  /** How often {@link PublicKeyCache.verifyCached} answered from its memo. */
  verifiedHits = 0;
  private readonly verified = new Set<string>();

  /** A verifier for the wire codec: true only for a valid key and a valid signature. */
  readonly verify = (publicKeyBinary: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean =>
    this.get(publicKeyBinary)?.verify(message, signature) ?? false;
}
