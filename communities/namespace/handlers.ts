/**
 * The namespace's storing side: puts (token-checked, verified, seq and CAS enforced by the store) and
 * gets (a response never exceeds 3x the request's size unless the request carried a valid token).
 * @module
 */
import type { Incoming, Infer } from '../../framework/index.js';
import { CommunityStats, replyKey } from '../../framework/index.js';
import type { NamespaceCommunity } from './community.js';
import { NAMESPACE_ACCEPTED, NAMESPACE_VERDICT_CODES, NamespaceGetResponse, NamespacePutResponse } from './messages.js';
import type { NamespaceGetRequest, NamespacePutRequest } from './messages.js';

/** A response to a request without a valid token is at most this many times the request's size. */
export const NAMESPACE_AMPLIFICATION_FACTOR = 3;

/** Handles a put: checks the token, lets the store judge the record, answers with the verdict. */
export function onPut(ns: NamespaceCommunity, m: Incoming<Infer<typeof NamespacePutRequest.schema>>): void {
  const { id, token, record, ttl, cas } = m.value;
  const now = ns.now();
  if (!ns.dht.tokens.verify(token, m.from)) {
    CommunityStats.bump(ns.statistics.verdicts, 'bad-token');
    ns.drop('bad-token', m.from);
    ns.reply(m, NamespacePutResponse, { id, verdict: 0, seq: undefined });
    return;
  }
  const verdict = ns.store.put(record, ttl, cas, now);
  CommunityStats.bump(ns.statistics.verdicts, verdict);
  const held = ns.store.get(ns.locationOf(record), now);
  if (NAMESPACE_ACCEPTED.has(verdict) && held !== undefined) {
    held.replicatedAt = now; // the other storers were sent it too (Kademlia)
    ns.emit('record:stored', held.location, verdict);
  }
  ns.reply(m, NamespacePutResponse, { id, verdict: NAMESPACE_VERDICT_CODES.indexOf(verdict), seq: held?.record.seq });
}

/** Answers a get with the held record, or withholds it when it would break the amplification bound. */
export function onGet(ns: NamespaceCommunity, m: Incoming<Infer<typeof NamespaceGetRequest.schema>>): void {
  const { id, location, token } = m.value;
  const tokenOk = token !== undefined && ns.dht.tokens.verify(token, m.from);
  if (!tokenOk) ns.statistics.tokenlessGets++;
  const max = ns.context.transport.maxPacketBytes;
  const budget = tokenOk ? max : Math.min(max, NAMESPACE_AMPLIFICATION_FACTOR * m.size);
  const now = ns.now();
  const held = ns.store.get(location, now);
  const fresh = ns.dht.tokens.issue(m.from);
  if (held !== undefined) {
    const { seq, value, signature } = held.record;
    const packet = ns.encode(NamespaceGetResponse, { id, token: fresh, record: { seq, value, signature, ttl: held.expiresAt - now }, withheld: false }, replyKey(m));
    if (packet.length <= budget) return ns.sendPacket(m.from, NamespaceGetResponse.name, packet);
    ns.statistics.recordsWithheld++;
  }
  ns.reply(m, NamespaceGetResponse, { id, token: fresh, record: undefined, withheld: held !== undefined });
}
