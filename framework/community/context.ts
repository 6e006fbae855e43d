/**
 * What a community gets from its node: identity, time, randomness, a way to send, a key cache and a
 * logger. Injected as one {@link TOKENS.Context} so a community never reaches into container internals.
 * @module
 */
import type { PrivateKey } from '../crypto/keys.js';
import type { PairKeys } from '../crypto/pair-keys.js';
import type { AmplificationGate } from '../overlay/amplification-budget.js';
import type { RequestPacing } from '../overlay/send-pacer.js';
import { PublicKey } from '../crypto/keys.js';
import type { Address } from '../endpoint/address.js';
import type { Logger } from '../log/logger.js';
import type { Random } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { SIGNATURE_BYTES } from '../crypto/sizes.js';
import { createHash } from 'node:crypto';

/** Options of one {@link Transport.send}. */
export interface SendOptions {
  /**
   * Not charged to `to`'s amplification credit: a first contact this node makes on its own (a node a
   * lookup was referred to), not something a packet from `to` caused. @default false
   */
  readonly unmetered?: boolean;
}

/** How a community puts bytes on the wire. */
export interface Transport {
  /**
   * Sends one datagram; throws {@link PacketTooLargeError} when over {@link Transport.maxPacketBytes}.
   * @returns false when the node's amplification budget withheld it (`to` has not proved its address
   *   and its credit is spent; see {@link AmplificationGate}): nothing was sent.
   */
  send(to: Address, data: Uint8Array, options?: SendOptions): boolean;
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
  /**
   * Pairwise packet keys: when present, a signed message to a recipient whose key is known is tagged
   * for it instead of signed, and tagged packets are accepted. Absent: every signed message is signed.
   */
  readonly pairs?: PairKeys;
  /** Diagnostics. */
  readonly logger: Logger;
  /**
   * The node's amplification budget toward addresses that have not proved themselves: what may still be
   * sent there, charging traffic others send there because of us, and reporting proofs (a token echoed,
   * an answer to our request). Absent: nothing is limited.
   */
  readonly amplification?: AmplificationGate;
  /**
   * Per-destination pacing of this node's requests (below the peers' default rate limits): a request
   * whose destination's bucket is empty waits, its timeout starting when it is sent. Absent: no pacing.
   */
  readonly pacing?: RequestPacing;
}

/**
 * Keeps the public keys a node met recently: parsed keys (with their verification handles) in a bounded
 * LRU, so a key is parsed and its handle prepared once, not once per packet. The parsed keys are the
 * process-wide shared instances of {@link PublicKey.fromBinary}, so a process running many nodes holds
 * one parsed key per peer, and each node only a reference to it in its LRU.
 */
export class PublicKeyCache {
  /** Keys in least recently used order (a `Set` keeps insertion order; a hit moves its key to the end). */
  private readonly recent = new Set<PublicKey>();
  /**
   * The last key seen in each of {@link KEY_SLOTS} slots (by a hash of the binary's last bytes): a key
   * met again is found by comparing its bytes in place, without hex-encoding its binary (every signed or
   * tagged packet carries one). Made at the first key (a simulated node that never parses one pays nothing).
   */
  private slots: Array<PublicKey | undefined> | undefined;

  /** @param capacity most keys kept. @default 4096 */
  constructor(private readonly capacity = 4_096) {}

  /** Number of keys held. */
  get size(): number {
    return this.recent.size;
  }

  /** The parsed key, or `undefined` when the binary is not a valid public key. */
  get(binary: Uint8Array): PublicKey | undefined {
    const slots = (this.slots ??= new Array<PublicKey | undefined>(KEY_SLOTS).fill(undefined));
    const slot = keySlot(binary);
    const held = slots[slot];
    if (held !== undefined && held.hasBinary(binary)) return this.touch(held);
    let key: PublicKey;
    try {
      key = PublicKey.fromBinary(binary);
    } catch {
      return undefined; // a wrong prefix or length: cheap to tell again, so not remembered
    }
    slots[slot] = key;
    return this.touch(key);
  }

  /** Makes `key` the most recently used, the least recently used out when full. */
  private touch(key: PublicKey): PublicKey {
    if (!this.recent.delete(key) && this.recent.size >= this.capacity) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.add(key);
    return key;
  }

  /**
   * Verifies with a memo of positive results, for signatures checked again and again (a stored value
   * is verified by each storer and by every node that finds it). The memo key is a SHA-256 of the full
   * public key binary, the signature and the message (fixed-length key and signature first, so the
   * encoding is unambiguous): a different key, signature or message never hits. Per node, bounded LRU
   * of 44-character digests.
   */
  verifyCached(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    // Only a 64-byte signature can be valid; checking first keeps the key||signature||message split unique.
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES || !(message instanceof Uint8Array)) return false;
    const id = createHash('sha256').update(publicKey.toBinary()).update(signature).update(message).digest('base64');
    if (this.verified?.has(id) === true) {
      this.verifiedHits++;
      return true;
    }
    if (!publicKey.verify(message, signature)) return false;
    const verified = (this.verified ??= new Set<string>());
    verified.add(id);
    if (verified.size > this.capacity) {
      const oldest = verified.values().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    return true;
  }

  /** How often {@link PublicKeyCache.verifyCached} answered from its memo. */
  verifiedHits = 0;
  /** Digests of the signatures verified, least recently added first; made at the first (most simulated nodes never verify a stored value). */
  private verified: Set<string> | undefined;

  /** A verifier for the wire codec: true only for a valid key and a valid signature. */
  readonly verify = (publicKeyBinary: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean =>
    this.get(publicKeyBinary)?.verify(message, signature) ?? false;
}

/** Slots of the byte-compared front of {@link PublicKeyCache} (2 KB of pointers per node). */
const KEY_SLOTS = 256;

/** A slot for a key binary: FNV-1a of its last 8 bytes (the end of the Ed25519 key: random for real keys). */
function keySlot(binary: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, binary.length - 8); i < binary.length; i++) h = Math.imul(h ^ binary[i]!, 0x01000193);
  return (h >>> 0) & (KEY_SLOTS - 1);
}
