/**
 * Pairwise packet keys: a packet to a peer whose public key we know can be authenticated with a 16-byte
 * HMAC-SHA256 tag instead of a 64-byte Ed25519 signature. The key of each direction is derived from
 * the static X25519 agreement of the two libnacl key pairs (every py-ipv8 key binary carries an X25519
 * half next to its Ed25519 one), so no handshake and no extra round trip is needed: the first packet to a
 * peer can already carry a tag, and the peer checks it with one agreement (cached) and one HMAC.
 *
 * What a tag proves: the packet was made by the holder of the sender key's X25519 secret, for this
 * recipient, in this direction. Unlike a signature it convinces nobody else (the recipient could have
 * made it), so it is only used where the packet's authenticity matters to its recipient alone.
 * @module
 */
import { hash, hkdfSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import type { PacketMac } from '../wire/packet.js';
import { MAC_TAG_BYTES } from '../wire/packet.js';
import type { PrivateKey, PublicKey } from './keys.js';
import { pairKeyMemo } from './pair-key-memo.js';
import type { PairKeysOf } from './pair-key-memo.js';

/** Options of {@link PairKeys}. */
export interface PairKeysOptions {
  /**
   * Peers whose keys are kept (least recently used are forgotten; a forgotten peer costs one X25519
   * agreement again, about half an Ed25519 verification). @default 256
   */
  readonly capacity?: number;
  /**
   * Tag outgoing packets. `false`: {@link PairKeys.macFor} gives nothing, so every signed message is
   * signed (for peers that do not know tags, or to measure signatures); incoming tags are still checked.
   * @default true
   */
  readonly tagOutgoing?: boolean;
}

/** Counters of a {@link PairKeys}. */
export interface PairKeysStats {
  /**
   * X25519 agreements computed (one per new peer, and per peer again after eviction; none for a peer
   * whose keys the process-wide memo held, see `rememberPairKeys`).
   */
  agreements: number;
  /** Peers refused: a low-order X25519 key (no secret shared with us alone). */
  refused: number;
  /** Tags made. */
  tagged: number;
  /** Tags checked and accepted. */
  accepted: number;
  /** Tags checked and rejected. */
  rejected: number;
}

const LABEL = new TextEncoder().encode('peerlay packet mac v1');
const KEY_BYTES = 32;
const SLOT_BYTES = 2 * KEY_BYTES;

/**
 * The node's pairwise packet keys, per peer, in a bounded LRU. The keys live in one slab (64 bytes per
 * peer: the key for packets to it, then the key for packets from it), so a held peer costs about 120
 * bytes with its map entry.
 * @example
 * ```ts
 * const pairs = new PairKeys(myKey);
 * const mac = pairs.macFor(peerKey);          // to tag a packet for peerKey
 * pairs.check(senderKey, signedPart, tag);     // true for a tag made by senderKey for us
 * ```
 */
export class PairKeys {
  /** Counters. */
  readonly stats: PairKeysStats = { agreements: 0, refused: 0, tagged: 0, accepted: 0, rejected: 0 };
  /** Slot of each held peer, by mid hex, least recently used first. */
  private readonly slots = new Map<string, number>();
  /** The mid hex last in `slots` (the most recently used: a peer used twice in a row, as a request's check and its answer's tag, is not moved again). */
  private newest: string | undefined;
  /** The peer held in each slot. */
  private readonly peers: PublicKey[] = [];
  private slab = new Uint8Array(0);
  private readonly capacity: number;
  private readonly ownBinary: Uint8Array;
  private readonly tagOutgoing: boolean;

  /**
   * @param key the node's identity.
   * @param options see {@link PairKeysOptions}.
   * @throws {@link InvalidArgumentError} when `capacity` is not a positive integer.
   */
  constructor(
    private readonly key: PrivateKey,
    options: PairKeysOptions = {},
  ) {
    const capacity = options.capacity ?? 256;
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`PairKeys capacity must be a positive integer, got ${String(capacity)}`);
    this.capacity = capacity;
    this.tagOutgoing = options.tagOutgoing ?? true;
    this.ownBinary = key.publicKey.toBinary();
  }

  /** Peers whose keys are held. */
  get size(): number {
    return this.slots.size;
  }

  /** True if the keys for `peer` are held (checking its tags then costs one HMAC, no agreement). */
  has(peer: PublicKey): boolean {
    const slot = this.slots.get(peer.midHex);
    return slot !== undefined && this.peers[slot]!.equals(peer);
  }

  /** The public key of a peer with mid `midHex` whose keys are held, if any (to tag packets to an id). */
  keyOf(midHex: string): PublicKey | undefined {
    const slot = this.slots.get(midHex);
    return slot === undefined ? undefined : this.peers[slot];
  }

  /**
   * What tags packets for `recipient`. Use it at once, for the packet being encoded: it reads the
   * peer's slot, which a later agreement with another peer may reuse.
   * @returns `undefined` when `recipient` shares no secret with us (a low-order X25519 key), or tagging is
   *   off (`tagOutgoing: false`): sign instead.
   */
  macFor(recipient: PublicKey): PacketMac | undefined {
    if (!this.tagOutgoing) return undefined;
    const slot = this.slot(recipient);
    if (slot === undefined) return undefined;
    return {
      tag: (message: Uint8Array): Uint8Array => {
        this.stats.tagged++;
        return hmac(this.slab.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + KEY_BYTES), message);
      },
    };
  }

  /**
   * Checks a tag that `sender` claims to have made for us. Never throws.
   * @returns true only for a {@link MAC_TAG_BYTES}-byte tag made with the key of packets from `sender` to us.
   */
  check(sender: PublicKey, message: Uint8Array, tag: Uint8Array): boolean {
    if (!(tag instanceof Uint8Array) || tag.length !== MAC_TAG_BYTES || !(message instanceof Uint8Array)) return this.reject();
    const slot = this.slot(sender);
    if (slot === undefined) return this.reject();
    const expected = hmac(this.slab.subarray(slot * SLOT_BYTES + KEY_BYTES, (slot + 1) * SLOT_BYTES), message);
    if (!sameTag(expected, tag)) return this.reject();
    this.stats.accepted++;
    return true;
  }

  /** Forgets every peer. */
  clear(): void {
    this.slots.clear();
    this.newest = undefined;
    this.peers.length = 0;
    this.slab.fill(0);
  }

  private reject(): false {
    this.stats.rejected++;
    return false;
  }

  /** The slot holding `peer`'s keys (derived now if not held), most recently used; none for a low-order key. */
  private slot(peer: PublicKey): number | undefined {
    const id = peer.midHex;
    const held = this.slots.get(id);
    if (held !== undefined && this.peers[held]!.equals(peer)) {
      if (id !== this.newest) {
        this.slots.delete(id); // most recently used last
        this.slots.set(id, held);
        this.newest = id;
      }
      return held;
    }
    const memo = pairKeyMemo();
    const keys = memo?.take(this.key.publicKey, peer) ?? this.derive(peer);
    if (keys === undefined) return undefined;
    let slot = held;
    if (slot !== undefined) this.slots.delete(id);
    else if (this.slots.size >= this.capacity) {
      const [oldest, freed] = this.slots.entries().next().value as [string, number];
      this.slots.delete(oldest);
      slot = freed;
    } else slot = this.slots.size;
    this.ensure(slot);
    this.slab.set(keys.to, slot * SLOT_BYTES);
    this.slab.set(keys.from, slot * SLOT_BYTES + KEY_BYTES);
    this.peers[slot] = peer;
    this.slots.set(id, slot);
    this.newest = id;
    return slot;
  }

  /** Agrees with `peer` and derives the keys of both directions (left in the memo if it is on); none for a low-order key. */
  private derive(peer: PublicKey): PairKeysOf | undefined {
    const secret = this.key.sharedSecret(peer);
    this.stats.agreements++;
    if (secret === undefined) {
      this.stats.refused++;
      return undefined;
    }
    const peerBinary = peer.toBinary();
    const keys = { to: derive(secret, this.ownBinary, peerBinary), from: derive(secret, peerBinary, this.ownBinary) };
    secret.fill(0);
    pairKeyMemo()?.remember(this.key.publicKey, peer, keys);
    return keys;
  }

  /** Grows the slab (doubling, up to the capacity) so that `slot` fits. */
  private ensure(slot: number): void {
    if ((slot + 1) * SLOT_BYTES <= this.slab.length) return;
    const slots = Math.min(this.capacity, Math.max(8, 2 * (slot + 1), (2 * this.slab.length) / SLOT_BYTES));
    const grown = new Uint8Array(slots * SLOT_BYTES);
    grown.set(this.slab);
    this.slab = grown;
  }
}

/**
 * The key of packets from `from` to `to`: HKDF-SHA256 (RFC 5869) of the shared secret, salted with the
 * protocol label, with both key binaries (fixed length, so the split is unambiguous) as info.
 */
function derive(secret: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const info = new Uint8Array(from.length + to.length);
  info.set(from, 0);
  info.set(to, from.length);
  return new Uint8Array(hkdfSync('sha256', secret, LABEL, info, KEY_BYTES));
}

/** True when the two {@link MAC_TAG_BYTES}-byte tags are equal, in time independent of where they differ. */
function sameTag(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < MAC_TAG_BYTES; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** SHA-256's block size, and the length of HMAC's padded key. */
const BLOCK_BYTES = 64;
/** HMAC's inner pad, then the message (grown as needed): one buffer, so the inner hash is one call. */
let innerInput = padded(0x36, 2_048);
/** HMAC's outer pad, then the inner hash. */
const outerInput = padded(0x5c, 32);

/** A buffer of a padded-key block (`pad` bytes) followed by `room` bytes. */
function padded(pad: number, room: number): Buffer {
  const b = Buffer.alloc(BLOCK_BYTES + room);
  b.fill(pad, 0, BLOCK_BYTES);
  return b;
}

/**
 * HMAC-SHA256 (RFC 2104) of `message` under a 32-byte `key`, cut to {@link MAC_TAG_BYTES}: two one-shot
 * hashes, `H((key ^ opad) || H((key ^ ipad) || message))`. Same bytes as `createHmac`, which costs about
 * twice as much per call for a short packet (it sets up a fresh HMAC context each time).
 */
function hmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const length = BLOCK_BYTES + message.length;
  if (innerInput.length < length) innerInput = padded(0x36, Math.max(message.length, 2 * (innerInput.length - BLOCK_BYTES)));
  const inner = innerInput;
  const outer = outerInput;
  for (let i = 0; i < KEY_BYTES; i++) {
    const k = key[i]!;
    inner[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  inner.set(message, BLOCK_BYTES);
  outer.set(hash('sha256', inner.subarray(0, length), 'buffer'), BLOCK_BYTES);
  const d = hash('sha256', outer, 'buffer');
  return new Uint8Array(d.buffer, d.byteOffset, MAC_TAG_BYTES);
}
