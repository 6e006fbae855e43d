/**
 * How the DHT learns contacts from the packets it receives: a verified sender enters the routing table
 * (a full bucket pings its least recently seen contact unless it was heard from lately, Kademlia), and a
 * find request, whose signature is checked only on demand, is verified only when its sender could enter
 * the table at all.
 * @module
 */
import type { Address, Incoming, PublicKey } from '../../framework/index.js';
import { AmplificationLimitError, equalBytes, sameAddress, toHex } from '../../framework/index.js';
import type { DHTCommunity } from './dht-community.js';

/** Most address challenges in flight at once. */
export const MAX_CHALLENGES = 64;

/** Most verification pings of new contacts in flight at once. */
export const MAX_VERIFICATIONS = 256;

/** The binary of each key learned from (keys are immutable and shared process-wide: read once, not copied per packet). */
const BINARIES = new WeakMap<PublicKey, Uint8Array>();

/** `key`'s binary, shared read-only (the routing table copies what it keeps). */
function binaryOf(key: PublicKey): Uint8Array {
  let binary = BINARIES.get(key);
  if (binary === undefined) {
    binary = key.toBinary();
    BINARIES.set(key, binary);
  }
  return binary;
}

/** Contact learning for one {@link DHTCommunity}. */
export class ContactLearning {
  /** Ids (hex) of contacts being pinged for eviction, so each is pinged once at a time. */
  private readonly pinging = new Set<string>();
  /** Ids (hex) whose claimed new address is being challenged, one at a time each. */
  private readonly challenging = new Set<string>();
  /** Ids (hex) of new contacts whose unproven address is being verified, one at a time each. */
  private readonly verifying = new Set<string>();

  /** @param dht the owner. */
  constructor(private readonly dht: DHTCommunity) {}

  /**
   * Adds a (verified) sender to the routing table. When its bucket is full the sender waits in the
   * replacement cache and the least recently seen contact, unless heard from within `goodContactMs`, is
   * pinged: kept (moved to most recently seen) if it answers, evicted if it does not, so the newest
   * replacement takes its slot (Kademlia).
   *
   * A contact moves to another address only on proof: `proven` (an answer to our own request, which
   * carried a fresh random id, from the address we sent it to), or a challenge this method sends when an
   * unsolicited packet (a request, which anyone who received it once can replay from anywhere) comes from
   * a new address: a ping to that address, and the contact moves only when the key's holder answers
   * from there. So a replayed signed packet cannot move a contact to the replayer's address.
   * @param proven the packet answered our request to `address`. @default false
   */
  addContact(publicKey: PublicKey, address: Address, proven = false): void {
    const dht = this.dht;
    const known = dht.routingTable.get(publicKey.mid);
    const publicKeyBinary = binaryOf(publicKey);
    if (known !== undefined && sameAddress(known.address, address)) {
      // Live at this address with this key: all that `add` would do (its 'updated' case) is a touch.
      if (known.publicKeyBinary !== undefined && equalBytes(known.publicKeyBinary, publicKeyBinary)) {
        dht.routingTable.touch(publicKey.mid);
        return;
      }
    } else if (!proven && known !== undefined) return this.challenge(publicKey, address);
    const result = dht.routingTable.add({ id: publicKey.mid, address, publicKeyBinary });
    if (result.status === 'added' && !proven) this.verify(publicKey, address);
    if (result.status !== 'full') return;
    const candidate = result.pingCandidate;
    if (dht.context.clock.now() - candidate.lastSeen < dht.settings.goodContactMs) return; // heard from lately: keep it
    const hex = toHex(candidate.id);
    if (this.pinging.has(hex) || !dht.isRunning) return;
    this.pinging.add(hex);
    dht
      .ping(candidate)
      .then(() => dht.routingTable.touch(candidate.id))
      .catch((error: unknown) => {
        // A contact whose address never proved itself and whose amplification credit is spent cannot be
        // asked: it yields its slot as a silent one does.
        const silent = error instanceof AmplificationLimitError || (error instanceof Error && error.name === 'TimeoutError');
        if (silent && dht.isRunning) dht.routingTable.remove(candidate.id);
      })
      .finally(() => this.pinging.delete(hex));
  }

  /**
   * Pings `address` for `publicKey`'s holder; its answer (learned as `proven` by the DHT's response hook)
   * moves the contact there. At most {@link MAX_CHALLENGES} at a time, one per id; the ping is addressed
   * by address alone, so an impostor's answer neither moves nor removes the real contact.
   */
  private challenge(publicKey: PublicKey, address: Address): void {
    const dht = this.dht;
    const hex = publicKey.midHex;
    if (this.challenging.has(hex) || this.challenging.size >= MAX_CHALLENGES || !dht.isRunning) return;
    this.challenging.add(hex);
    dht.statistics.addressChallenges++;
    dht
      .ping({ address })
      .then(({ publicKey: answered }) => {
        if (answered.midHex !== hex) dht.statistics.addressChallengesFailed++;
      })
      .catch(() => dht.statistics.addressChallengesFailed++)
      .finally(() => this.challenging.delete(hex));
  }

  /**
   * Pings a contact just learned from its own packet at an address that has not proved itself (see
   * `CommunityContext.amplification`): its answer proves the address, so it may be referred to others
   * and queried freely. The ping is paid from the address's amplification credit, like the reply (a
   * spoofed source gets at most 3x what was sent in its name); a contact that does not answer, or cannot
   * be asked, fails in the routing table. At most {@link MAX_VERIFICATIONS} at a time, one per id.
   */
  private verify(publicKey: PublicKey, address: Address): void {
    const dht = this.dht;
    const amplification = dht.context.amplification;
    if (amplification === undefined || amplification.allowance(address) === Number.POSITIVE_INFINITY) return;
    const hex = publicKey.midHex;
    if (this.verifying.has(hex) || this.verifying.size >= MAX_VERIFICATIONS || !dht.isRunning) return;
    this.verifying.add(hex);
    dht.statistics.contactsVerified++;
    dht
      .ping({ id: publicKey.mid, address })
      .catch(() => dht.statistics.contactsUnverified++)
      .finally(() => this.verifying.delete(hex));
  }

  /** Learns the verified sender of `m`, if any (unsolicited: a move of address is challenged). @returns true (handlers chain on it). */
  learned(m: Incoming<unknown>): true {
    if (m.sender !== undefined) this.addContact(m.sender, m.from);
    return true;
  }

  /**
   * For a `deferredVerify` request: a requester already in the routing table at this address, or one
   * that could only wait in a full bucket's replacement cache (its contacts all heard from lately), is
   * answered without checking its signature (nothing changes); any other is verified and learned.
   * @returns false when the signature had to be checked and was bad (the packet is dropped and counted).
   */
  learnedIfNew(m: Incoming<unknown>): boolean {
    const dht = this.dht;
    const claimed = m.claimedSender;
    if (claimed === undefined) return this.learned(m);
    const known = dht.routingTable.get(claimed.mid);
    if (known !== undefined && sameAddress(known.address, m.from)) return true;
    const goodSince = dht.context.clock.now() - dht.settings.goodContactMs;
    if (known === undefined && !dht.routingTable.mayAdmit(claimed.mid, goodSince)) return true;
    const sender = m.verifySender?.();
    if (sender === undefined) return false;
    this.addContact(sender, m.from);
    return true;
  }

  /** The key of node `id` if known: pairwise keys held for it, or its routing-table contact's. */
  keyOf(id: Uint8Array, hex: string): PublicKey | undefined {
    const ctx = this.dht.context;
    if (ctx.pairs === undefined) return undefined;
    const held = ctx.pairs.keyOf(hex);
    if (held !== undefined) return held;
    const binary = this.dht.routingTable.get(id)?.publicKeyBinary;
    return binary === undefined ? undefined : ctx.keys.get(binary);
  }

  /** Forgets the eviction pings and challenges in flight (at stop). */
  clear(): void {
    this.pinging.clear();
    this.challenging.clear();
    this.verifying.clear();
  }
}
