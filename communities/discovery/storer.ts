/**
 * The storing side of discovery: accept announcements (token-checked, only for the signer's own mid, with
 * the LAN and relay candidates they claim checked and bounded), answer find-peer requests with each held
 * peer's candidates, and ask the stored peer to puncture toward the requester (at the address we saw and
 * at the LAN address the requester gave). A storer never sends anything to a claimed candidate itself.
 * @module
 */
import type { Address, Incoming, Infer, MessageSpec, PublicKey } from '../../framework/index.js';
import { addressKey, equalBytes, replyKey, toHex } from '../../framework/index.js';
import type { TokenIssuer } from '../dht/records/record-server.js';
import { AnnounceResponse, FindPeerResponse, IntroduceRequest, NAT_CODES } from './messages.js';
import type { AnnounceRequest, FindPeerRequest } from './messages.js';
import { candidateCode, validLan, validRelay } from './candidates.js';
import type { PeerRecord, PeerRecords } from './peer-records.js';

/** What the storing side needs of its community: records, the DHT's tokens, the clock, and sending. */
export interface StorerHost {
  /** Peer records held for others. */
  readonly records: PeerRecords;
  /** The DHT's public door (its store tokens prove a requester's address). */
  readonly network: { readonly tokens: TokenIssuer };
  /** The node's clock, and its amplification budget toward addresses that have not proved themselves. */
  readonly context: { readonly clock: { now(): number }; readonly amplification?: { allowance(to: Address): number; charge(to: Address, bytes: number): boolean } };
  /** Counts a dropped packet. */
  drop(reason: string, from: Address): void;
  /** Answers a message at its source. */
  reply<T>(m: Incoming<unknown>, spec: MessageSpec<T>, value: T): number;
  /** Encodes a packet. */
  encode<T>(spec: MessageSpec<T>, value: T, recipient?: PublicKey): Uint8Array;
  /** Sends an encoded packet. */
  sendPacket(to: Address, name: string, packet: Uint8Array): void;
  /** Sends a message. */
  send<T>(to: Address, spec: MessageSpec<T>, value: T, recipient?: PublicKey): number;
}

/** Handles an announcement or keepalive. */
export function onAnnounce(d: StorerHost, m: Incoming<Infer<typeof AnnounceRequest.schema>>): void {
  const sender = m.sender!;
  const reply = (accepted: boolean, reason: string): void => {
    if (!accepted) d.drop(`announce-${reason}`, m.from);
    d.reply(m, AnnounceResponse, { id: m.value.id, accepted, reason, token: d.network.tokens.issue(m.from) });
  };
  if (!equalBytes(m.value.mid, sender.mid)) return reply(false, 'mid-mismatch');
  if (!d.network.tokens.verify(m.value.token, m.from)) return reply(false, 'bad-token');
  // A candidate that fails its check is left out (and counted); the announcement itself still counts.
  const lan = validLan(m.value.lan, m.from);
  const relay = validRelay(m.value.relay, m.from);
  if (m.value.lan !== undefined && lan === undefined && addressKey(m.value.lan) !== addressKey(m.from)) d.drop('announce-bad-lan', m.from);
  if (m.value.relay !== undefined && relay === undefined) d.drop('announce-bad-relay', m.from);
  if (!d.records.upsert(sender, m.from, d.context.clock.now(), { lan, relay, nat: natOf(m.value.nat) })) return reply(false, 'full');
  reply(true, '');
}

/** A reply to a find-peer from an unproven address, plus the punctures it causes, is at most this many times the request. */
export const FIND_PEER_AMPLIFICATION_FACTOR = 3;
/** Most peers in one find-peer response. */
const MAX_PEERS_PER_RESPONSE = 4;
/**
 * Upper bound of a signed {@link PeerPuncture} packet (163 bytes of envelope, a 10-byte body): each
 * introduction of an unproven requester makes the peer send exactly one to the requester (a proven one
 * gets up to three, and one to its LAN address).
 */
const PEER_PUNCTURE_MAX_BYTES = 173;

/**
 * Answers a find-peer request and introduces the requester to each stored address of that mid (the
 * stored peer then punctures toward the requester). Unless the request carries a valid token for its
 * address, the answer plus those punctures stay within {@link FIND_PEER_AMPLIFICATION_FACTOR} times the
 * request, so a spoofed source cannot make the network flood a victim; fewer (most recently heard) peers
 * are returned then.
 */
export function onFindPeer(d: StorerHost, m: Incoming<Infer<typeof FindPeerRequest.schema>>): void {
  const requester = m.sender!;
  const proven = m.value.token !== undefined && d.network.tokens.verify(m.value.token, m.from);
  const amplification = d.context.amplification;
  const allowance = amplification?.allowance(m.from) ?? Number.POSITIVE_INFINITY;
  const budget = proven ? Number.POSITIVE_INFINITY : Math.min(FIND_PEER_AMPLIFICATION_FACTOR * m.size, allowance);
  let records = d.records.get(toHex(m.value.mid)).slice(0, MAX_PEERS_PER_RESPONSE);
  for (;;) {
    const packet = d.encode(FindPeerResponse, {
      id: m.value.id,
      peers: records.map((r) => ({ publicKey: r.publicKey.toBinary(), address: r.address, candidates: candidatesOf(r), nat: r.nat ?? 0 })),
    }, replyKey(m));
    if (records.length === 0 || packet.length + records.length * PEER_PUNCTURE_MAX_BYTES <= budget) {
      d.sendPacket(m.from, FindPeerResponse.name, packet);
      break;
    }
    records = records.slice(0, -1);
  }
  // The punctures the introduced peers send to the requester are paid from its credit as well.
  if (records.length > 0 && !proven) amplification?.charge(m.from, records.length * PEER_PUNCTURE_MAX_BYTES);
  // The requester's LAN address is only passed on (the peer checks it and punctures it once, if proven).
  const requesterLan = proven ? validLan(m.value.lan, m.from) : undefined;
  for (const r of records) {
    d.send(r.address, IntroduceRequest, { nonce: m.value.id, requester: m.from, requesterMid: requester.mid, requesterLan, proven, requesterNat: natOf(m.value.nat) });
  }
}

/** A NAT code as kept and passed on: a missing or unknown value is 0 (unknown). */
function natOf(code: number | undefined): number {
  return code !== undefined && code <= NAT_CODES.symmetric ? code : NAT_CODES.unknown;
}

/** A held record's claimed candidates, as the find-peer response carries them. */
function candidatesOf(r: PeerRecord): Array<{ kind: number; address: Address }> {
  const out: Array<{ kind: number; address: Address }> = [];
  if (r.lan !== undefined) out.push({ kind: candidateCode('lan'), address: r.lan });
  if (r.relay !== undefined) out.push({ kind: candidateCode('relay'), address: r.relay });
  return out;
}
