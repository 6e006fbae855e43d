/**
 * The storing side of discovery: accept announcements (token-checked, only for the signer's own mid),
 * answer find-peer requests and ask the stored peer to puncture toward the requester.
 * @module
 */
import type { Incoming, Infer } from '../../framework/index.js';
import { equalBytes, replyKey } from '../../framework/index.js';
import type { DHTDiscoveryCommunity } from './discovery-community.js';
import { AnnounceResponse, FindPeerResponse, IntroduceRequest } from './messages.js';
import type { AnnounceRequest, FindPeerRequest } from './messages.js';

/** Handles an announcement or keepalive. */
export function onAnnounce(d: DHTDiscoveryCommunity, m: Incoming<Infer<typeof AnnounceRequest.schema>>): void {
  const sender = m.sender!;
  const reply = (accepted: boolean, reason: string): void => {
    if (!accepted) d.drop(`announce-${reason}`, m.from);
    d.reply(m, AnnounceResponse, { id: m.value.id, accepted, reason, token: d.dht.tokens.issue(m.from) });
  };
  if (!equalBytes(m.value.mid, sender.mid)) return reply(false, 'mid-mismatch');
  if (!d.dht.tokens.verify(m.value.token, m.from)) return reply(false, 'bad-token');
  if (!d.records.upsert(sender, m.from, d.context.clock.now())) return reply(false, 'full');
  reply(true, '');
}

/** A reply to a find-peer from an unproven address, plus the punctures it causes, is at most this many times the request. */
export const FIND_PEER_AMPLIFICATION_FACTOR = 3;
/** Most peers in one find-peer response. */
const MAX_PEERS_PER_RESPONSE = 4;
/** Upper bound of a signed {@link PeerPuncture} packet (163 bytes of envelope, a 10-byte body): each introduction sends one to the requester. */
const PEER_PUNCTURE_MAX_BYTES = 173;

/**
 * Answers a find-peer request and introduces the requester to each stored address of that mid (the
 * stored peer then punctures toward the requester). Unless the request carries a valid token for its
 * address, the answer plus those punctures stay within {@link FIND_PEER_AMPLIFICATION_FACTOR} times the
 * request, so a spoofed source cannot make the network flood a victim; fewer (most recently heard) peers
 * are returned then.
 */
export function onFindPeer(d: DHTDiscoveryCommunity, m: Incoming<Infer<typeof FindPeerRequest.schema>>): void {
  const requester = m.sender!;
  const proven = m.value.token !== undefined && d.dht.tokens.verify(m.value.token, m.from);
  const budget = proven ? Number.POSITIVE_INFINITY : FIND_PEER_AMPLIFICATION_FACTOR * m.size;
  let records = d.records.get(toHexMid(m.value.mid)).slice(0, MAX_PEERS_PER_RESPONSE);
  for (;;) {
    const packet = d.encode(FindPeerResponse, {
      id: m.value.id,
      peers: records.map((r) => ({ publicKey: r.publicKey.toBinary(), address: r.address })),
    }, replyKey(m));
    if (records.length === 0 || packet.length + records.length * PEER_PUNCTURE_MAX_BYTES <= budget) {
      d.sendPacket(m.from, FindPeerResponse.name, packet);
      break;
    }
    records = records.slice(0, -1);
  }
  for (const r of records) {
    d.send(r.address, IntroduceRequest, { nonce: m.value.id, requester: m.from, requesterMid: requester.mid });
  }
}

function toHexMid(mid: Uint8Array): string {
  let s = '';
  for (const b of mid) s += b.toString(16).padStart(2, '0');
  return s;
}
