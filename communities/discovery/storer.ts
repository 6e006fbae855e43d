/**
 * The storing side of discovery: accept announcements (token-checked, only for the signer's own mid),
 * answer find-peer requests and ask the stored peer to puncture toward the requester.
 * @module
 */
import type { Incoming, Infer } from '../../framework/index.js';
import { equalBytes } from '../../framework/index.js';
import type { DHTDiscoveryCommunity } from './discovery-community.js';
import { AnnounceResponse, FindPeerResponse, IntroduceRequest } from './messages.js';
import type { AnnounceRequest, FindPeerRequest } from './messages.js';

/** Handles an announcement or keepalive. */
export function onAnnounce(d: DHTDiscoveryCommunity, m: Incoming<Infer<typeof AnnounceRequest.schema>>): void {
  const sender = m.sender!;
  const reply = (accepted: boolean, reason: string): void => {
    if (!accepted) d.drop(`announce-${reason}`, m.from);
    d.send(m.from, AnnounceResponse, { id: m.value.id, accepted, reason, token: d.dht.tokens.issue(m.from) });
  };
  if (!equalBytes(m.value.mid, sender.mid)) return reply(false, 'mid-mismatch');
  if (!d.dht.tokens.verify(m.value.token, m.from)) return reply(false, 'bad-token');
  if (!d.records.upsert(sender, m.from, d.context.clock.now())) return reply(false, 'full');
  reply(true, '');
}

/** Answers a find-peer request and introduces the requester to each stored address of that mid. */
export function onFindPeer(d: DHTDiscoveryCommunity, m: Incoming<Infer<typeof FindPeerRequest.schema>>): void {
  const requester = m.sender!;
  const records = d.records.get(toHexMid(m.value.mid)).slice(0, 4);
  d.send(m.from, FindPeerResponse, {
    id: m.value.id,
    peers: records.map((r) => ({ publicKey: r.publicKey.toBinary(), address: r.address })),
  });
  for (const r of records) {
    d.send(r.address, IntroduceRequest, { nonce: m.value.id, requester: m.from, requesterMid: requester.mid });
  }
}

function toHexMid(mid: Uint8Array): string {
  let s = '';
  for (const b of mid) s += b.toString(16).padStart(2, '0');
  return s;
}
